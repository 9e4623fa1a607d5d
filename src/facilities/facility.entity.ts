import { Entity, Index, PrimaryColumn } from 'typeorm';
import { FenColumn, InstantColumn, RefColumn, StrColumn } from '../common/database/columns';

export const FACILITY_UNITS = ['hour', 'sample', 'item'] as const;
export type FacilityUnit = (typeof FACILITY_UNITS)[number];

@Entity('facility')
@Index(['provinceCode', 'category'])
@Index(['providerId'])
export class Facility {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() providerId: string;
  @StrColumn(200) name: string;
  @StrColumn(32) category: string;
  @StrColumn(16) unit: FacilityUnit;
  @FenColumn() unitPriceFen: number;
  @StrColumn(2000, { nullable: true }) description: string | null;
  @StrColumn(6) provinceCode: string;
  @StrColumn(6) regionCode: string;
  @StrColumn(16) status: 'active' | 'retired';
  @InstantColumn() createdAt: string;
  @InstantColumn() updatedAt: string;
}
