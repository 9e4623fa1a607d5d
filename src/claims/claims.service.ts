import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { assertBureauOf, canRead, scopeList } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { TransactionService } from '../common/database/transaction.service';
import { DomainError, forbidden, invalidState, notFound, ruleBroken } from '../common/errors/domain-error';
import { Page } from '../common/http/paging';
import { newId } from '../common/ids';
import { LedgerService } from '../ledger/ledger.service';
import { Organization } from '../organizations/organization.entity';
import { SanctionsService } from '../oversight/sanctions.service';
import { Redemption } from '../redemptions/redemption.entity';
import { Voucher } from '../vouchers/voucher.entity';
import { ClaimQuery, ClaimView, SubmitClaimInput } from './claim.dto';
import { Claim } from './claim.entity';
import { allocateApproval } from './claim.rules';

/** Claims: the payee asks the issuing bureau for the captured subsidy; approval makes it a payable. */
@Injectable()
export class ClaimsService {
  constructor(
    private readonly tx: TransactionService,
    private readonly ledger: LedgerService,
    private readonly sanctions: SanctionsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * No money moves at submission. Claim-once rests on the guarded update of redemption.claim_id, not on
   * the checks before it: of two claims racing for a redemption, the second updates fewer rows and rolls back.
   */
  submit(actor: Actor, input: SubmitClaimInput): Promise<ClaimView> {
    return this.tx.run(async (em) => {
      const payeeId = actor.organizationId!;
      const redemptions = await this.claimable(em, payeeId, input.redemptionIds);
      const regions = [...new Set(redemptions.map((r) => r.issuingRegionCode))];
      if (regions.length > 1) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `redemptionIds: a claim goes to one issuing region, these come from ${regions.join(', ')}`,
        );
      }
      const claimant = await em.getRepository(Organization).findOneByOrFail({ id: payeeId });
      if ((await this.sanctions.sanctionedAmong(em, [claimant.creditCode], clock.today())).size > 0) {
        throw ruleBroken('SANCTIONED', `the claimant ${claimant.creditCode} is under a credit sanction and cannot claim subsidies`);
      }
      const claim: Claim = {
        id: newId(),
        claimantId: payeeId,
        issuingRegionCode: regions[0],
        claimedFen: redemptions.reduce((sum, r) => sum + r.capturedSubsidyFen!, 0),
        approvedFen: null,
        status: 'submitted',
        evidence: { ...input.evidence },
        redemptionIds: input.redemptionIds,
        reason: null,
        settlementId: null,
        reviewedBy: null,
        createdAt: clock.iso(),
        decidedAt: null,
      };
      await em.getRepository(Claim).insert(claim);
      const marked = await em
        .getRepository(Redemption)
        .createQueryBuilder()
        .update()
        .set({ claimId: claim.id, updatedAt: clock.iso() })
        .where('id IN (:...ids)', { ids: input.redemptionIds })
        .andWhere("claim_id IS NULL AND status = 'captured' AND payee_id = :payeeId", { payeeId })
        .execute();
      if (marked.affected !== input.redemptionIds.length)
        throw new DomainError('DUPLICATE', 'a redemption of this claim was claimed concurrently');
      this.tx.audit({
        action: 'claim.submitted',
        entityType: 'claim',
        entityId: claim.id,
        regionCode: claim.issuingRegionCode,
        organizationId: payeeId,
        summary: {
          claimedFen: claim.claimedFen,
          redemptionIds: claim.redemptionIds,
          contractNo: claim.evidence.contractNo,
          invoiceNo: claim.evidence.invoiceNo,
        },
      });
      return ClaimView.of(claim);
    });
  }

  /**
   * The issuing bureau approves, possibly less than claimed: the approval is spread over the redemptions
   * in order, what a redemption does not get leaves its voucher's spent balance for the budget, and the
   * approved amount becomes a payable of the region to the claimant.
   */
  approve(actor: Actor, id: string, approvedFen?: number): Promise<ClaimView> {
    return this.tx.run(async (em) => {
      const claim = await this.lockSubmitted(em, actor, id);
      const approved = approvedFen ?? claim.claimedFen;
      if (approved > claim.claimedFen)
        throw new DomainError('VALIDATION_FAILED', `approvedFen: may not exceed the ${claim.claimedFen} fen claimed`);
      const decision = { status: 'approved' as const, approvedFen: approved, reviewedBy: actor.userId, decidedAt: clock.iso() };
      await this.decide(em, id, decision);

      const redemptions = await em.getRepository(Redemption).findBy({ claimId: id });
      const order = new Map(claim.redemptionIds.map((rid, i) => [rid, i]));
      redemptions.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      const shares = allocateApproval(
        approved,
        redemptions.map((r) => r.capturedSubsidyFen!),
      );
      await em
        .getRepository(Redemption)
        .createQueryBuilder()
        .update()
        .set({ approvedFen: () => 'captured_subsidy_fen', updatedAt: clock.iso() })
        .where('claim_id = :id', { id })
        .execute();
      // A redemption carries its voucher's issuing region and budget year: no need to read the vouchers.
      const reductions = new Map<string, { voucher: Pick<Voucher, 'id' | 'issuingRegionCode' | 'budgetYear'>; fen: number }>();
      for (const [i, r] of redemptions.entries()) {
        const reduction = r.capturedSubsidyFen! - shares[i];
        if (reduction === 0) continue;
        await em.getRepository(Redemption).update({ id: r.id }, { approvedFen: shares[i] });
        const voucher = { id: r.voucherId, issuingRegionCode: r.issuingRegionCode, budgetYear: r.budgetYear };
        reductions.set(r.voucherId, { voucher, fen: (reductions.get(r.voucherId)?.fen ?? 0) + reduction });
      }
      for (const { voucher, fen } of reductions.values()) await this.ledger.reduceSpent(em, voucher, fen, id);
      await this.ledger.recordPayable(em, claim.issuingRegionCode, claim.claimantId, approved, id);
      this.tx.audit({
        action: 'claim.approved',
        entityType: 'claim',
        entityId: id,
        regionCode: claim.issuingRegionCode,
        organizationId: claim.claimantId,
        summary: { claimedFen: claim.claimedFen, approvedFen: approved, returnedToBudgetFen: claim.claimedFen - approved },
      });
      return ClaimView.of({ ...claim, ...decision });
    });
  }

  /** A rejection moves no money; its redemptions become claimable again (with better evidence). */
  reject(actor: Actor, id: string, reason: string): Promise<ClaimView> {
    return this.tx.run(async (em) => {
      const claim = await this.lockSubmitted(em, actor, id);
      const decision = { status: 'rejected' as const, reason, reviewedBy: actor.userId, decidedAt: clock.iso() };
      await this.decide(em, id, decision);
      await em
        .getRepository(Redemption)
        .createQueryBuilder()
        .update()
        .set({ claimId: null, updatedAt: clock.iso() })
        .where('claim_id = :id', { id })
        .execute();
      this.tx.audit({
        action: 'claim.rejected',
        entityType: 'claim',
        entityId: id,
        regionCode: claim.issuingRegionCode,
        organizationId: claim.claimantId,
        summary: { claimedFen: claim.claimedFen, reason },
      });
      return ClaimView.of({ ...claim, ...decision });
    });
  }

  /** The claimant sees its claims; a bureau those of its region (and cities); the platform all. */
  async list(actor: Actor, q: ClaimQuery): Promise<Page<ClaimView>> {
    const query = this.dataSource.getRepository(Claim).createQueryBuilder('c').orderBy('c.createdAt', 'DESC').addOrderBy('c.id', 'DESC');
    scopeList(query, actor, { region: 'c.issuing_region_code', orgs: ['c.claimant_id'] });
    if (q.status) query.andWhere('c.status = :status', { status: q.status });
    if (q.issuingRegionCode) query.andWhere('c.issuing_region_code = :region', { region: q.issuingRegionCode });
    const [items, total] = await query.take(q.limit).skip(q.offset).getManyAndCount();
    return { items: items.map(ClaimView.of), total };
  }

  async get(actor: Actor, id: string): Promise<ClaimView> {
    const claim = await this.dataSource.getRepository(Claim).findOneBy({ id });
    if (!claim || !canRead(actor, { organizationIds: [claim.claimantId], regionCodes: [claim.issuingRegionCode] })) throw notFound('claim');
    return ClaimView.of(claim);
  }

  /**
   * The requested redemptions, each captured, unclaimed and payable to the caller. A redemption the caller
   * is no party to does not exist for it (404); one it is party to but not the payee of is 403.
   */
  private async claimable(em: EntityManager, payeeId: string, ids: string[]): Promise<Redemption[]> {
    const found = new Map((await em.getRepository(Redemption).findBy({ id: In(ids) })).map((r) => [r.id, r]));
    return ids.map((id) => {
      const r = found.get(id);
      if (!r || ![r.payeeId, r.enterpriseId, r.providerId].includes(payeeId)) throw notFound(`redemption ${id}`);
      if (r.payeeId !== payeeId)
        throw forbidden(
          `redemption ${id} is paid to its ${r.mode === 'provider_redeemed' ? 'provider' : 'enterprise'}, who alone may claim it`,
        );
      if (r.status !== 'captured') throw invalidState(`redemption ${id} is ${r.status}; only captured redemptions can be claimed`);
      if (r.claimId) throw new DomainError('DUPLICATE', `redemption ${id} is already in claim ${r.claimId}`);
      return r;
    });
  }

  private async lockSubmitted(em: EntityManager, actor: Actor, id: string): Promise<Claim> {
    const claim = await this.tx.lock(em, Claim, { id });
    if (!claim) throw notFound('claim');
    assertBureauOf(actor, claim.issuingRegionCode, 'claims of this region');
    if (claim.status !== 'submitted') throw invalidState(`the claim is already ${claim.status}`);
    return claim;
  }

  /** submitted → approved | rejected, once: a concurrent decision finds the status changed and gets 409. */
  private async decide(em: EntityManager, id: string, decision: Partial<Claim>): Promise<void> {
    const result = await em
      .getRepository(Claim)
      .createQueryBuilder()
      .update()
      .set(decision)
      .where("id = :id AND status = 'submitted'", { id })
      .execute();
    if (!result.affected) throw invalidState('the claim was decided concurrently');
  }
}
