import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why a sanction was lifted (信用修复: the subsidy returned, a ruling overturned, a record made in error), kept beside
 * it for every bureau that reads the shared list. Plain ADD COLUMN, as in FacilityContact.
 */
export class SanctionLiftReason1766800000000 implements MigrationInterface {
  name = 'SanctionLiftReason1766800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sanction ADD COLUMN lift_reason varchar(500) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sanction DROP COLUMN lift_reason`);
  }
}
