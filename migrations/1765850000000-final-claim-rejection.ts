import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * A bureau may reject a claim for good (终局驳回, a fake invoice): its redemptions can never be claimed again and their
 * captured subsidy goes back. `final_rejection` tells that rejection from one the payee may correct and claim again;
 * every claim that exists was rejected (if at all) the correctable way.
 */
export class FinalClaimRejection1765850000000 implements MigrationInterface {
  name = 'FinalClaimRejection1765850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('claim', new TableColumn({ name: 'final_rejection', type: 'boolean', default: 0 }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB): TypeORM's SQLite dropColumn rebuilds the table, which the foreign
    // key of the redemptions refuses while claims exist.
    await queryRunner.query('ALTER TABLE claim DROP COLUMN final_rejection');
  }
}
