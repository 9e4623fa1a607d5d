import { MigrationInterface, QueryRunner, TableCheck, TableForeignKey } from 'typeorm';
import { idx } from './columns';

/**
 * The schema as the last line of defence: CHECK constraints that refuse a negative balance or a voucher whose face value
 * stops adding up, and foreign keys where a row must point at an existing row — on SQLite and MariaDB alike. Also the
 * index the idempotency sweep deletes by.
 */
const CHECKS: [table: string, name: string, expression: string][] = [
  [
    'voucher',
    'chk_voucher_balances',
    'face_value_fen >= 0 AND available_fen >= 0 AND held_fen >= 0 AND spent_fen >= 0 AND released_fen >= 0 AND face_value_fen = available_fen + held_fen + spent_fen + released_fen',
  ],
  [
    'voucher_application',
    'chk_voucher_application_amounts',
    'amount_fen > 0 AND (approved_fen IS NULL OR (approved_fen > 0 AND approved_fen <= amount_fen))',
  ],
  [
    'budget',
    'chk_budget_balances',
    'total_fen >= 0 AND available_fen >= 0 AND committed_fen >= 0 AND total_fen = available_fen + committed_fen',
  ],
  ['annual_grant', 'chk_annual_grant_granted', 'granted_fen >= 0'],
  ['ledger_transfer', 'chk_ledger_transfer_amount', 'amount_fen > 0 AND debit_account <> credit_account'],
  [
    'redemption',
    'chk_redemption_amounts',
    'quantity > 0 AND fee_fen >= 0 AND subsidy_fen >= 0 AND subsidy_fen <= fee_fen AND self_pay_fen = fee_fen - subsidy_fen' +
      ' AND (captured_subsidy_fen IS NULL OR captured_subsidy_fen >= 0) AND (approved_fen IS NULL OR approved_fen >= 0)',
  ],
  ['claim', 'chk_claim_amounts', 'claimed_fen >= 0 AND (approved_fen IS NULL OR (approved_fen >= 0 AND approved_fen <= claimed_fen))'],
  ['settlement', 'chk_settlement_total', 'total_fen >= 0'],
  ['settlement_line', 'chk_settlement_line_amount', 'amount_fen >= 0'],
  ['facility', 'chk_facility_price', 'unit_price_fen >= 0'],
];

const FOREIGN_KEYS: [table: string, name: string, column: string, referenced: string][] = [
  ['app_user', 'fk_app_user_organization', 'organization_id', 'organization'],
  ['voucher_application', 'fk_voucher_application_enterprise', 'enterprise_id', 'organization'],
  ['voucher_application', 'fk_voucher_application_policy', 'policy_id', 'policy'],
  ['voucher', 'fk_voucher_enterprise', 'enterprise_id', 'organization'],
  ['voucher', 'fk_voucher_application', 'application_id', 'voucher_application'],
  ['voucher', 'fk_voucher_policy', 'policy_id', 'policy'],
  ['facility', 'fk_facility_provider', 'provider_id', 'organization'],
  ['redemption', 'fk_redemption_voucher', 'voucher_id', 'voucher'],
  ['redemption', 'fk_redemption_facility', 'facility_id', 'facility'],
  ['redemption', 'fk_redemption_provider', 'provider_id', 'organization'],
  ['redemption', 'fk_redemption_enterprise', 'enterprise_id', 'organization'],
  ['redemption', 'fk_redemption_payee', 'payee_id', 'organization'],
  ['redemption', 'fk_redemption_policy', 'policy_id', 'policy'],
  ['redemption', 'fk_redemption_claim', 'claim_id', 'claim'],
  ['claim', 'fk_claim_claimant', 'claimant_id', 'organization'],
  ['settlement_line', 'fk_settlement_line_settlement', 'settlement_id', 'settlement'],
  ['settlement_line', 'fk_settlement_line_payee', 'payee_id', 'organization'],
];

const tablesOf = (rows: [string, ...string[]][]) => [...new Set(rows.map(([table]) => table))];

export class MoneyConstraints1764200000000 implements MigrationInterface {
  name = 'MoneyConstraints1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.options.type === 'better-sqlite3';
    for (const table of tablesOf(FOREIGN_KEYS)) {
      const keys = FOREIGN_KEYS.filter(([t]) => t === table).map(
        ([, name, column, referenced]) =>
          new TableForeignKey({
            name,
            columnNames: [column],
            referencedTableName: referenced,
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          }),
      );
      await queryRunner.createForeignKeys(table, keys);
    }
    for (const table of tablesOf(CHECKS)) {
      const checks = CHECKS.filter(([t]) => t === table);
      // TypeORM's MySQL runner has no check constraints (it rebuilds the table on SQLite): MariaDB gets them as plain DDL.
      if (sqlite)
        await queryRunner.createCheckConstraints(
          table,
          checks.map(([, name, expression]) => new TableCheck({ name, expression })),
        );
      else
        for (const [, name, expression] of checks)
          await queryRunner.query(`ALTER TABLE \`${table}\` ADD CONSTRAINT \`${name}\` CHECK (${expression})`);
    }
    await queryRunner.createIndex('idempotency_record', idx(['created_at']));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const sqlite = queryRunner.connection.options.type === 'better-sqlite3';
    const table = await queryRunner.getTable('idempotency_record');
    const index = table!.indices.find((i) => i.columnNames.length === 1 && i.columnNames[0] === 'created_at');
    if (index) await queryRunner.dropIndex('idempotency_record', index);
    for (const t of tablesOf(CHECKS)) {
      const names = CHECKS.filter(([c]) => c === t).map(([, name]) => name);
      if (sqlite)
        await queryRunner.dropCheckConstraints(
          t,
          names.map((name) => new TableCheck({ name, expression: '' })),
        );
      else for (const name of names) await queryRunner.query(`ALTER TABLE \`${t}\` DROP CONSTRAINT \`${name}\``);
    }
    for (const t of tablesOf(FOREIGN_KEYS)) {
      const names = FOREIGN_KEYS.filter(([f]) => f === t).map(([, name]) => name);
      const current = await queryRunner.getTable(t);
      await queryRunner.dropForeignKeys(
        t,
        current!.foreignKeys.filter((fk) => names.includes(fk.name!)),
      );
    }
  }
}
