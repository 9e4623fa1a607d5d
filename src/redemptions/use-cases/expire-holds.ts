import { Injectable } from '@nestjs/common';
import { clock } from '../../common/clock';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { Sweeps } from '../../common/sweeps';
import { VoucherRepository } from '../../vouchers/voucher.repository';
import { RedemptionRepository } from '../redemption.repository';
import { HoldClosing } from './close-hold';

const SWEEP_BATCH = 200;

/** Holds past their expiry: status expired, the held subsidy back to the voucher (a sweep any node may run). */
@Injectable()
export class ExpireHolds {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly redemptions: RedemptionRepository,
    private readonly holds: HoldClosing,
    private readonly vouchers: VoucherRepository,
    sweeps: Sweeps,
  ) {
    sweeps.register('hold-expiry', () => this.execute());
  }

  async execute(): Promise<number> {
    let expired = 0;
    for (const id of await this.redemptions.expiredHolds(clock.iso(), SWEEP_BATCH)) {
      const done = await this.uow.run(async () => {
        const found = await this.redemptions.get(id);
        if (!found) return false;
        await this.vouchers.lock(found.voucherId); // voucher before redemption, as every unit locks them
        return this.holds.expire((await this.redemptions.get(id))!);
      });
      if (done) expired++;
    }
    return expired;
  }
}
