import { Check, Entity, Index, PrimaryColumn } from 'typeorm';
import { FenColumn, InstantColumn, RefColumn, StrColumn } from '../common/persistence/columns';

/** An immutable, balanced movement: amountFen leaves debitAccount and enters creditAccount. */
@Entity('ledger_transfer')
@Check('chk_ledger_transfer_amount', 'amount_fen > 0 AND debit_account <> credit_account')
// The amount in the account indexes: the ledger check's sums per account read the index alone (issue 18).
@Index(['debitAccount', 'amountFen'])
@Index(['creditAccount', 'amountFen'])
@Index(['refType', 'refId'])
export class LedgerTransfer {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(80) debitAccount: string;
  @StrColumn(80) creditAccount: string;
  @FenColumn() amountFen: number;
  @StrColumn(32) kind: string;
  @StrColumn(32) refType: string;
  @RefColumn() refId: string;
  @InstantColumn() createdAt: string;
}
