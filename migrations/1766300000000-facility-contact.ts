import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A facility names whom an enterprise asks about it (the instrument's manager, a phone, a mailbox), shown on its public
 * page: the provider's profile contact is its own and the bureau's, never published. Plain ADD COLUMN, as in SignInReset:
 * TypeORM's addColumns rebuilds a SQLite table from what it reads back.
 */
export class FacilityContact1766300000000 implements MigrationInterface {
  name = 'FacilityContact1766300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE facility ADD COLUMN contact varchar(200) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE facility DROP COLUMN contact`);
  }
}
