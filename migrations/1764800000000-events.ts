import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey, TableIndex } from 'typeorm';
import { bool, id, idx, instant, int, ref, region, str, text } from './columns';

/**
 * Interoperability (issue 17): the transactional outbox of domain events, webhook subscriptions with their deliveries
 * (leased by any node) and delivery attempts, API keys for provincial systems, and people's notifications (in the app,
 * and by mail through a leased outbox of their own), and the providers' own references of facilities (bulk import).
 *
 * `domain_event.seq` is the feed's cursor. It is not the insert order: events are written with `seq` NULL in their
 * business transaction and numbered afterwards, in commit order, by a sequencer holding `event_head`'s row lock
 * (docs/adr/0010), so a reader paging by `seq` never skips an event whose transaction committed late.
 */
export class Events1764800000000 implements MigrationInterface {
  name = 'Events1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'domain_event',
        columns: [
          id(),
          { name: 'seq', type: 'bigint', isNullable: true },
          str('type', 48),
          instant('occurred_at'),
          str('entity_type', 32),
          ref('entity_id'),
          region('region_code', true),
          ref('organization_id', true),
          ref('counterparty_id', true),
          text('data'),
        ],
        indices: [idx(['seq'], true), idx(['organization_id']), idx(['counterparty_id'])],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'event_head',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'seq', type: 'bigint' },
        ],
      }),
      true,
    );
    // The next DDL commits this row on MySQL/MariaDB: a run cut off after it and run again finds it (src/database/rerunnable-ddl.ts).
    await queryRunner.query('DELETE FROM event_head');
    await queryRunner.query('INSERT INTO event_head (id, seq) VALUES (1, 0)');

    await queryRunner.createTable(
      new Table({
        name: 'webhook_subscription',
        columns: [
          id(),
          str('owner_role', 16),
          ref('organization_id', true),
          region('region_code', true),
          str('url', 2048),
          text('events'),
          str('secret', 200),
          ref('created_by'),
          instant('created_at'),
          instant('deleted_at', true),
        ],
        indices: [idx(['organization_id']), idx(['region_code'])],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_delivery',
        columns: [
          id(),
          ref('subscription_id'),
          ref('event_id'),
          { name: 'event_seq', type: 'bigint' },
          str('status', 16),
          { ...int('attempts'), default: 0 },
          instant('next_attempt_at'),
          str('lease_owner', 100, true),
          instant('lease_expires_at', true),
          int('last_status_code', true),
          str('last_error', 500, true),
          instant('delivered_at', true),
          instant('created_at'),
        ],
        indices: [idx(['subscription_id', 'event_id'], true), idx(['status', 'next_attempt_at']), idx(['subscription_id', 'event_seq'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_delivery_subscription',
            columnNames: ['subscription_id'],
            referencedTableName: 'webhook_subscription',
            referencedColumnNames: ['id'],
          }),
          new TableForeignKey({
            name: 'fk_delivery_event',
            columnNames: ['event_id'],
            referencedTableName: 'domain_event',
            referencedColumnNames: ['id'],
          }),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'webhook_attempt',
        columns: [
          id(),
          ref('delivery_id'),
          ref('subscription_id'),
          int('attempt'),
          instant('started_at'),
          int('status_code', true),
          str('error', 500, true),
          int('duration_ms'),
          str('node', 100),
        ],
        indices: [idx(['delivery_id']), idx(['subscription_id', 'started_at'])],
        foreignKeys: [
          new TableForeignKey({
            name: 'fk_attempt_delivery',
            columnNames: ['delivery_id'],
            referencedTableName: 'webhook_delivery',
            referencedColumnNames: ['id'],
          }),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'api_key',
        columns: [
          id(),
          str('name', 100),
          str('key_hash', 64),
          str('prefix', 16),
          str('role', 16),
          ref('organization_id', true),
          region('region_code', true),
          bool('read_only'),
          ref('created_by'),
          instant('created_at'),
          instant('last_used_at', true),
          instant('revoked_at', true),
        ],
        indices: [idx(['key_hash'], true), idx(['organization_id']), idx(['region_code'])],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'notification',
        columns: [
          id(),
          ref('user_id'),
          str('kind', 32),
          str('dedupe_key', 150),
          str('title', 200),
          text('body'),
          str('entity_type', 32),
          ref('entity_id'),
          instant('created_at'),
          instant('read_at', true),
          str('email_to', 200, true),
          str('email_status', 16),
          { ...int('email_attempts'), default: 0 },
          instant('email_next_at', true),
          str('email_lease_owner', 100, true),
          instant('email_lease_until', true),
          str('email_error', 500, true),
        ],
        indices: [
          idx(['dedupe_key'], true),
          idx(['user_id', 'created_at']),
          idx(['email_status', 'email_next_at']),
          idx(['entity_id', 'kind']),
        ],
      }),
      true,
    );
    await queryRunner.addColumn('facility', new TableColumn(str('external_ref', 100, true)));
    await queryRunner.createIndex(
      'facility',
      new TableIndex({ name: 'uq_facility_external_ref', columnNames: ['provider_id', 'external_ref'], isUnique: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('facility', 'uq_facility_external_ref');
    await queryRunner.dropColumn('facility', 'external_ref');
    for (const table of [
      'notification',
      'api_key',
      'webhook_attempt',
      'webhook_delivery',
      'webhook_subscription',
      'event_head',
      'domain_event',
    ]) {
      await queryRunner.dropTable(table, true);
    }
  }
}
