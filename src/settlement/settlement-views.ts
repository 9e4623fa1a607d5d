import { Injectable } from '@nestjs/common';
import { ClaimRepository } from '../claims/claim.repository';
import { SettlementSummary, SettlementView } from './settlement.dto';
import { Settlement } from './settlement.entity';
import { SettlementRepository } from './settlement.repository';
import { payeeAccountFor } from './payee-account';

/** A batch with its lines; each line's claims come from claim.settlement_id, the one link that counts. */
@Injectable()
export class SettlementViews {
  constructor(
    private readonly settlements: SettlementRepository,
    private readonly claims: ClaimRepository,
  ) {}

  /**
   * The batch; for a payee only its own line, and the total is that line's (other payees' amounts are theirs). The
   * payees' bank accounts are in full for the paying bureau (`paying`: isPayingBureau), masked for anyone else.
   */
  async of(s: Settlement, payeeId?: string, paying = false): Promise<SettlementView> {
    const lines = await this.settlements.lines(s.id, payeeId);
    const claimIds = await this.claims.idsInBatch(s.id);
    return {
      ...SettlementSummary.of(s),
      ...(payeeId ? { totalFen: lines.reduce((sum, l) => sum + l.amountFen, 0) } : {}),
      lines: lines.map((l) => ({
        payeeId: l.payeeId,
        payeeName: l.payeeName,
        payeeProvinceCode: l.payeeProvinceCode,
        issuingProvinceCode: l.issuingProvinceCode,
        amountFen: l.amountFen,
        claimIds: claimIds.get(l.payeeId) ?? [],
        // Present once the payee has put its bank on file (PATCH /api/organizations/:id) before the batch was prepared.
        ...(l.payeeBankName ? { payeeBankName: l.payeeBankName } : {}),
        ...(l.payeeBankAccount ? { payeeBankAccount: payeeAccountFor(l.payeeBankAccount, paying)! } : {}),
        ...(l.paidAt ? { paidAt: l.paidAt } : {}),
      })),
    };
  }
}
