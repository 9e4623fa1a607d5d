import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Answers that hold a secret shown once are no longer stored for Idempotency-Key replays (POST /api/api-keys,
 * /api/webhooks, /api/calendar/feed, /api/auth/mfa/setup): the stored ones go, whatever spelling of the path they
 * were made under, found by what they hold. The sweep would have deleted them within a day.
 */
export class SecretsNotReplayed1765820000000 implements MigrationInterface {
  name = 'SecretsNotReplayed1765820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM idempotency_record WHERE response_body LIKE ? OR response_body LIKE ? OR response_body LIKE ? OR response_body LIKE ?`,
      ['%"key":"yrdk%', '%"secret":"whsec%', '%/api/calendar/%.ics"%', '%"otpauthUrl":"otpauth:%'],
    );
  }

  // What was deleted were secrets in clear: nothing to put back.
  async down(): Promise<void> {}
}
