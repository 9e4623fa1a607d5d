import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A username is taken whatever its case. MariaDB's collation (utf8mb4_unicode_ci) already compares so, and its unique
 * index answers the check; SQLite compares bytes, so the check folds case with LOWER(), which scanned every account at
 * each registration (about 105,000 at a year's volume). An index on the folded name answers it on SQLite too.
 */
export class UsernamesFolded1765870000000 implements MigrationInterface {
  name = 'UsernamesFolded1765870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'better-sqlite3') return;
    await queryRunner.query('CREATE INDEX IF NOT EXISTS idx_app_user_username_folded ON app_user (LOWER(username))');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type !== 'better-sqlite3') return;
    await queryRunner.query('DROP INDEX IF EXISTS idx_app_user_username_folded');
  }
}
