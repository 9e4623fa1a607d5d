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

  up(queryRunner: QueryRunner): Promise<void> {
    return rename(queryRunner, (snake, camel) => [snake, camel]);
  }

  down(queryRunner: QueryRunner): Promise<void> {
    return rename(queryRunner, (snake, camel) => [camel, snake]);
  }
}

async function rename(queryRunner: QueryRunner, direction: (snake: string, camel: string) => [from: string, to: string]): Promise<void> {
  for (const [entityType, snake, camel] of RENAMED) {
    const [from, to] = direction(snake, camel);
    await queryRunner.query(`UPDATE domain_event SET data = REPLACE(data, ?, ?) WHERE entity_type = ?`, [
      `"${from}":`,
      `"${to}":`,
      entityType,
    ]);
  }
}
