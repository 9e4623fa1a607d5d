import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/decorators';
import { catalogued } from '../common/errors/domain-error';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { clock } from '../common/clock';
import { HealthRepository } from './health.repository';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

/**
 * How far apart this node's clock and the database's may be. Every node judges expiry, notice and its leases by its own
 * clock against instants other nodes wrote; NTP keeps them within milliseconds, so 2 s apart means a clock gone wrong.
 */
export const MAX_CLOCK_SKEW_MS = 2_000;

/**
 * How long the health check waits for the database's answer. A stalled server never answers; a load balancer should
 * hear 503 well within its own check timeout (commonly 5 s) rather than see the check hang with the requests.
 */
export const PING_TIMEOUT_MS = 2_000;

/** The database's clock less this node's at the middle of the round trip that read it (positive: this node is behind). */
export const clockSkewMs = (beforeMs: number, databaseMs: number, afterMs: number): number =>
  Math.round(databaseMs - (beforeMs + afterMs) / 2);

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
      'Also how often lost races were run again and gave up (503) since the process started, and how far this node’s clock is off the database’s (`clock.skewMs`). 503 DATABASE_UNAVAILABLE when the database does not answer; 503 CLOCK_SKEW when the clocks differ by more than 2 s, so that a load balancer takes the node out: expiry, booking notice and leases would be judged wrongly on it.',
  })
  @Public()
  @ApiOkResponse({
    schema: {
      example: {
        status: 'ok',
        database: { type: 'mysql', status: 'up' },
        clock: { skewMs: 3 },
        unitsOfWork: { units: 12840, retries: 31, busy: 0, mostAttempts: 3 },
      },
    },
  })
  async check() {
    if (!(await this.health.ping(PING_TIMEOUT_MS))) throw catalogued('DATABASE_UNAVAILABLE', 'health.noAnswer', {}, { retryAfterSec: 5 });
    const before = clock.now().getTime();
    const databaseMs = await this.health.clockMs(PING_TIMEOUT_MS);
    if (databaseMs === undefined) throw catalogued('DATABASE_UNAVAILABLE', 'health.noAnswer', {}, { retryAfterSec: 5 });
    const skewMs = clockSkewMs(before, databaseMs, clock.now().getTime());
    if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) {
      throw catalogued('CLOCK_SKEW', 'health.clockSkew', { skewMs, maxMs: MAX_CLOCK_SKEW_MS }, { retryAfterSec: 30 });
    }
    return { status: 'ok', database: { type: this.health.dialect, status: 'up' }, clock: { skewMs }, unitsOfWork: this.uow.stats };
  }

  /** Liveness alone: whether this process serves HTTP, whatever the database does. */
  @Get('live')
  @Explained({
    summary: 'Liveness: this process answers, without asking the database',
    who: 'Anyone, without a token (process supervisors, orchestrators’ liveness probes).',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Always 200 while the process serves HTTP. Point a liveness probe (one that restarts the process when it fails) here, and a readiness probe or load balancer at `GET /api/health`: that one answers 503 while the database is down or stalled, and every node recovers by itself once it is back, so restarting nodes for it only adds their start-up to the outage.',
  })
  @Public()
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live() {
    return { status: 'ok' };
  }
}
