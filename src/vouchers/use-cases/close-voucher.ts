import { Injectable } from '@nestjs/common';
import { catalogued, DomainError } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { LedgerService } from '../../ledger/ledger.service';
import { AnnualGrantRepository } from '../annual-grant.repository';
import { Voucher } from '../voucher.entity';
import { VoucherRepository } from '../voucher.repository';
import { GrantHolder, grantGiveBacks } from '../voucher.rules';

/**
 * Closes a locked, open voucher (expiry or revocation) inside the caller's unit of work: its unused balance goes back
 * to the budget and no longer counts against the enterprise's annual cap (DOMAIN.md). Returns the closed voucher.
 */
@Injectable()
export class VoucherClosing {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly vouchers: VoucherRepository,
    private readonly grants: AnnualGrantRepository,
    private readonly ledger: LedgerService,
  ) {}

  async close(voucher: Voucher, status: 'expired' | 'revoked', reason: string | null): Promise<Voucher> {
    if (!(await this.vouchers.close(voucher.id, status, reason)))
      throw catalogued('INVALID_STATE', 'vouchers.alreadyClosed', { status: voucher.status });
    const closed: Voucher = { ...voucher, status, statusReason: reason };
    await this.giveBackGrant(closed, voucher.availableFen);
    const released = await this.ledger.releaseVoucher(closed, `voucher.${status}`);
    this.uow.record({
      action: `voucher.${status}`,
      entityType: 'voucher',
      entityId: voucher.id,
      regionCode: voucher.issuingRegionCode,
      organizationId: voucher.enterpriseId,
      // heldFen: what its holds still hold; each goes to the budget as its hold ends (redemption events say so).
      summary: { serial: voucher.serial, releasedFen: released, heldFen: voucher.heldFen, ...(reason ? { reason } : {}) },
    });
    return { ...closed, availableFen: 0, releasedFen: voucher.releasedFen + released };
  }

  /**
   * What a closed voucher gives back to the budget is no longer granted. Called before the budget moves, so every
   * unit takes the grant row before the budget row (the order issuers use too).
   */
  async giveBackGrant(voucher: GrantHolder, x: number): Promise<void> {
    await this.giveBackGrants([{ voucher, fen: x }]);
  }

  /**
   * giveBackGrant for several vouchers at once (a claim's decision): one guarded update per grant row, the rows taken
   * in grantRowOrder, so that a unit spanning several enterprises locks them in the order every unit does.
   */
  async giveBackGrants(back: { voucher: GrantHolder; fen: number }[]): Promise<void> {
    for (const row of grantGiveBacks(back)) {
      if (!(await this.grants.giveBack(row.regionCode, row.year, row.subject, row.fen))) {
        throw new DomainError('INVALID_STATE', `the annual grant of ${row.subject} is below the ${row.fen} fen given back`);
      }
    }
  }
}
