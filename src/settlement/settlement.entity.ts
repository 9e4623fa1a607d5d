import { Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn, FenColumn, InstantColumn, JsonColumn, RefColumn, StrColumn } from '../common/database/columns';

@Entity('settlement')
@Index(['regionCode', 'status'])
export class Settlement {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(6) regionCode: string;
  @StrColumn(16) periodLabel: string;
  @DateColumn({ nullable: true }) periodEnd: string | null;
  @StrColumn(16) status: 'open' | 'paid';
  @FenColumn() totalFen: number;
  @StrColumn(100, { nullable: true }) paymentRef: string | null;
  @RefColumn() createdBy: string;
  @InstantColumn() createdAt: string;
  @InstantColumn({ nullable: true }) paidAt: string | null;
}

@Entity('settlement_line')
@Index(['settlementId'])
@Index(['paidAt'])
export class SettlementLine {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() settlementId: string;
  @RefColumn() payeeId: string;
  @StrColumn(200) payeeName: string;
  @StrColumn(6) payeeProvinceCode: string;
  @StrColumn(6) issuingProvinceCode: string;
  @FenColumn() amountFen: number;
  @JsonColumn() claimIds: string[];
  @InstantColumn({ nullable: true }) paidAt: string | null;
}
