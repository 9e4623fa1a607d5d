import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { bool, date, fen, id, idx, instant, int, ref, region, str, text } from './columns';

const TABLES: { table: Table; indices: TableIndex[] }[] = [
  {
    table: new Table({
      name: 'organization',
      columns: [
        id(),
        str('name', 200),
        str('credit_code', 18),
        str('type', 16),
        str('kind', 16, true),
        region('region_code'),
        region('province_code'),
        str('status', 16),
        str('controller_credit_code', 18, true),
        text('related_credit_codes'),
        instant('notice_ends_at', true),
        str('status_reason', 500, true),
        instant('created_at'),
        instant('updated_at'),
      ],
    }),
    indices: [idx(['credit_code'], true), idx(['controller_credit_code']), idx(['status', 'notice_ends_at'])],
  },
  {
    table: new Table({
      name: 'app_user',
      columns: [
        id(),
        str('username', 64),
        str('password_hash', 200),
        str('role', 16),
        ref('organization_id', true),
        region('region_code', true),
        instant('created_at'),
      ],
    }),
    indices: [idx(['username'], true)],
  },
  {
    table: new Table({
      name: 'policy',
      columns: [
        id(),
        region('region_code'),
        int('version'),
        date('effective_from'),
        text('terms'),
        ref('created_by'),
        instant('created_at'),
      ],
    }),
    indices: [idx(['region_code', 'version'], true), idx(['region_code', 'effective_from'])],
  },
  {
    table: new Table({
      name: 'budget',
      columns: [
        { ...region('region_code'), isPrimary: true },
        { ...int('year'), isPrimary: true },
        fen('total_fen'),
        fen('available_fen'),
        fen('committed_fen'),
        instant('updated_at'),
      ],
    }),
    indices: [],
  },
  {
    table: new Table({
      name: 'annual_grant',
      columns: [
        { ...region('region_code'), isPrimary: true },
        { ...int('year'), isPrimary: true },
        { ...str('subject', 60), isPrimary: true },
        fen('granted_fen'),
      ],
    }),
    indices: [],
  },
  {
    table: new Table({
      name: 'serial_counter',
      columns: [{ ...str('prefix', 8), isPrimary: true }, { ...int('year'), isPrimary: true }, int('last_value')],
    }),
    indices: [],
  },
  {
    table: new Table({
      name: 'voucher_application',
      columns: [
        id(),
        ref('enterprise_id'),
        region('issuing_region_code', true),
        ref('policy_id', true),
        int('year'),
        fen('amount_fen'),
        fen('approved_fen', true),
        str('purpose', 500),
        str('status', 20),
        str('reason_code', 40, true),
        str('reason', 500, true),
        ref('voucher_id', true),
        ref('reviewed_by', true),
        instant('created_at'),
        instant('decided_at', true),
      ],
    }),
    indices: [idx(['enterprise_id']), idx(['issuing_region_code', 'status'])],
  },
  {
    table: new Table({
      name: 'voucher',
      columns: [
        id(),
        str('serial', 20),
        str('verification_code', 64),
        region('issuing_region_code'),
        int('budget_year'),
        ref('enterprise_id'),
        ref('application_id'),
        ref('policy_id'),
        str('cap_subject', 60),
        fen('face_value_fen'),
        fen('available_fen'),
        fen('held_fen'),
        fen('spent_fen'),
        fen('released_fen'),
        str('status', 16),
        date('valid_from'),
        date('valid_until'),
        str('status_reason', 500, true),
        instant('created_at'),
        instant('updated_at'),
      ],
    }),
    indices: [
      idx(['serial'], true),
      idx(['verification_code'], true),
      idx(['enterprise_id']),
      idx(['issuing_region_code']),
      idx(['status', 'valid_until']),
    ],
  },
  {
    table: new Table({
      name: 'facility',
      columns: [
        id(),
        ref('provider_id'),
        str('name', 200),
        str('category', 32),
        str('unit', 16),
        fen('unit_price_fen'),
        str('description', 2000, true),
        region('province_code'),
        region('region_code'),
        str('status', 16),
        instant('created_at'),
        instant('updated_at'),
      ],
    }),
    indices: [idx(['province_code', 'category']), idx(['provider_id'])],
  },
  {
    table: new Table({
      name: 'redemption',
      columns: [
        id(),
        ref('voucher_id'),
        ref('facility_id'),
        ref('provider_id'),
        ref('enterprise_id'),
        ref('payee_id'),
        region('issuing_region_code'),
        int('budget_year'),
        region('provider_province_code'),
        bool('cross_province'),
        str('mode', 24),
        int('quantity'),
        fen('unit_price_fen'),
        fen('fee_fen'),
        int('ratio_bp'),
        fen('subsidy_fen'),
        fen('self_pay_fen'),
        fen('per_redemption_cap_fen', true),
        int('actual_quantity', true),
        fen('captured_fee_fen', true),
        fen('captured_subsidy_fen', true),
        fen('approved_fen', true),
        str('status', 16),
        ref('policy_id'),
        instant('expires_at'),
        ref('claim_id', true),
        instant('captured_at', true),
        instant('closed_at', true),
        instant('created_at'),
        instant('updated_at'),
      ],
    }),
    indices: [
      idx(['voucher_id']),
      idx(['provider_id']),
      idx(['enterprise_id']),
      idx(['status', 'expires_at']),
      idx(['claim_id']),
      idx(['payee_id', 'status']),
    ],
  },
  {
    table: new Table({
      name: 'claim',
      columns: [
        id(),
        ref('claimant_id'),
        region('issuing_region_code'),
        fen('claimed_fen'),
        fen('approved_fen', true),
        str('status', 16),
        text('evidence'),
        text('redemption_ids'),
        str('reason', 500, true),
        ref('settlement_id', true),
        ref('reviewed_by', true),
        instant('created_at'),
        instant('decided_at', true),
      ],
    }),
    indices: [idx(['issuing_region_code', 'status']), idx(['claimant_id']), idx(['settlement_id'])],
  },
  {
    table: new Table({
      name: 'settlement',
      columns: [
        id(),
        region('region_code'),
        str('period_label', 16),
        date('period_end', true),
        str('status', 16),
        fen('total_fen'),
        str('payment_ref', 100, true),
        ref('created_by'),
        instant('created_at'),
        instant('paid_at', true),
      ],
    }),
    indices: [idx(['region_code', 'status'])],
  },
  {
    table: new Table({
      name: 'settlement_line',
      columns: [
        id(),
        ref('settlement_id'),
        ref('payee_id'),
        str('payee_name', 200),
        region('payee_province_code'),
        region('issuing_province_code'),
        fen('amount_fen'),
        instant('paid_at', true),
      ],
    }),
    indices: [idx(['settlement_id']), idx(['paid_at'])],
  },
  {
    table: new Table({
      name: 'ledger_transfer',
      columns: [
        id(),
        str('debit_account', 80),
        str('credit_account', 80),
        fen('amount_fen'),
        str('kind', 32),
        str('ref_type', 32),
        ref('ref_id'),
        instant('created_at'),
      ],
    }),
    indices: [idx(['debit_account']), idx(['credit_account']), idx(['ref_type', 'ref_id'])],
  },
  {
    table: new Table({
      name: 'audit_entry',
      columns: [
        { name: 'seq', type: 'bigint', isPrimary: true },
        str('prev_hash', 64),
        str('hash', 64),
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
    indices: [idx(['entity_type', 'entity_id']), idx(['region_code']), idx(['organization_id'])],
  },
  {
    table: new Table({
      name: 'audit_head',
      columns: [{ name: 'id', type: 'integer', isPrimary: true }, { name: 'seq', type: 'bigint' }, str('hash', 64)],
    }),
    indices: [],
  },
  {
    table: new Table({
      name: 'idempotency_record',
      columns: [
        id(),
        ref('caller_id'),
        str('idem_key', 128),
        str('route', 200),
        str('request_hash', 64),
        int('response_status', true),
        text('response_body', true),
        instant('created_at'),
      ],
    }),
    indices: [idx(['caller_id', 'idem_key'], true)],
  },
  {
    table: new Table({
      name: 'sanction',
      columns: [
        id(),
        str('credit_code', 18),
        str('reason', 500),
        date('until', true),
        str('status', 16),
        ref('recorded_by'),
        region('recorded_region_code'),
        instant('created_at'),
        instant('lifted_at', true),
        ref('lifted_by', true),
      ],
    }),
    indices: [idx(['credit_code', 'status'])],
  },
];

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const { table, indices } of TABLES) {
      await queryRunner.createTable(table, true);
      for (const index of indices) await queryRunner.createIndex(table.name, index);
    }
    // The audit chain's head row: appends lock it, so the chain stays one line under concurrency.
    await queryRunner.query(`INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${'0'.repeat(64)}')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const { table } of [...TABLES].reverse()) await queryRunner.dropTable(table.name, true);
  }
}
