import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/auth/decorators';
import { LedgerCheckService } from './ledger-check.service';

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
  @Authenticated('platform')
  @ApiOkResponse({ type: LedgerCheckView })
  check(): Promise<LedgerCheckView> {
    return this.checker.check();
  }
}
