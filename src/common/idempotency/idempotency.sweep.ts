import { Injectable } from '@nestjs/common';
import { DAY_MS, clock } from '../clock';
import { UnitOfWork } from '../persistence/unit-of-work';
import { Sweeps } from '../sweeps';
import { IdempotencyRepository } from './idempotency.repository';

const BATCH = 5_000;

/** Idempotency records are kept a day, then deleted by the sweep (any node; the deletes are idempotent). */
@Injectable()
export class IdempotencySweep {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly records: IdempotencyRepository,
    sweeps: Sweeps,
  ) {
    sweeps.register('idempotency-purge', () => this.purge());
  }

  async purge(): Promise<number> {
    const before = new Date(clock.now().getTime() - DAY_MS).toISOString();
    let purged = 0;
    for (;;) {
      const n = await this.uow.run(() => this.records.purge(before, BATCH));
      purged += n;
      if (n < BATCH) return purged;
    }
  }
}
