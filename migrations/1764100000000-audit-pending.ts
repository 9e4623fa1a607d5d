import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { id, instant, ref, region, str, text } from './columns';

/**
 * Audit entries are written in their business transaction to `audit_pending` and chained into `audit_entry`
 * shortly after by the sealer, so business transactions no longer queue on the chain's head row.
 */
export class AuditPending1764100000000 implements MigrationInterface {
  name = 'AuditPending1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'audit_pending',
        columns: [
          id(),
          instant('at'),
          ref('actor_id', true),
          str('actor_role', 16, true),
          str('action', 48),
          str('entity_type', 32),
          ref('entity_id'),
          region('region_code', true),
          ref('organization_id', true),
          text('summary'),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('audit_pending', true);
  }
}
