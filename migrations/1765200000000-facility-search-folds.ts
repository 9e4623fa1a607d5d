import { MigrationInterface, QueryRunner } from 'typeorm';
import { indexFacilities } from './1765000000000-facility-search';

/**
 * The search index with Latin letters and digits too, every character folded as the database's LIKE compares it
 * (facility-grams.ts): a Latin term such as `CNAS` read every facility of its province and category before. Rewritten
 * from the facilities in place.
 */
export class FacilitySearchFolds1765200000000 implements MigrationInterface {
  name = 'FacilitySearchFolds1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DELETE FROM facility_gram');
    await indexFacilities(queryRunner);
  }

  /** Nothing to undo: the earlier search reads the Han pairs it needs from this index as well. */
  async down(): Promise<void> {}
}
