import { MigrationInterface, QueryRunner } from 'typeorm';
import { idx } from './columns';

/**
 * Revoking a key or disabling a person ends the webhooks it made (and, for a person, those its keys made): found by
 * who made them, not by reading every subscription and key.
 */
export class WebhooksByMaker1766200000000 implements MigrationInterface {
  name = 'WebhooksByMaker1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex('webhook_subscription', idx(['created_by']));
    await queryRunner.createIndex('api_key', idx(['created_by']));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['webhook_subscription', 'api_key']) {
      const index = (await queryRunner.getTable(table))!.indices.find((i) => i.columnNames.join() === 'created_by');
      if (index) await queryRunner.dropIndex(table, index);
    }
  }
}
