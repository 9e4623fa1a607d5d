import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { instant, str } from './columns';

/**
 * A webhook's signing secret is rotated in place (POST /api/webhooks/:id/rotate-secret): the secret it replaced
 * (encrypted like `secret`) still signs deliveries until `previous_secret_until`, so the receiver switches unhurried.
 */
export class WebhookSecretRotation1767730000000 implements MigrationInterface {
  name = 'WebhookSecretRotation1767730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const table = await queryRunner.getTable('webhook_subscription');
    const missing = [new TableColumn(str('previous_secret', 200, true)), new TableColumn(instant('previous_secret_until', true))].filter(
      (c) => !table!.findColumnByName(c.name),
    );
    if (missing.length > 0) await queryRunner.addColumns('webhook_subscription', missing);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumns('webhook_subscription', ['previous_secret_until', 'previous_secret']);
  }
}
