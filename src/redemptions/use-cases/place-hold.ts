import { Injectable } from '@nestjs/common';
import { clock, isoPlusDays } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { newId } from '../../common/ids';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { catalogued } from '../../common/errors/domain-error';
import { ok, Outcome, refusedBy, refusedFor } from '../../common/use-case';
import { BookingRepository } from '../../bookings/booking.repository';
import { FacilityRepository } from '../../facilities/facility.repository';
import { LedgerService } from '../../ledger/ledger.service';
import { OrganizationRepository } from '../../organizations/organization.repository';
import { RedemptionMode } from '../../policies/policy.types';
import { VoucherRepository } from '../../vouchers/voucher.repository';
import { Redemption } from '../redemption.entity';
import { redemptionEntry } from '../redemption.entry';
import { RedemptionRepository } from '../redemption.repository';
import { provinceOf } from '../redemption.rules';
import { Evaluated, ownVoucher, Quotes } from '../quotes';

export interface PlaceHoldCommand {
  actor: Actor;
  voucherId: string;
  facilityId: string;
  quantity: number;
  mode?: RedemptionMode;
  /** When the policy's hold expiry starts to run: now, or a booking's end (its hold lasts until end + holdExpiryDays). */
  holdFrom?: string;
  /** This very order as the caller priced it in this unit, under the voucher's lock (a booking): not priced again. */
  evaluated?: Evaluated;
  /** Set by BookSlot: the hours are taken on the facility's calendar in the same unit. */
  viaBooking?: boolean;
}

/** An enterprise orders a quantity at a facility: the subsidy its voucher's pinned policy grants is held on the voucher. */
@Injectable()
export class PlaceHold {
  /** What an order and a booking alike may be refused for. */
  static readonly ruleRefusals = [
    'VALIDATION_FAILED',
    'NOT_FOUND',
    'INVALID_STATE',
    'VOUCHER_NOT_ACTIVE',
    'VOUCHER_EXPIRED',
    'PROVIDER_NOT_ACTIVE',
    'SANCTIONED',
    'MODE_NOT_ALLOWED',
    'CATEGORY_NOT_COVERED',
    'PROVINCE_NOT_ACCEPTED',
    'RELATED_PARTY',
    'VOUCHER_INSUFFICIENT_BALANCE',
    'NOT_QUALIFIED',
  ] as const;
  /** An order without a booking is also refused on a facility whose hours are booked on its calendar. */
  static readonly refusals = [...PlaceHold.ruleRefusals, 'BOOKING_REQUIRED'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly vouchers: VoucherRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly quotes: Quotes,
    private readonly ledger: LedgerService,
    private readonly facilities: FacilityRepository,
    private readonly organizations: OrganizationRepository,
    private readonly bookings: BookingRepository,
  ) {}

  execute(cmd: PlaceHoldCommand): Promise<Outcome<Redemption>> {
    return this.uow.run(async () => {
      // The voucher's row lock orders concurrent holds: each evaluates the balance the previous one left.
      const voucher = ownVoucher(cmd.actor, await this.vouchers.lock(cmd.voucherId));
      if (!cmd.evaluated) await this.shareParties(voucher.enterpriseId, cmd.facilityId);
      const evaluated = cmd.evaluated ? ok(cmd.evaluated) : await this.quotes.evaluate(voucher, cmd.facilityId, cmd.quantity, cmd.mode);
      if (!evaluated.ok) return evaluated;
      const { evaluation: e, policy, facility } = evaluated.value;
      if (e.refusal) return refusedFor(e.refusal);
      // A facility with a calendar sells its hours as bookings: an order of hours beside it would take no slot, skip the
      // notice, the advance and the cap, and let the lab capture hours its calendar gave to others. A quote still
      // prices it (for the booking); the rules' refusals, which a booking would give too, come first. Only an hourly
      // facility has a calendar (and a unit never changes): the others' holds skip the read.
      if (!cmd.viaBooking && facility.unit === 'hour' && (await this.bookings.calendar(facility.id))) {
        return refusedBy(catalogued('BOOKING_REQUIRED', 'bookings.bookingRequired', { facilityId: facility.id }));
      }
      const now = clock.iso();
      const redemption: Redemption = {
        id: newId(),
        voucherId: voucher.id,
        facilityId: facility.id,
        providerId: facility.providerId,
        enterpriseId: voucher.enterpriseId,
        payeeId: e.mode === 'provider_redeemed' ? facility.providerId : voucher.enterpriseId,
        issuingRegionCode: voucher.issuingRegionCode,
        budgetYear: voucher.budgetYear,
        providerProvinceCode: provinceOf(facility.provinceCode),
        crossProvince: e.crossProvince,
        mode: e.mode,
        quantity: cmd.quantity,
        unitPriceFen: facility.unitPriceFen,
        feeFen: e.feeFen,
        ratioBp: e.ratioBp,
        subsidyFen: e.subsidyFen,
        selfPayFen: e.selfPayFen,
        perRedemptionCapFen: policy.terms.perRedemptionCapFen,
        capturedQuantity: null,
        capturedFeeFen: null,
        capturedSubsidyFen: null,
        approvedFen: null,
        status: 'held',
        policyId: policy.id,
        expiresAt: isoPlusDays(cmd.holdFrom ?? now, policy.terms.holdExpiryDays),
        claimId: null,
        capturedAt: null,
        closedAt: null,
        createdAt: now,
        updatedAt: now,
        usage: null,
        usageDueAt: null,
        usageDecidedAt: null,
        disputeReason: null,
      };
      await this.redemptions.insert(redemption);
      await this.ledger.hold(voucher.id, e.subsidyFen, redemption.id);
      this.uow.record(
        redemptionEntry(redemption, 'redemption.held', {
          serial: voucher.serial,
          facilityId: facility.id,
          mode: e.mode,
          quantity: cmd.quantity,
          unitPriceFen: redemption.unitPriceFen,
          feeFen: e.feeFen,
          ratioBp: e.ratioBp,
          subsidyFen: e.subsidyFen,
          selfPayFen: redemption.selfPayFen,
          crossProvince: e.crossProvince,
          policyId: redemption.policyId,
          expiresAt: redemption.expiresAt,
        }),
      );
      return ok(redemption);
    });
  }

  /**
   * After the voucher, the enterprise's and the lab's rows under shared locks, before they and the sanction list are
   * read: a suspension or a sanction in flight is waited for and then read as committed, and none commits until this
   * hold has (a plain read let a hold commit on the lab as it was before a suspension that committed first). A booking
   * takes them itself before it prices the order (BookSlot).
   * The facility's row first, shared: the lock the redemption's foreign key takes anyway, taken before the calendar is
   * read. A first calendar (which locks the row exclusively) in flight is waited for and then read; read plainly, a
   * hold that missed it committed beside it.
   */
  private async shareParties(enterpriseId: string, facilityId: string): Promise<void> {
    const facility = await this.facilities.share(facilityId);
    if (facility) await this.organizations.shareParties(enterpriseId, facility.providerId);
  }
}
