import { Entity, Index, PrimaryColumn } from 'typeorm';
import { DateColumn, InstantColumn, RefColumn, StrColumn } from '../common/persistence/columns';

/** A credit sanction (科研失信联合惩戒): recorded by any bureau, binding in every province. */
@Entity('sanction')
@Index(['creditCode', 'status'])
export class Sanction {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(18) creditCode: string;
  @StrColumn(500) reason: string;
  @DateColumn({ nullable: true }) until: string | null;
  @StrColumn(16) status: 'active' | 'lifted';
  @RefColumn() recordedBy: string;
  @StrColumn(6) recordedRegionCode: string;
  @InstantColumn() createdAt: string;
  @InstantColumn({ nullable: true }) liftedAt: string | null;
  @RefColumn({ nullable: true }) liftedBy: string | null;
  /** Why the bureau lifted it (信用修复), when it said. */
  @StrColumn(500, { nullable: true }) liftReason: string | null;
}
