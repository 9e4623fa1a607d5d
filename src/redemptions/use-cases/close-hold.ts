import { Injectable } from '@nestjs/common';
import { clock, isoPlusDays } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { catalogued, notFound, Refusal } from '../../common/errors/domain-error';
import { BookingRepository } from '../../bookings/booking.repository';
import { FacilityRepository } from '../../facilities/facility.repository';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { ok, Outcome, refusedBy, refusedFor } from '../../common/use-case';
import { OrganizationRepository } from '../../organizations/organization.repository';
import { OrganizationsService } from '../../organizations/organizations.service';
import { withNoticeEnded } from '../../organizations/organization.time-rules';
import { PartyRelationRepository } from '../../oversight/party-relation.repository';
import { SanctionRepository } from '../../oversight/sanction.repository';
import { PoliciesService } from '../../policies/policies.service';
import { HoldRelease } from '../../vouchers/use-cases/hold-release';
import { VoucherRepository } from '../../vouchers/voucher.repository';
import { Redemption } from '../redemption.entity';
import { Closing, RedemptionRepository } from '../redemption.repository';
import { captureRefusal, captureSubsidy, facilityUsageOf, partyGroup } from '../redemption.rules';
import { redemptionTransition } from '../redemption.states';
import { holdExpired } from '../redemption.time-rules';
import { assertFeeInRange, withRecorded } from '../quotes';
import { redemptionEntry } from '../redemption.entry';

export interface CaptureHoldCommand {
  actor: Actor;
  redemptionId: string;
  actualQuantity: number;
  /** Set by the booking use cases: the hold is closed together with its booking. */
  viaBooking?: boolean;
}

export interface CancelHoldCommand {
  actor: Actor;
  redemptionId: string;
  viaBooking?: boolean;
}

/**
 * Closing a hold — capture, cancellation, expiry, or its voucher's revocation — each inside one unit of work in which
 * the voucher is locked first (the order every unit takes: voucher, then its redemptions), the redemption leaves
 * `held` by a guarded update, and only then does money move; of two racing closings of one hold exactly one wins. A
 * capture or cancellation that finds the hold past its expiry expires it in passing (that change commits) and is
 * refused.
 */
@Injectable()
export class HoldClosing {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly redemptions: RedemptionRepository,
    private readonly vouchers: VoucherRepository,
    private readonly release: HoldRelease,
    private readonly bookings: BookingRepository,
  ) {}

  /** A redemption the actor is a party to (as one of `parties`), with its voucher locked; another organization's is 404. */
  async partyTo(actor: Actor, id: string, parties: ('enterpriseId' | 'providerId')[]): Promise<Redemption> {
    const found = await this.redemptions.get(id);
    if (!found || !actor.organizationId || !parties.some((p) => found[p] === actor.organizationId)) throw notFound('redemption');
    await this.vouchers.lock(found.voucherId);
    return (await this.redemptions.get(id))!;
  }

  /**
   * Refuses a closing the hold's status does not allow; expires a hold found past its expiry. A booking's hold is
   * captured or cancelled only through its booking (`viaBooking`), so a live booking always has its hold.
   */
  async refusal(r: Redemption, event: 'capture' | 'cancel', viaBooking = false): Promise<Outcome<never, 'INVALID_STATE'> | null> {
    if (!viaBooking && r.status === 'held') {
      const booking = await this.bookings.byRedemption(r.id);
      if (booking) return refusedBy(catalogued('INVALID_STATE', 'holds.ofBooking', { booking: booking.id }));
    }
    if (holdExpired.holds(r, clock.iso())) {
      await this.expire(r);
      return refusedBy(catalogued('INVALID_STATE', 'holds.expired', { expiresAt: r.expiresAt }));
    }
    if (!redemptionTransition(r.status, event)) return refusedBy(catalogued('INVALID_STATE', 'holds.notHeld', { status: r.status }));
    return null;
  }

  /** Closes the hold with `changes`; false when a concurrent closing won. */
  close(r: Redemption, changes: Closing): Promise<boolean> {
    return this.redemptions.close(r.id, changes);
  }

  /**
   * A capture adds to the flows' summary and to its facility's usage, after its money moved: a flow row is locked after
   * the grant rows and the budget, and the facility's row after it, as a claim's final rejection takes them.
   */
  async countCapture(r: Redemption, captured: { quantity: number; feeFen: number; subsidyFen: number }): Promise<void> {
    await this.redemptions.addCapturedFlow(r, 1, captured.subsidyFen);
    await this.redemptions.addFacilityUsage(facilityUsageOf(r, 1, captured));
  }

  /** Expires one hold past its expiry (its voucher locked by the caller); false when it is not (or no longer) one. */
  async expire(r: Redemption): Promise<boolean> {
    if (!holdExpired.holds(r, clock.iso())) return false;
    const now = clock.iso();
    if (!(await this.redemptions.close(r.id, { status: 'expired', closedAt: now, updatedAt: now }))) return false;
    const to = await this.release.release(r, 'redemption.expired');
    this.uow.record(redemptionEntry(r, 'redemption.expired', { releasedFen: r.subsidyFen, returnedTo: to, expiresAt: r.expiresAt }));
    // A booking not completed by its end plus the hold expiry expires with its hold, and its hours are freed.
    const booking = await this.bookings.closeWithHold(r.id, 'expired', now);
    if (booking) {
      this.uow.record({
        ...redemptionEntry(r, 'booking.expired', { redemptionId: r.id, expiresAt: r.expiresAt }),
        entityType: 'booking',
        entityId: booking,
      });
    }
    return true;
  }
}

/**
 * The facility's provider records actual usage, never more than was held: the subsidy is recomputed on it, the rest
 * released. The held quantity, fee and subsidy stay on the record beside what was captured, and the enterprise then
 * has the policy's confirmDays to confirm or dispute the usage.
 */
@Injectable()
export class CaptureHold {
  static readonly refusals = [
    'VALIDATION_FAILED',
    'NOT_FOUND',
    'INVALID_STATE',
    'CAPTURE_EXCEEDS_HOLD',
    'SANCTIONED',
    'PROVIDER_NOT_ACTIVE',
    'RELATED_PARTY',
    'VOUCHER_EXPIRED',
  ] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly holds: HoldClosing,
    private readonly release: HoldRelease,
    private readonly policies: PoliciesService,
    private readonly organizations: OrganizationsService,
    private readonly sanctions: SanctionRepository,
    private readonly relations: PartyRelationRepository,
    private readonly vouchers: VoucherRepository,
    private readonly facilities: FacilityRepository,
    private readonly parties: OrganizationRepository,
  ) {}

  execute(cmd: CaptureHoldCommand): Promise<Outcome<Redemption>> {
    return this.uow.run(async () => {
      const r = await this.holds.partyTo(cmd.actor, cmd.redemptionId, ['providerId']);
      const refusal = await this.holds.refusal(r, 'capture', cmd.viaBooking);
      if (refusal) return refusal;
      const screened = await this.screen(r, cmd.viaBooking === true);
      if (screened) return refusedFor(screened);
      if (cmd.actualQuantity > r.quantity) {
        const unit = (await this.facilities.get(r.facilityId))!.unit; // the redemption keeps no unit; its facility does
        return refusedBy(catalogued('CAPTURE_EXCEEDS_HOLD', 'capture.exceedsHold', { actual: cmd.actualQuantity, held: r.quantity, unit }));
      }
      assertFeeInRange(r.unitPriceFen, cmd.actualQuantity, 'actualQuantity');
      const c = captureSubsidy({
        unitPriceFen: r.unitPriceFen,
        actualQuantity: cmd.actualQuantity,
        ratioBp: r.ratioBp,
        heldSubsidyFen: r.subsidyFen,
        perRedemptionCapFen: r.perRedemptionCapFen,
      });
      const now = clock.iso();
      const { terms } = await this.policies.load(r.policyId);
      const changes: Closing = {
        status: 'captured',
        capturedQuantity: cmd.actualQuantity,
        capturedFeeFen: c.feeFen,
        capturedSubsidyFen: c.subsidyFen,
        capturedAt: now,
        closedAt: now,
        updatedAt: now,
        usage: 'pending',
        usageDueAt: isoPlusDays(now, terms.confirmDays),
      };
      if (!(await this.holds.close(r, changes))) return refusedBy(catalogued('INVALID_STATE', 'holds.capturedMeanwhile'));
      const to = await this.release.capture(r, c.subsidyFen);
      await this.holds.countCapture(r, { quantity: cmd.actualQuantity, feeFen: c.feeFen, subsidyFen: c.subsidyFen });
      this.uow.record(
        redemptionEntry(r, 'redemption.captured', {
          actualQuantity: cmd.actualQuantity,
          feeFen: c.feeFen,
          heldFen: r.subsidyFen,
          capturedFen: c.subsidyFen,
          releasedFen: c.releasedFen,
          returnedTo: to,
        }),
      );
      return ok({ ...r, ...changes });
    });
  }

  /**
   * The parties and the voucher as they are now (see captureRefusal). A refused capture leaves the hold for the lab to
   * cancel, or to expire.
   */
  private async screen(r: Redemption, viaBooking: boolean): Promise<Refusal | null> {
    const today = clock.today();
    // After the voucher (partyTo), the parties' rows under shared locks before they and the sanction list are read, as
    // a hold takes them: a suspension or a sanction in flight is waited for and read, and none commits before this does.
    // Read plainly, 1 of about 11 captures a round committed after the lab's suspension (suspension-race-flows, MariaDB).
    await this.parties.shareParties(r.enterpriseId, r.providerId);
    const enterprise = await this.organizations.load(r.enterpriseId);
    const provider = withNoticeEnded(await this.organizations.load(r.providerId), clock.iso());
    const sanctioned = await this.sanctions.boundAmong([enterprise, provider], today);
    const recorded = await this.relations.relatedTo(partyGroup(enterprise));
    const { terms } = await this.policies.load(r.policyId);
    const voucher = (await this.vouchers.get(r.voucherId))!;
    return captureRefusal({
      today,
      validUntil: viaBooking ? null : voucher.validUntil,
      relatedPartyBan: terms.relatedPartyBan,
      enterprise: { ...withRecorded(enterprise, recorded), sanctioned: sanctioned.has(enterprise.creditCode) },
      provider: { ...provider, sanctioned: sanctioned.has(provider.creditCode) },
    });
  }
}

/** The enterprise or the provider calls off a hold: all of it goes back to the voucher. */
@Injectable()
export class CancelHold {
  static readonly refusals = ['NOT_FOUND', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly holds: HoldClosing,
    private readonly release: HoldRelease,
  ) {}

  execute(cmd: CancelHoldCommand): Promise<Outcome<Redemption>> {
    return this.uow.run(async () => {
      const r = await this.holds.partyTo(cmd.actor, cmd.redemptionId, ['enterpriseId', 'providerId']);
      const refusal = await this.holds.refusal(r, 'cancel', cmd.viaBooking);
      if (refusal) return refusal;
      const now = clock.iso();
      const changes: Closing = { status: 'cancelled', closedAt: now, updatedAt: now };
      if (!(await this.holds.close(r, changes))) return refusedBy(catalogued('INVALID_STATE', 'holds.cancelledMeanwhile'));
      const to = await this.release.release(r, 'redemption.cancel');
      this.uow.record(redemptionEntry(r, 'redemption.cancelled', { releasedFen: r.subsidyFen, returnedTo: to, by: cmd.actor.role }));
      return ok({ ...r, ...changes });
    });
  }
}
