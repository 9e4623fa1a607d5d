import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { DomainError } from '../common/errors/domain-error';
import { HealthRepository } from './health.repository';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthRepository) {}

  @Get()
  @Public()
  @ApiOkResponse({ schema: { example: { status: 'ok', database: { type: 'sqlite', status: 'up' } } } })
  async check() {
    if (!(await this.health.ping())) throw new DomainError('DATABASE_UNAVAILABLE', 'the database does not answer', { retryAfterSec: 5 });
    return { status: 'ok', database: { type: this.health.dialect, status: 'up' } };
  }
}
