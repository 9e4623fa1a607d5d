import { Entity, Index, PrimaryColumn } from 'typeorm';
import { InstantColumn, RefColumn, StrColumn } from '../common/persistence/columns';

/**
 * A relation between two credit codes that a bureau found (a hidden shareholder, a family tie): it makes them related
 * parties everywhere, whatever they declared. Stored once per pair, the lower code first.
 */
@Entity('party_relation')
@Index(['codeA', 'codeB'], { unique: true })
@Index(['codeB'])
export class PartyRelation {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @StrColumn(18) codeA: string;
  @StrColumn(18) codeB: string;
  @StrColumn(500) reason: string;
  @RefColumn() recordedBy: string;
  @StrColumn(6) recordedRegionCode: string;
  @InstantColumn() createdAt: string;
}
