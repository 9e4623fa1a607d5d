import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { catalogued } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { HealthRepository } from './health.repository';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthRepository,
    private readonly uow: UnitOfWork,
  ) {}

  /** Also this process's unit-of-work counts since it started: how often lost races were run again, and gave up (503). */
  @Get()
  @Explained({
    summary: 'Liveness and database reachability, with this process’s unit-of-work counts',
    who: 'Anyone, without a token (load balancers, monitoring).',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Also how often lost races were run again and gave up (503) since the process started. 503 DATABASE_UNAVAILABLE when the database does not answer.',
  })
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
    if (!(await this.health.ping())) throw catalogued('DATABASE_UNAVAILABLE', 'health.noAnswer', {}, { retryAfterSec: 5 });
    return { status: 'ok', database: { type: this.health.dialect, status: 'up' }, unitsOfWork: this.uow.stats };
  }
}
