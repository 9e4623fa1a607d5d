import { Injectable } from '@nestjs/common';
import { clock } from '../../common/clock';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { Sweeps } from '../../common/sweeps';
import { VoucherRepository } from '../voucher.repository';
import { voucherPastValidity } from '../voucher.time-rules';
import { VoucherClosing } from './close-voucher';

const SWEEP_BATCH = 200;

/** Vouchers past their last day: status expired, unused balance back to the budget (a sweep any node may run). */
@Injectable()
export class ExpireVouchers {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly vouchers: VoucherRepository,
    private readonly closing: VoucherClosing,
    sweeps: Sweeps,
  ) {
    sweeps.register('voucher-expiry', () => this.execute());
  }

  async execute(): Promise<number> {
    let expired = 0;
    for (const id of await this.vouchers.pastValidity(clock.today(), SWEEP_BATCH)) {
      expired += await this.uow.run(async () => {
        const voucher = await this.vouchers.lock(id);
        if (!voucher || !voucherPastValidity.holds(voucher, clock.today())) return 0;
        await this.closing.close(voucher, 'expired', null);
        return 1;
      });
    }
    return expired;
  }
}
