import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';
import { instant, str } from './columns';

/**
 * Signed audit checkpoints: the chain head signed with Ed25519 at least every 1,000 entries and every 10 minutes. Each
 * entry records the hash algorithm it was chained with (AUDIT_HASH: sha256 or sm3), so changing the setting leaves
 * the entries already chained verifiable; the entries chained before this were all sha256.
 */
export class AuditCheckpoints1764500000000 implements MigrationInterface {
  name = 'AuditCheckpoints1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('audit_entry', new TableColumn({ ...str('hash_alg', 8), default: "'sha256'" }));
    await queryRunner.createTable(
      new Table({
        name: 'audit_checkpoint',
        columns: [
          { name: 'seq', type: 'bigint', isPrimary: true },
          str('hash', 64),
          str('hash_alg', 8),
          instant('signed_at'),
          str('signature', 88),
          str('key_id', 16),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_checkpoint', true);
    await queryRunner.dropColumn('audit_entry', 'hash_alg');
  }
}
