import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { fen, id, idx, instant, int, ref, region, str } from './columns';

/**
 * Fraud controls on public money: verified enterprises (and provinces' qualified lists), relations between parties
 * that bureaus record, usage the enterprise confirms (or disputes) before anyone claims, ratings, one use of an
 * invoice number per claimant, withdrawable policy versions, and the first of two approvals (maker-checker).
 */
export class FraudControls1764400000000 implements MigrationInterface {
  name = 'FraudControls1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Room for the new statuses: pending_verification (organizations), awaiting_second_approval (applications, claims).
    for (const table of WIDER_STATUS) await statusLength(queryRunner, table, 32);
    await queryRunner.addColumns('organization', [
      new TableColumn(str('certificate_no', 64, true)),
      new TableColumn(instant('verified_at', true)),
      new TableColumn(ref('verified_by', true)),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'qualified_enterprise',
        columns: [
          { ...str('credit_code', 18), isPrimary: true },
          region('region_code'),
          str('certificate_no', 64),
          instant('imported_at'),
          ref('imported_by'),
        ],
        indices: [idx(['region_code'])],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'party_relation',
        columns: [
          id(),
          str('code_a', 18),
          str('code_b', 18),
          str('reason', 500),
          ref('recorded_by'),
          region('recorded_region_code'),
          instant('created_at'),
        ],
        indices: [idx(['code_a', 'code_b'], true), idx(['code_b'])],
      }),
      true,
    );
    await queryRunner.addColumns('policy', [
      new TableColumn({ ...str('status', 16), default: "'published'" }),
      new TableColumn(instant('withdrawn_at', true)),
    ]);
    await queryRunner.addColumns('voucher_application', [
      new TableColumn(ref('first_approved_by', true)),
      new TableColumn(fen('first_approved_fen', true)),
    ]);
    await queryRunner.renameColumn('redemption', 'actual_quantity', 'captured_quantity');
    await queryRunner.addColumns('redemption', [
      new TableColumn(str('usage_status', 16, true)),
      new TableColumn(instant('usage_due_at', true)),
      new TableColumn(instant('usage_decided_at', true)),
      new TableColumn(str('dispute_reason', 500, true)),
    ]);
    await queryRunner.createIndex('redemption', new TableIndex({ columnNames: ['usage_status', 'usage_due_at'] }));
    await queryRunner.addColumns('facility', [
      new TableColumn({ ...int('rating_count'), default: 0 }),
      new TableColumn({ ...int('rating_sum'), default: 0 }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'facility_rating',
        columns: [
          { ...ref('redemption_id'), isPrimary: true },
          ref('facility_id'),
          ref('enterprise_id'),
          int('score'),
          str('comment', 500, true),
          instant('created_at'),
        ],
        indices: [idx(['facility_id', 'created_at'])],
        checks: [{ name: 'chk_facility_rating_score', expression: 'score BETWEEN 1 AND 5' }],
      }),
      true,
    );
    await queryRunner.addColumns('claim', [
      new TableColumn(str('invoice_key', 64, true)),
      new TableColumn(ref('first_approved_by', true)),
      new TableColumn(fen('first_approved_fen', true)),
    ]);
    await queryRunner.createIndex('claim', new TableIndex({ columnNames: ['claimant_id', 'invoice_key'], isUnique: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const claim = await queryRunner.getTable('claim');
    const invoiceIndex = claim!.indices.find((i) => i.columnNames.join() === 'claimant_id,invoice_key');
    if (invoiceIndex) await queryRunner.dropIndex('claim', invoiceIndex);
    for (const c of ['first_approved_fen', 'first_approved_by', 'invoice_key']) await queryRunner.dropColumn('claim', c);
    await queryRunner.dropTable('facility_rating', true);
    for (const c of ['rating_sum', 'rating_count']) await queryRunner.dropColumn('facility', c);
    const redemption = await queryRunner.getTable('redemption');
    const usageIndex = redemption!.indices.find((i) => i.columnNames.join() === 'usage_status,usage_due_at');
    if (usageIndex) await queryRunner.dropIndex('redemption', usageIndex);
    for (const c of ['dispute_reason', 'usage_decided_at', 'usage_due_at', 'usage_status']) await queryRunner.dropColumn('redemption', c);
    await queryRunner.renameColumn('redemption', 'captured_quantity', 'actual_quantity');
    for (const c of ['first_approved_fen', 'first_approved_by']) await queryRunner.dropColumn('voucher_application', c);
    for (const c of ['withdrawn_at', 'status']) await queryRunner.dropColumn('policy', c);
    await queryRunner.dropTable('party_relation', true);
    await queryRunner.dropTable('qualified_enterprise', true);
    for (const c of ['verified_by', 'verified_at', 'certificate_no']) await queryRunner.dropColumn('organization', c);
    for (const [table, length] of [
      ['organization', 16],
      ['claim', 16],
      ['voucher_application', 20],
    ] as const) {
      await statusLength(queryRunner, table, length);
    }
  }
}

const WIDER_STATUS = ['organization', 'claim', 'voucher_application'];

/**
 * MariaDB widens the column in place, keeping its indexes; SQLite does not enforce lengths, but TypeORM's copy of the
 * table (changeColumn) records the new one, so the schema matches the entities on both.
 */
async function statusLength(queryRunner: QueryRunner, table: string, length: number): Promise<void> {
  if (queryRunner.connection.options.type === 'better-sqlite3') {
    await queryRunner.changeColumn(table, 'status', new TableColumn(str('status', length)));
  } else {
    await queryRunner.query(`ALTER TABLE \`${table}\` MODIFY \`status\` varchar(${length}) NOT NULL`);
  }
}
