import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, LessThanOrEqual } from 'typeorm';
import { canRead, scopeList } from '../common/auth/scope';
import { clock, isoPlusDays } from '../common/clock';
import { Actor, requestContext } from '../common/context/request-context';
import { TransactionService } from '../common/database/transaction.service';
import { invalidState, notFound, ruleBroken } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { insertRows } from '../common/database/statements';
import { newId } from '../common/ids';
import { Sweeps } from '../common/sweeps';
import { LedgerService } from '../ledger/ledger.service';
import { Voucher } from '../vouchers/voucher.entity';
import { QuotesService, assertFeeInRange, ownVoucher } from './quotes.service';
import { effectiveRedemptionStatus, HoldInput, RedemptionQuery, RedemptionView } from './redemption.dto';
import { Redemption, RedemptionStatus } from './redemption.entity';
import { captureSubsidy, provinceOf } from './redemption.rules';

const SWEEP_BATCH = 200;

/** A capture or cancellation found the hold past its expiry (see `closing`). */
class HoldExpired extends Error {
  constructor(readonly expiresAt: string) {
    super(`the hold expired at ${expiresAt}`);
  }
}

type Closing = Partial<Redemption> & { status: Exclude<RedemptionStatus, 'held'> };

/**
 * Holds, captures, cancellations and expiry of redemptions. Each is one transaction in which the
 * status changes by a guarded update first and only then does money move in the ledger, so of two
 * racing closings of the same hold exactly one wins, on every database.
 */
@Injectable()
export class RedemptionsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly ledger: LedgerService,
    private readonly quotes: QuotesService,
    @InjectDataSource() private readonly dataSource: DataSource,
    sweeps: Sweeps,
  ) {
    sweeps.register('hold-expiry', () => this.expireDue());
  }

  /** Places a hold for the subsidy the voucher's pinned policy grants; a rule that forbids it is a 422 with its code. */
  hold(actor: Actor, input: HoldInput): Promise<RedemptionView> {
    return this.tx.run(async (em) => {
      // The voucher's row lock orders concurrent holds: each evaluates the balance the previous one left.
      const voucher = ownVoucher(actor, await this.tx.lock(em, Voucher, { id: input.voucherId }));
      const { evaluation: e, policy, facility } = await this.quotes.evaluate(em, voucher, input.facilityId, input.quantity, input.mode);
      if (e.refusal) throw ruleBroken(e.refusal.code, e.refusal.message);
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
        quantity: input.quantity,
        unitPriceFen: facility.unitPriceFen,
        feeFen: e.feeFen,
        ratioBp: e.ratioBp,
        subsidyFen: e.subsidyFen,
        selfPayFen: e.selfPayFen,
        perRedemptionCapFen: policy.terms.perRedemptionCapFen,
        actualQuantity: null,
        capturedFeeFen: null,
        capturedSubsidyFen: null,
        approvedFen: null,
        status: 'held',
        policyId: policy.id,
        expiresAt: isoPlusDays(now, policy.terms.holdExpiryDays),
        claimId: null,
        capturedAt: null,
        closedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await insertRows(em, Redemption, [redemption]);
      await this.ledger.hold(em, voucher.id, e.subsidyFen, redemption.id);
      this.audit(redemption, 'redemption.held', {
        serial: voucher.serial,
        facilityId: facility.id,
        mode: e.mode,
        quantity: input.quantity,
        feeFen: e.feeFen,
        ratioBp: e.ratioBp,
        subsidyFen: e.subsidyFen,
        crossProvince: e.crossProvince,
      });
      return RedemptionView.of(redemption);
    });
  }

  /** The facility's provider records actual usage: the subsidy is recomputed, never above the hold, and the rest released. */
  capture(actor: Actor, id: string, actualQuantity: number): Promise<RedemptionView> {
    return this.closing(id, async (em) => {
      const r = await this.loadUnexpired(em, actor, id, ['providerId']);
      assertFeeInRange(r.unitPriceFen, actualQuantity, 'actualQuantity');
      const c = captureSubsidy({
        unitPriceFen: r.unitPriceFen,
        actualQuantity,
        ratioBp: r.ratioBp,
        heldSubsidyFen: r.subsidyFen,
        perRedemptionCapFen: r.perRedemptionCapFen,
      });
      const now = clock.iso();
      const changes: Closing = {
        status: 'captured',
        actualQuantity,
        feeFen: c.feeFen,
        subsidyFen: c.subsidyFen,
        selfPayFen: c.selfPayFen,
        capturedFeeFen: c.feeFen,
        capturedSubsidyFen: c.subsidyFen,
        capturedAt: now,
        closedAt: now,
        updatedAt: now,
      };
      await this.closeHeld(em, r, changes);
      await this.ledger.capture(em, r.voucherId, r.subsidyFen, c.subsidyFen, r.id);
      this.audit(r, 'redemption.captured', {
        actualQuantity,
        feeFen: c.feeFen,
        heldFen: r.subsidyFen,
        capturedFen: c.subsidyFen,
        releasedFen: c.releasedFen,
      });
      return RedemptionView.of({ ...r, ...changes });
    });
  }

  /** The enterprise or the provider calls off a hold: all of it goes back to the voucher. */
  cancel(actor: Actor, id: string): Promise<RedemptionView> {
    return this.closing(id, async (em) => {
      const r = await this.loadUnexpired(em, actor, id, ['enterpriseId', 'providerId']);
      const now = clock.iso();
      const changes: Closing = { status: 'cancelled', closedAt: now, updatedAt: now };
      await this.closeHeld(em, r, changes);
      await this.ledger.releaseHold(em, r.voucherId, r.subsidyFen, r.id, 'redemption.cancel');
      this.audit(r, 'redemption.cancelled', { releasedFen: r.subsidyFen, by: actor.role });
      return RedemptionView.of({ ...r, ...changes });
    });
  }

  /** Holds past their expiry: status expired, the held subsidy back to the voucher (a scheduled sweep). */
  async expireDue(): Promise<number> {
    const due = await this.dataSource.getRepository(Redemption).find({
      select: { id: true },
      where: { status: 'held', expiresAt: LessThanOrEqual(clock.iso()) },
      order: { expiresAt: 'ASC' },
      take: SWEEP_BATCH,
    });
    let expired = 0;
    for (const { id } of due) expired += (await this.expire(id)) ? 1 : 0;
    return expired;
  }

  async list(actor: Actor, q: RedemptionQuery): Promise<Page<RedemptionView>> {
    const query = this.dataSource
      .getRepository(Redemption)
      .createQueryBuilder('r')
      .orderBy('r.createdAt', 'DESC')
      .addOrderBy('r.id', 'DESC');
    scopeList(query, actor, { region: 'r.issuing_region_code', orgs: ['r.enterprise_id', 'r.provider_id'] });
    const now = clock.iso();
    if (q.status === 'held') query.andWhere("r.status = 'held' AND r.expiresAt > :now", { now });
    else if (q.status === 'expired') query.andWhere("(r.status = 'expired' OR (r.status = 'held' AND r.expiresAt <= :now))", { now });
    else if (q.status) query.andWhere('r.status = :status', { status: q.status });
    const [items, total] = await query.take(q.limit).skip(q.offset).getManyAndCount();
    return { items: items.map(RedemptionView.of), total };
  }

  /** The enterprise, the provider, the bureau of the issuing region and the platform may read it; to others it does not exist. */
  async get(actor: Actor, id: string): Promise<RedemptionView> {
    const r = await this.dataSource.getRepository(Redemption).findOneBy({ id });
    if (!r || !canRead(actor, { organizationIds: [r.enterpriseId, r.providerId], regionCodes: [r.issuingRegionCode] }))
      throw notFound('redemption');
    return RedemptionView.of(r);
  }

  /**
   * Runs a capture or cancellation. A hold past its expiry cannot be captured or cancelled: the work's
   * transaction rolls back, the hold is expired in a transaction of its own (which must commit although
   * the request is refused), then 409.
   */
  private async closing(id: string, work: (em: EntityManager) => Promise<RedemptionView>): Promise<RedemptionView> {
    try {
      return await this.tx.run(work);
    } catch (e) {
      if (!(e instanceof HoldExpired)) throw e;
      await requestContext.run({ ...requestContext.getStore(), idempotency: undefined }, () => this.expire(id));
      throw invalidState(`the hold expired at ${e.expiresAt}; its subsidy went back to the voucher`);
    }
  }

  private expire(id: string): Promise<boolean> {
    return this.tx.run(async (em) => {
      const r = await em.getRepository(Redemption).findOneBy({ id });
      if (!r || r.status !== 'held' || r.expiresAt > clock.iso()) return false;
      const now = clock.iso();
      if (!(await this.closeHeld(em, r, { status: 'expired', closedAt: now, updatedAt: now }, false))) return false;
      await this.ledger.releaseHold(em, r.voucherId, r.subsidyFen, r.id, 'redemption.expired');
      this.audit(r, 'redemption.expired', { releasedFen: r.subsidyFen, expiresAt: r.expiresAt });
      return true;
    });
  }

  /** A redemption the actor is a party to (as one of `parties`), another organization's being 404; HoldExpired if held past expiry. */
  private async loadUnexpired(
    em: EntityManager,
    actor: Actor,
    id: string,
    parties: ('enterpriseId' | 'providerId')[],
  ): Promise<Redemption> {
    const r = await em.getRepository(Redemption).findOneBy({ id });
    if (!r || !actor.organizationId || !parties.some((p) => r[p] === actor.organizationId)) throw notFound('redemption');
    if (r.status === 'held' && r.expiresAt <= clock.iso()) throw new HoldExpired(r.expiresAt);
    return r;
  }

  /**
   * held → closed by one guarded update, before any money moves: a concurrent capture, cancel or expiry
   * of the same hold finds no held row and changes nothing (409, or false when `strict` is off).
   */
  private async closeHeld(em: EntityManager, r: Redemption, changes: Closing, strict = true): Promise<boolean> {
    const status = effectiveRedemptionStatus(r);
    if (strict && status !== 'held') throw invalidState(`the redemption is ${status}; only a held redemption can be ${changes.status}`);
    const result = await em
      .getRepository(Redemption)
      .createQueryBuilder()
      .update()
      .set(changes)
      .where({ id: r.id })
      .andWhere("status = 'held'")
      .execute();
    if (!result.affected && strict) throw invalidState(`the redemption is no longer held; it cannot be ${changes.status}`);
    return !!result.affected;
  }

  private audit(r: Redemption, action: string, summary: Record<string, unknown>): void {
    this.tx.audit({
      action,
      entityType: 'redemption',
      entityId: r.id,
      regionCode: r.issuingRegionCode,
      organizationId: r.enterpriseId,
      summary,
    });
  }
}
