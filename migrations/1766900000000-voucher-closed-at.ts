import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a voucher was revoked or expired, kept apart from `updated_at`: a claim decided after the revocation still moves
 * the voucher's balances (what it does not pay goes back to the budget) and wrote `updated_at`, so the public
 * verification gave that later day as the day of revocation. Plain ADD COLUMN, as in SanctionLiftReason; a voucher
 * closed before it has none, and its readers fall back on `updated_at`, as before.
 */
export class VoucherClosedAt1766900000000 implements MigrationInterface {
  name = 'VoucherClosedAt1766900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE voucher ADD COLUMN closed_at varchar(24) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE voucher DROP COLUMN closed_at`);
  }
}
