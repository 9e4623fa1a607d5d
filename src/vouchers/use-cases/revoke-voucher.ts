import { Injectable } from '@nestjs/common';
import { assertBureauOf } from '../../common/auth/scope';
import { Actor } from '../../common/context/request-context';
import { notFound } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refused } from '../../common/use-case';
import { Voucher } from '../voucher.entity';
import { VoucherRepository } from '../voucher.repository';
import { voucherTransition } from '../voucher.states';
import { VoucherClosing } from './close-voucher';

export interface RevokeVoucherCommand {
  actor: Actor;
  voucherId: string;
  reason: string;
}

/** Revocation by the issuing bureau: the unused balance goes back to the budget. */
@Injectable()
export class RevokeVoucher {
  static readonly refusals = ['NOT_FOUND', 'FORBIDDEN', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly vouchers: VoucherRepository,
    private readonly closing: VoucherClosing,
  ) {}

  execute(cmd: RevokeVoucherCommand): Promise<Outcome<Voucher>> {
    return this.uow.run(async () => {
      const voucher = await this.vouchers.lock(cmd.voucherId);
      if (!voucher) throw notFound('voucher');
      assertBureauOf(cmd.actor, voucher.issuingRegionCode, `vouchers of ${voucher.issuingRegionCode}`);
      if (!voucherTransition(voucher.status, 'revoke')) return refused('INVALID_STATE', `the voucher is already ${voucher.status}`);
      return ok(await this.closing.close(voucher, 'revoked', cmd.reason));
    });
  }
}
