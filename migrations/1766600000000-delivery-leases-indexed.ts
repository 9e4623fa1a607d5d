import { MigrationInterface, QueryRunner } from 'typeorm';
import { idx } from './columns';

/**
 * The webhook worker counts each subscription's attempts under way (WebhookRepository.due) on every poll: pending
 * deliveries whose lease has not expired. Without this index that count read every delivery, delivered ones included.
 */
export class DeliveryLeasesIndexed1766600000000 implements MigrationInterface {
  name = 'DeliveryLeasesIndexed1766600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = await queryRunner.getTable('webhook_delivery');
    if (!table!.indices.some((i) => i.columnNames.join() === 'status,lease_expires_at')) {
      await queryRunner.createIndex('webhook_delivery', idx(['status', 'lease_expires_at']));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = await queryRunner.getTable('webhook_delivery');
    const index = table!.indices.find((i) => i.columnNames.join() === 'status,lease_expires_at');
    if (index) await queryRunner.dropIndex('webhook_delivery', index);
  }
}
