import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Claim } from '../claims/claim.entity';
import { assertBureauOf, canRead, provinceOfRegion, scopeList } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { insertRows } from '../common/database/statements';
import { TransactionService } from '../common/database/transaction.service';
import { invalidState, notFound, ruleBroken } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { StatementData } from '../documents/documents.service';
import { LedgerService } from '../ledger/ledger.service';
import { Organization } from '../organizations/organization.entity';
import { PoliciesService } from '../policies/policies.service';
import { addDays, settlementPeriod } from '../policies/policy.rules';
import { bureauName, regionName } from '../regions/regions.data';
import { SettlementQuery, SettlementSummary, SettlementView } from './settlement.dto';
import { Settlement, SettlementLine } from './settlement.entity';

interface PayeeTotal {
  payeeId: string;
  payeeName: string;
  payeeProvinceCode: string;
  amountFen: string | number;
}

/**
 * Settlement batches. Everything scales with the number of payees, not of claims: claims are marked and
 * summed by the database, so a batch of 100,000 claims costs a handful of statements.
 */
@Injectable()
export class SettlementService {
  constructor(
    private readonly tx: TransactionService,
    private readonly ledger: LedgerService,
    private readonly policies: PoliciesService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Takes every approved, unsettled claim of the region (approved by periodEnd when given) into a new
   * batch. The guarded UPDATE is what keeps a claim in one batch: a concurrent run waits for the row
   * locks, then finds settlement_id set and takes nothing.
   */
  create(actor: Actor, regionCode: string, periodEnd?: string): Promise<SettlementView> {
    assertBureauOf(actor, regionCode, 'settlement of this region');
    return this.tx.run(async (em) => {
      const id = newId();
      const mark = em
        .getRepository(Claim)
        .createQueryBuilder()
        .update()
        .set({ settlementId: id })
        .where("issuing_region_code = :regionCode AND status = 'approved' AND settlement_id IS NULL", { regionCode });
      // Instants are ISO UTC strings: everything decided on periodEnd sorts before the next day.
      if (periodEnd) mark.andWhere('decided_at < :nextDay', { nextDay: addDays(periodEnd, 1) });
      const marked = await mark.execute();
      if (!marked.affected)
        throw invalidState(
          `nothing to settle: region ${regionCode} has no approved claim outside a batch${periodEnd ? ` approved by ${periodEnd}` : ''}`,
        );

      const totals = await em
        .getRepository(Claim)
        .createQueryBuilder('c')
        .innerJoin(Organization, 'o', 'o.id = c.claimantId')
        .select('c.claimantId', 'payeeId')
        .addSelect('o.name', 'payeeName')
        .addSelect('o.provinceCode', 'payeeProvinceCode')
        .addSelect('SUM(c.approvedFen)', 'amountFen')
        .where('c.settlementId = :id', { id })
        .groupBy('c.claimantId')
        .addGroupBy('o.name')
        .addGroupBy('o.provinceCode')
        .getRawMany<PayeeTotal>();
      const issuingProvinceCode = provinceOfRegion(regionCode);
      const lines: SettlementLine[] = totals.map((t) => ({
        id: newId(),
        settlementId: id,
        payeeId: t.payeeId,
        payeeName: t.payeeName,
        payeeProvinceCode: t.payeeProvinceCode,
        issuingProvinceCode,
        amountFen: Number(t.amountFen),
        paidAt: null,
      }));
      const totalFen = lines.reduce((sum, l) => sum + l.amountFen, 0);
      if (!Number.isSafeInteger(totalFen))
        throw invalidState('the batch total exceeds what one settlement can carry; settle with an earlier periodEnd');
      const settlement: Settlement = {
        id,
        regionCode,
        periodLabel: await this.periodLabel(em, regionCode, periodEnd ?? clock.today()),
        periodEnd: periodEnd ?? null,
        status: 'open',
        totalFen,
        paymentRef: null,
        createdBy: actor.userId,
        createdAt: clock.iso(),
        paidAt: null,
      };
      await em.getRepository(Settlement).insert(settlement);
      await insertRows(em, SettlementLine, lines);
      this.tx.audit({
        action: 'settlement.created',
        entityType: 'settlement',
        entityId: settlement.id,
        regionCode,
        summary: {
          periodLabel: settlement.periodLabel,
          periodEnd: settlement.periodEnd,
          totalFen: settlement.totalFen,
          payees: lines.length,
          claims: marked.affected,
        },
      });
      return this.view(em, settlement);
    });
  }

  /** open → paid once: records the payment reference and moves each payee's payable to paid in the ledger. */
  pay(actor: Actor, id: string, paymentRef: string): Promise<SettlementView> {
    return this.tx.run(async (em) => {
      const settlement = await this.tx.lock(em, Settlement, { id });
      if (!settlement) throw notFound('settlement');
      assertBureauOf(actor, settlement.regionCode, 'settlements of this region');
      if (settlement.status !== 'open')
        throw invalidState(`the settlement was already paid (${settlement.paymentRef}) at ${settlement.paidAt}`);
      const paidAt = clock.iso();
      const paid = await em
        .getRepository(Settlement)
        .createQueryBuilder()
        .update()
        .set({ status: 'paid', paymentRef, paidAt })
        .where("id = :id AND status = 'open'", { id })
        .execute();
      if (!paid.affected) throw invalidState('the settlement was paid concurrently');
      await em.getRepository(SettlementLine).update({ settlementId: id }, { paidAt });
      const view = await this.view(em, { ...settlement, status: 'paid', paymentRef, paidAt });
      await this.ledger.payOut(em, settlement.regionCode, view.lines, id);
      this.tx.audit({
        action: 'settlement.paid',
        entityType: 'settlement',
        entityId: id,
        regionCode: settlement.regionCode,
        summary: { paymentRef, totalFen: settlement.totalFen, payees: view.lines.length },
      });
      return view;
    });
  }

  async get(actor: Actor, id: string): Promise<SettlementView> {
    return this.view(this.dataSource.manager, await this.readable(actor, id));
  }

  /** Bureaus see their region's batches (a province also its cities'), the platform all. */
  async list(actor: Actor, q: SettlementQuery): Promise<Page<SettlementSummary>> {
    const query = this.dataSource
      .getRepository(Settlement)
      .createQueryBuilder('s')
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC');
    scopeList(query, actor, { region: 's.region_code', orgs: [] });
    if (q.regionCode) query.andWhere('s.region_code = :region', { region: q.regionCode });
    if (q.status) query.andWhere('s.status = :status', { status: q.status });
    const [items, total] = await query.take(q.limit).skip(q.offset).getManyAndCount();
    return { items: items.map(SettlementSummary.of), total };
  }

  /** What the statement PDF and the treasury CSV print. */
  async statement(actor: Actor, id: string): Promise<StatementData> {
    const s = await this.readable(actor, id);
    const lines = await this.dataSource
      .getRepository(SettlementLine)
      .createQueryBuilder('l')
      .innerJoin(Organization, 'o', 'o.id = l.payeeId')
      .select('l.payeeName', 'payeeName')
      .addSelect('o.creditCode', 'payeeCreditCode')
      .addSelect('l.payeeProvinceCode', 'payeeProvinceCode')
      .addSelect('l.amountFen', 'amountFen')
      .addSelect('l.payeeId', 'payeeId')
      .where('l.settlementId = :id', { id })
      .orderBy('l.payeeProvinceCode')
      .addOrderBy('l.payeeName')
      .addOrderBy('l.payeeId')
      .getRawMany<{ payeeName: string; payeeCreditCode: string; payeeProvinceCode: string; amountFen: string | number; payeeId: string }>();
    const counts = await this.claimCounts(this.dataSource.manager, id);
    return {
      settlementId: s.id,
      regionName: bureauName(s.regionCode),
      periodLabel: s.periodLabel,
      status: s.status,
      paymentRef: s.paymentRef,
      createdAt: s.createdAt,
      paidAt: s.paidAt,
      totalFen: s.totalFen,
      lines: lines.map((l) => ({
        payeeName: l.payeeName,
        payeeCreditCode: l.payeeCreditCode,
        payeeProvinceName: regionName(l.payeeProvinceCode),
        amountFen: Number(l.amountFen),
        claimCount: counts.get(l.payeeId) ?? 0,
      })),
    };
  }

  /** Out-of-scope batches do not exist for the caller. */
  private async readable(actor: Actor, id: string): Promise<Settlement> {
    const settlement = await this.dataSource.getRepository(Settlement).findOneBy({ id });
    if (!settlement || !canRead(actor, { regionCodes: [settlement.regionCode] })) throw notFound('settlement');
    return settlement;
  }

  /** The batch with its lines; each line's claims come from claim.settlement_id, the one link that counts. */
  private async view(em: EntityManager, s: Settlement): Promise<SettlementView> {
    const lines = await em
      .getRepository(SettlementLine)
      .find({ where: { settlementId: s.id }, order: { payeeProvinceCode: 'ASC', payeeName: 'ASC', payeeId: 'ASC' } });
    const claims = await em
      .getRepository(Claim)
      .createQueryBuilder('c')
      .select('c.id', 'id')
      .addSelect('c.claimantId', 'claimantId')
      .where('c.settlementId = :id', { id: s.id })
      .orderBy('c.id')
      .getRawMany<{ id: string; claimantId: string }>();
    const claimIds = new Map<string, string[]>();
    for (const c of claims) {
      const ids = claimIds.get(c.claimantId);
      if (ids) ids.push(c.id);
      else claimIds.set(c.claimantId, [c.id]);
    }
    return {
      ...SettlementSummary.of(s),
      lines: lines.map((l) => ({
        payeeId: l.payeeId,
        payeeName: l.payeeName,
        payeeProvinceCode: l.payeeProvinceCode,
        issuingProvinceCode: l.issuingProvinceCode,
        amountFen: l.amountFen,
        claimIds: claimIds.get(l.payeeId) ?? [],
        ...(l.paidAt ? { paidAt: l.paidAt } : {}),
      })),
    };
  }

  /** The period of the region's settlement cycle (monthly or quarterly) that contains the day. */
  private async periodLabel(em: EntityManager, regionCode: string, day: string): Promise<string> {
    const policy = (await this.policies.inForce(regionCode, day, em)) ?? (await this.policies.inForce(regionCode, clock.today(), em));
    if (!policy) throw ruleBroken('POLICY_NOT_FOUND', `region ${regionCode} has no policy in force to name a settlement period`);
    return settlementPeriod(policy.terms.settlementCycle, day).label;
  }

  private async claimCounts(em: EntityManager, id: string): Promise<Map<string, number>> {
    const rows = await em
      .getRepository(Claim)
      .createQueryBuilder('c')
      .select('c.claimantId', 'claimantId')
      .addSelect('COUNT(*)', 'n')
      .where('c.settlementId = :id', { id })
      .groupBy('c.claimantId')
      .getRawMany<{ claimantId: string; n: string | number }>();
    return new Map(rows.map((r) => [r.claimantId, Number(r.n)]));
  }
}
