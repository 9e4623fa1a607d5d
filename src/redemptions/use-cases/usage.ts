import { Injectable } from '@nestjs/common';
import { BookingRepository } from '../../bookings/booking.repository';
import { assertBureauOf } from '../../common/auth/scope';
import { clock } from '../../common/clock';
import { Actor } from '../../common/context/request-context';
import { catalogued, notFound } from '../../common/errors/domain-error';
import { UnitOfWork } from '../../common/persistence/unit-of-work';
import { Sweeps } from '../../common/sweeps';
import { ok, Outcome, refusedBy } from '../../common/use-case';
import { FacilityRating } from '../../facilities/facility.entity';
import { FacilityRepository } from '../../facilities/facility.repository';
import { HoldRelease } from '../../vouchers/use-cases/hold-release';
import { VoucherRepository } from '../../vouchers/voucher.repository';
import { Redemption } from '../redemption.entity';
import { RedemptionRepository, Resolution } from '../redemption.repository';
import { captureSubsidy, facilityUsageChanges, facilityUsageOf } from '../redemption.rules';
import { redemptionTransition, usageTransition } from '../redemption.states';
import { usageConfirmedBySilence } from '../redemption.time-rules';
import { redemptionEntry } from '../redemption.entry';

const SWEEP_BATCH = 200;

/**
 * The usage of a captured redemption, read for a decision on it, with silence applied first: pending usage whose
 * window closed is confirmed in passing (that change commits with the unit), exactly as the sweep would.
 */
@Injectable()
export class UsageRecord {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly redemptions: RedemptionRepository,
  ) {}

  async settleSilence(r: Redemption): Promise<Redemption> {
    const now = clock.iso();
    if (!usageConfirmedBySilence.holds(r, now) || !(await this.redemptions.confirmBySilence(r.id, now))) return r;
    this.uow.record(redemptionEntry(r, 'redemption.usage_confirmed', { by: 'silence', dueAt: r.usageDueAt }));
    return { ...r, usage: 'confirmed', usageDecidedAt: r.usageDueAt, updatedAt: now };
  }

  /** The caller's captured redemption as its enterprise, with silence applied; another's is 404. */
  async ofEnterprise(actor: Actor, id: string): Promise<Redemption> {
    const r = (await this.redemptions.lockMany([id]))[0];
    if (!r || r.enterpriseId !== actor.organizationId) throw notFound('redemption');
    return this.settleSilence(r);
  }
}

const notCaptured = (r: Redemption) => refusedBy(catalogued('INVALID_STATE', 'usage.notCaptured', { status: r.status }));
const alreadyDecided = (usage: string) => refusedBy(catalogued('INVALID_STATE', 'usage.alreadyDecided', { usage }));
const decidedMeanwhile = () => refusedBy(catalogued('INVALID_STATE', 'usage.decidedMeanwhile'));

/** The enterprise confirms the usage the provider captured: from then on it can be claimed. */
@Injectable()
export class ConfirmUsage {
  static readonly refusals = ['NOT_FOUND', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly redemptions: RedemptionRepository,
    private readonly usage: UsageRecord,
  ) {}

  execute(cmd: { actor: Actor; redemptionId: string }): Promise<Outcome<Redemption>> {
    return this.uow.run(async () => {
      const r = await this.usage.ofEnterprise(cmd.actor, cmd.redemptionId);
      if (!usageTransition(r.usage, 'confirm')) return r.usage ? alreadyDecided(r.usage) : notCaptured(r);
      const now = clock.iso();
      if (!(await this.redemptions.decideUsage(r.id, 'confirmed', now, null))) return decidedMeanwhile();
      this.uow.record(redemptionEntry(r, 'redemption.usage_confirmed', { by: 'enterprise', capturedQuantity: r.capturedQuantity }));
      return ok({ ...r, usage: 'confirmed' as const, usageDecidedAt: now, updatedAt: now });
    });
  }
}

/** The enterprise disputes the usage within its window: nobody can claim it until the issuing bureau resolves it. */
@Injectable()
export class DisputeUsage {
  static readonly refusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly redemptions: RedemptionRepository,
    private readonly usage: UsageRecord,
  ) {}

  execute(cmd: { actor: Actor; redemptionId: string; reason: string }): Promise<Outcome<Redemption>> {
    return this.uow.run(async () => {
      const r = await this.usage.ofEnterprise(cmd.actor, cmd.redemptionId);
      if (!usageTransition(r.usage, 'dispute')) {
        if (!r.usage) return notCaptured(r);
        const silent = r.usageDecidedAt === r.usageDueAt && r.usage === 'confirmed';
        return silent
          ? refusedBy(catalogued('INVALID_STATE', 'usage.disputeWindowClosed', { dueAt: r.usageDueAt! }))
          : alreadyDecided(r.usage);
      }
      const now = clock.iso();
      const reason = cmd.reason.trim();
      if (!(await this.redemptions.decideUsage(r.id, 'disputed', now, reason))) return decidedMeanwhile();
      await this.redemptions.recordDispute(r, now);
      this.uow.record(redemptionEntry(r, 'redemption.usage_disputed', { reason, capturedQuantity: r.capturedQuantity }));
      return ok({ ...r, usage: 'disputed' as const, usageDecidedAt: now, disputeReason: reason, updatedAt: now });
    });
  }
}

/**
 * The issuing bureau settles a dispute at the usage it found, never more than was captured: the subsidy is
 * recomputed on it and the difference goes back (to the voucher, or the budget when the voucher closed); zero
 * annuls the capture. The usage is then confirmed and can be claimed; a booking's hours used read what was found.
 */
@Injectable()
export class ResolveDispute {
  static readonly refusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'FORBIDDEN', 'INVALID_STATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly redemptions: RedemptionRepository,
    private readonly vouchers: VoucherRepository,
    private readonly release: HoldRelease,
    private readonly bookings: BookingRepository,
    private readonly facilities: FacilityRepository,
  ) {}

  execute(cmd: { actor: Actor; redemptionId: string; actualQuantity: number }): Promise<Outcome<Redemption>> {
    return this.uow.run(async () => {
      const found = await this.redemptions.get(cmd.redemptionId);
      if (!found) throw notFound('redemption');
      assertBureauOf(cmd.actor, found.issuingRegionCode, 'this redemption');
      await this.vouchers.lock(found.voucherId); // voucher before redemption, as every unit locks them
      const r = (await this.redemptions.lockMany([found.id]))[0];
      if (!usageTransition(r.usage, 'resolve'))
        return refusedBy(catalogued('INVALID_STATE', 'usage.notDisputed', { usage: r.usage ?? 'not captured' }));
      if (cmd.actualQuantity > r.capturedQuantity!) {
        const unit = (await this.facilities.get(r.facilityId))!.unit; // the redemption keeps no unit; its facility does
        throw catalogued('VALIDATION_FAILED', 'usage.resolutionOverCaptured', { captured: r.capturedQuantity!, unit });
      }
      const c = captureSubsidy({
        unitPriceFen: r.unitPriceFen,
        actualQuantity: cmd.actualQuantity,
        ratioBp: r.ratioBp,
        heldSubsidyFen: r.capturedSubsidyFen!,
        perRedemptionCapFen: r.perRedemptionCapFen,
      });
      const now = clock.iso();
      const resolution: Resolution = {
        status: cmd.actualQuantity === 0 ? redemptionTransition(r.status, 'annul')! : r.status,
        capturedQuantity: cmd.actualQuantity,
        capturedFeeFen: c.feeFen,
        capturedSubsidyFen: c.subsidyFen,
        usageDecidedAt: now,
        updatedAt: now,
      };
      if (!(await this.redemptions.resolve(r.id, resolution))) return refusedBy(catalogued('INVALID_STATE', 'usage.resolvedMeanwhile'));
      const to = await this.release.uncapture(r, c.releasedFen);
      // The flows' summary follows the capture: lowered, or gone when the resolution annuls it (after the money, as
      // every unit locks a flow row after the grant rows and the budget).
      const kept = resolution.status === 'captured';
      const [lessRedemptions, lessFen] = [kept ? 0 : 1, r.capturedSubsidyFen! - (kept ? c.subsidyFen : 0)];
      if (lessRedemptions !== 0 || lessFen !== 0) await this.redemptions.addCapturedFlow(r, -lessRedemptions, -lessFen);
      // Its facility's usage likewise: the capture taken off, and what the resolution keeps put back.
      const was = { quantity: r.capturedQuantity!, feeFen: r.capturedFeeFen!, subsidyFen: r.capturedSubsidyFen! };
      const resolvedTo = { quantity: cmd.actualQuantity, feeFen: c.feeFen, subsidyFen: c.subsidyFen };
      for (const u of facilityUsageChanges([facilityUsageOf(r, -1, was), ...(kept ? [facilityUsageOf(r, 1, resolvedTo)] : [])])) {
        await this.redemptions.addFacilityUsage(u);
      }
      await this.bookings.resolveUsage(r.id, cmd.actualQuantity, now);
      this.uow.record(
        redemptionEntry(r, 'redemption.dispute_resolved', {
          resolvedBy: cmd.actor.userId,
          capturedQuantity: r.capturedQuantity,
          actualQuantity: cmd.actualQuantity,
          status: resolution.status,
          capturedFeeFen: c.feeFen,
          capturedFen: c.subsidyFen,
          returnedFen: c.releasedFen,
          returnedTo: to,
        }),
      );
      return ok({ ...r, ...resolution, usage: 'confirmed' as const });
    });
  }
}

/** The enterprise rates a service whose usage it confirmed, once; the facility's average counts it. */
@Injectable()
export class RateService {
  static readonly refusals = ['VALIDATION_FAILED', 'NOT_FOUND', 'INVALID_STATE', 'DUPLICATE'] as const;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly facilities: FacilityRepository,
    private readonly usage: UsageRecord,
  ) {}

  execute(cmd: { actor: Actor; redemptionId: string; score: number; comment?: string }): Promise<Outcome<FacilityRating>> {
    return this.uow.run(async () => {
      const r = await this.usage.ofEnterprise(cmd.actor, cmd.redemptionId);
      if (r.status !== 'captured' || r.usage !== 'confirmed') {
        return refusedBy(catalogued('INVALID_STATE', 'usage.rateOnceConfirmed'));
      }
      if (await this.facilities.rated(r.id)) return refusedBy(catalogued('DUPLICATE', 'usage.ratedAlready'));
      const rating: FacilityRating = {
        redemptionId: r.id,
        facilityId: r.facilityId,
        enterpriseId: r.enterpriseId,
        score: cmd.score,
        comment: cmd.comment?.trim() || null,
        createdAt: clock.iso(),
      };
      await this.facilities.rate(rating);
      // Not the lab's record or event: ratings are public without their author, and the lab knows its redemptions,
      // so an event naming the redemption at the rating's instant would tell it who wrote each comment.
      this.uow.record({ ...redemptionEntry(r, 'facility.rated', { facilityId: r.facilityId, score: rating.score }), counterpartyId: null });
      return ok(rating);
    });
  }
}

/** Pending usage whose window closed: confirmed by silence (a sweep any node may run; claims also do it in passing). */
@Injectable()
export class ConfirmUsageBySilence {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly redemptions: RedemptionRepository,
    private readonly usage: UsageRecord,
    sweeps: Sweeps,
  ) {
    sweeps.register('usage-confirmation', () => this.execute());
  }

  async execute(): Promise<number> {
    let confirmed = 0;
    for (const id of await this.redemptions.silentlyConfirmed(clock.iso(), SWEEP_BATCH)) {
      const done = await this.uow.run(async () => {
        const r = await this.redemptions.get(id);
        return r ? (await this.usage.settleSilence(r)) !== r : false;
      });
      if (done) confirmed++;
    }
    return confirmed;
  }
}
