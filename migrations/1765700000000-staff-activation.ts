import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { instant, ref } from './columns';

/**
 * A bureau account made by a bureau admin is active only once a second person activates it (a platform admin, or
 * another admin of the bureau): else one admin could make a second account and be both persons of maker-checker
 * (双人复核). `created_by` names who made an account; `activated_at` is null while it waits. Accounts that exist are
 * active from their creation.
 */
export class StaffActivation1765700000000 implements MigrationInterface {
  name = 'StaffActivation1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('app_user', [new TableColumn(ref('created_by', true)), new TableColumn(instant('activated_at', true))]);
    await queryRunner.query('UPDATE app_user SET activated_at = created_at');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Plain DROP COLUMN (SQLite 3.35+ and MariaDB): TypeORM's SQLite dropColumn rebuilds the table, which the foreign
    // keys of sessions and API keys refuse while users exist.
    for (const c of ['activated_at', 'created_by']) await queryRunner.query(`ALTER TABLE app_user DROP COLUMN ${c}`);
  }
}
