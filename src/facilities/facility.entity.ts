import { Check, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { Organization } from '../organizations/organization.entity';
import { fenTransformer } from '../common/persistence/transformers';
import { FenColumn, InstantColumn, IntColumn, RefColumn, StrColumn } from '../common/persistence/columns';

export const FACILITY_UNITS = ['hour', 'sample', 'item'] as const;
export type FacilityUnit = (typeof FACILITY_UNITS)[number];

@Entity('facility')
@Check('chk_facility_price', 'unit_price_fen >= 0')
@Index(['provinceCode', 'category', 'status', 'unitPriceFen', 'id'])
@Index(['category', 'status', 'unitPriceFen', 'id'])
@Index(['providerId'])
@Index('uq_facility_external_ref', ['providerId', 'externalRef'], { unique: true })
export class Facility {
  @PrimaryColumn({ type: 'varchar', length: 36 }) id: string;
  @RefColumn() @ForeignKey(() => Organization, { name: 'fk_facility_provider' }) providerId: string;
  @StrColumn(200) name: string;
  @StrColumn(32) category: string;
  @StrColumn(16) unit: FacilityUnit;
  @FenColumn() unitPriceFen: number;
  @StrColumn(2000, { nullable: true }) description: string | null;
  /** Whom an enterprise asks about the service (the instrument's manager, a phone, a mailbox): shown on the public page. */
  @StrColumn(200, { nullable: true }) contact: string | null;
  @StrColumn(6) provinceCode: string;
  @StrColumn(6) regionCode: string;
  @StrColumn(16) status: 'active' | 'retired';
  @InstantColumn() createdAt: string;
  @InstantColumn() updatedAt: string;
  /** Ratings of confirmed services: their count and sum (the average is sum / count). */
  @IntColumn({ default: 0 }) ratingCount: number;
  @IntColumn({ default: 0 }) ratingSum: number;
  /** The provider's own reference (its booking or asset system's id), which makes bulk imports idempotent. */
  @StrColumn(100, { nullable: true }) externalRef: string | null;
}

/** An enterprise's rating of a service it confirmed, once per redemption. */
@Entity('facility_rating')
@Check('chk_facility_rating_score', 'score BETWEEN 1 AND 5')
@Index(['facilityId', 'createdAt'])
export class FacilityRating {
  @PrimaryColumn({ type: 'varchar', length: 36 }) redemptionId: string;
  @RefColumn() facilityId: string;
  @RefColumn() enterpriseId: string;
  @IntColumn() score: number;
  @StrColumn(500, { nullable: true }) comment: string | null;
  @InstantColumn() createdAt: string;
}

/**
 * A pair of adjacent Han characters, Latin letters or digits in a facility's name or description, folded as the
 * database compares them (facility-grams.ts): the search's index. The facility's category and province are copied
 * into the key, so a search filtered by them finds its candidates in the index alone instead of reading every facility
 * holding a common pair ('色谱': one facility in six at volume).
 */
@Entity('facility_gram')
@Index(['facilityId'])
export class FacilityGram {
  @PrimaryColumn({ type: 'bigint', transformer: fenTransformer }) gram: number;
  @PrimaryColumn({ type: 'varchar', length: 32 }) category: string;
  @PrimaryColumn({ type: 'varchar', length: 6 }) provinceCode: string;
  @PrimaryColumn({ type: 'varchar', length: 36 }) facilityId: string;
}
