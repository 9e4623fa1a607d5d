import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/auth/decorators';
import { ClearingQuery, ClearingView } from './clearing.dto';
import { ClearingService } from './clearing.service';
import { Explained } from '../common/http/explained';

@ApiTags('clearing')
@Controller('clearing')
export class ClearingController {
  constructor(private readonly clearing: ClearingService) {}

  @Get()
  @Explained({
    summary: 'Compute cross-province clearing (清算) over settlement lines paid in [from, to], unrecorded',
    who: 'The platform only; other roles are 403.',
    changes: 'Nothing: it computes and records nothing (POST /api/clearing-runs records a run).',
    money: 'None: it shows gross flows, net positions and the transfers that would settle them.',
  })
  @Authenticated('platform')
  @ApiOkResponse({ type: ClearingView, description: 'gross flows, net positions and transfers over settlement lines paid in [from, to]' })
  async clear(@Query() q: ClearingQuery): Promise<ClearingView> {
    return { from: q.from, to: q.to, ...(await this.clearing.clear(q.from, q.to)) };
  }
}
