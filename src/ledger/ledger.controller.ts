import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/auth/decorators';
import { LedgerCheckService } from './ledger-check.service';
import { Explained, READ_ONLY } from '../common/http/explained';

class LedgerCheckView {
  @ApiProperty() balanced: boolean;
  @ApiProperty() accounts: number;
  @ApiProperty() transfers: number;
  @ApiProperty({ type: [String] }) violations: string[];
}

@ApiTags('oversight')
@Controller('ledger')
export class LedgerController {
  constructor(private readonly checker: LedgerCheckService) {}

  @Get('check')
  @Explained({
    summary: 'Re-derive every balance from the ledger’s transfers and compare (对账)',
    who: 'The platform only; other roles are 403.',
    changes: READ_ONLY,
    money: 'None: it reads every account and transfer and reports any violation.',
  })
  @Authenticated('platform')
  @ApiOkResponse({ type: LedgerCheckView })
  check(): Promise<LedgerCheckView> {
    return this.checker.check();
  }
}
