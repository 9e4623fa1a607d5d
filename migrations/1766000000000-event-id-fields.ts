import { MigrationInterface, QueryRunner } from 'typeorm';

/** The records whose events named their id with the record's snake_case type: voucher_applicationId and the like. */
const RENAMED: [entityType: string, from: string, to: string][] = [
  ['voucher_application', 'voucher_applicationId', 'voucherApplicationId'],
  ['clearing_run', 'clearing_runId', 'clearingRunId'],
  ['party_relation', 'party_relationId', 'partyRelationId'],
  ['qualified_list', 'qualified_listId', 'qualifiedListId'],
];

/**
 * Events stored before their id field was camelCase, like every other field (2026-12-04), are renamed in place, so a
 * follower paging from an old cursor, or a delivery still being retried, reads one spelling. Plain text replacement of
 * the key (with its quotes and colon) in the stored JSON, on both databases; running it again changes nothing.
 */
export class EventIdFields1766000000000 implements MigrationInterface {
  name = 'EventIdFields1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [entityType, from, to] of RENAMED) {
      await queryRunner.query(`UPDATE domain_event SET data = REPLACE(data, ?, ?) WHERE entity_type = ?`, [
        `"${from}":`,
        `"${to}":`,
        entityType,
      ]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [entityType, from, to] of RENAMED) {
      await queryRunner.query(`UPDATE domain_event SET data = REPLACE(data, ?, ?) WHERE entity_type = ?`, [
        `"${to}":`,
        `"${from}":`,
        entityType,
      ]);
    }
  }
}
