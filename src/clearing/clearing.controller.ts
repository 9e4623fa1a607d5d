import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../common/auth/decorators';
import { ClearingQuery, ClearingView } from './clearing.dto';
import { ClearingService } from './clearing.service';

@ApiTags('clearing')
@Controller('clearing')
export class ClearingController {
  constructor(private readonly clearing: ClearingService) {}

  @Get()
  @Authenticated('platform')
  @ApiOkResponse({ type: ClearingView, description: 'gross flows, net positions and transfers over settlement lines paid in [from, to]' })
  async clear(@Query() q: ClearingQuery): Promise<ClearingView> {
    return { from: q.from, to: q.to, ...(await this.clearing.clear(q.from, q.to)) };
  }
}
