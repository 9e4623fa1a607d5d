import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { liveSlotKey, liveUrlKey, MAX_WEBHOOKS_PER_OWNER, ownerKey } from '../src/webhooks/webhook.rules';
import { idx, str } from './columns';

/**
 * An owner keeps at most MAX_WEBHOOKS_PER_OWNER live webhook subscriptions, one per URL, and unique keys hold that
 * against concurrent requests: `live_url_key` (the owner's URL) and `live_slot` (the owner's slot, 1 to the cap),
 * both null once a subscription is deleted. Live subscriptions take their keys oldest first; one beyond the cap, or a
 * second for the same URL, stays live without them (it still counts toward the cap) until its owner deletes it.
 */
export class WebhookLiveKeys1765830000000 implements MigrationInterface {
  name = 'WebhookLiveKeys1765830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns('webhook_subscription', [
      new TableColumn(str('live_url_key', 64, true)),
      new TableColumn(str('live_slot', 64, true)),
    ]);
    const live: { id: string; owner_role: string; organization_id: string | null; region_code: string | null; url: string }[] =
      await queryRunner.query(
        'SELECT id, owner_role, organization_id, region_code, url FROM webhook_subscription WHERE deleted_at IS NULL ORDER BY created_at, id',
      );
    const slots = new Map<string, number>();
    const urls = new Set<string>();
    for (const s of live) {
      const owner = { ownerRole: s.owner_role, organizationId: s.organization_id, regionCode: s.region_code };
      const n = (slots.get(ownerKey(owner)) ?? 0) + 1;
      slots.set(ownerKey(owner), n);
      let url: string | null;
      try {
        url = liveUrlKey(owner, s.url);
      } catch {
        url = null; // not a URL the parser takes: nothing else can be the same
      }
      if (url !== null && urls.has(url)) url = null;
      if (url !== null) urls.add(url);
      await queryRunner.query('UPDATE webhook_subscription SET live_url_key = ?, live_slot = ? WHERE id = ?', [
        url,
        n <= MAX_WEBHOOKS_PER_OWNER ? liveSlotKey(owner, n) : null,
        s.id,
      ]);
    }
    await queryRunner.createIndex('webhook_subscription', idx(['live_url_key'], true));
    await queryRunner.createIndex('webhook_subscription', idx(['live_slot'], true));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const table = await queryRunner.getTable('webhook_subscription');
    for (const column of ['live_url_key', 'live_slot']) {
      const index = table!.indices.find((i) => i.columnNames.join() === column);
      if (index) await queryRunner.dropIndex('webhook_subscription', index);
      await queryRunner.dropColumn('webhook_subscription', column);
    }
  }
}
