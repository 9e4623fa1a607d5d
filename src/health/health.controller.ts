import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { DomainError } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { HealthRepository } from './health.repository';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /** Also this process's unit-of-work counts since it started: how often lost races were run again, and gave up (503). */
  @Get()
  @Public()
  @ApiOkResponse({
    schema: {
      example: {
        status: 'ok',
        database: { type: 'mysql', status: 'up' },
        unitsOfWork: { units: 12840, retries: 31, busy: 0, mostAttempts: 3 },
      },
    },
  })
  async check() {
    if (!(await this.health.ping())) throw new DomainError('DATABASE_UNAVAILABLE', 'the database does not answer', { retryAfterSec: 5 });
    return { status: 'ok', database: { type: this.health.dialect, status: 'up' }, unitsOfWork: this.uow.stats };
  }
}
