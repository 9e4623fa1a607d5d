import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../common/hash';
import { clock, securityClock } from '../common/clock';
import type { Page } from '../common/http/paging';
import { Actor, Role } from '../common/context/request-context';
import { catalogued, notFound } from '../common/errors/domain-error';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Notifier } from '../notifications/notifier';
import { WebhookRepository } from '../webhooks/webhook.repository';
import { webhookDeleted } from '../webhooks/webhook.rules';
import { ApiKey, ApiKeyRepository } from './api-key.repository';
import { apiKeyEntry, apiKeyRevoked } from './api-key.rules';
import { FirstApprovals } from './first-approvals';
import { assertStillActs } from './still-acts';

export const API_KEY_PREFIX = 'yrdk_';
const TOUCH_EVERY_MS = 60_000;
/** A key as made below: the prefix and 30 random bytes in base64url. */
const API_KEY_SHAPE = /^yrdk_[A-Za-z0-9_-]{40}$/;

const ownerOf = (actor: Actor) => ({
  role: actor.role,
  organizationId: actor.role === 'enterprise' || actor.role === 'provider' ? actor.organizationId : null,
  regionCode: actor.role === 'bureau' ? actor.regionCode : null,
});

/**
 * API keys for provincial systems and labs: made by an admin, shown once, stored as a hash, acting as the admin's
 * organization or bureau (its role and scope, never its admin rights), optionally read-only, revoked at once on every
 * node (each request looks its key up), with lastUsedAt and audit entries. A key answers for the person who made it
 * (personOf): while that person is disabled, the key is refused like a revoked one, on every node at once, as the
 * same lookup reads it. Were the person enabled again, the keys would work again; revoke them to end them for good.
 * Revoking a bureau's key withdraws the first approvals still waiting that were given through it (FirstApprovals).
 */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: ApiKeyRepository,
    private readonly webhooks: WebhookRepository,
    private readonly notifier: Notifier,
    private readonly firstApprovals: FirstApprovals,
  ) {}

  async create(actor: Actor, name: string, readOnly: boolean): Promise<{ apiKey: ApiKey; key: string }> {
    this.assertAdmin(actor);
    const key = `${API_KEY_PREFIX}${randomBytes(30).toString('base64url')}`;
    const apiKey: ApiKey = {
      id: newId(),
      name,
      keyHash: sha256(key),
      prefix: key.slice(0, 12),
      ...ownerOf(actor),
      readOnly,
      createdBy: actor.userId,
      createdAt: clock.iso(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.uow.run(async () => {
      // A session ended, or a person disabled, since this request began makes no key (read under shared locks, so that
      // a reset or a disabling committing after this unit revokes it).
      await assertStillActs(this.keys, actor);
      await this.keys.insert(apiKey);
      this.uow.record(apiKeyEntry(apiKey, 'api_key.created', { name, readOnly, prefix: apiKey.prefix }));
      // Its maker hears of it: a key made with a stolen password acts for the organization until someone sees it.
      const access = readOnly ? '只读' : '可读写';
      await this.notifier.toUser(actor.userId, 'api_key_created', apiKey.createdAt, { name, prefix: apiKey.prefix, access }, apiKey.id);
    });
    return { apiKey, key };
  }

  list(actor: Actor, page: { limit: number; offset: number }): Promise<Page<ApiKey>> {
    this.assertAdmin(actor);
    return this.keys.ownedBy(ownerOf(actor), page);
  }

  async revoke(actor: Actor, id: string): Promise<void> {
    this.assertAdmin(actor);
    await this.uow.run(async () => {
      const k = await this.keys.byId(id);
      const mine = ownerOf(actor);
      if (!k || k.role !== mine.role || k.organizationId !== mine.organizationId || k.regionCode !== mine.regionCode)
        throw notFound('API key');
      const now = clock.iso();
      if (!(await this.keys.revoke(k.id, now))) throw notFound('API key');
      // What a leaked key subscribed must not go on receiving the owner's events, nor its first approvals count.
      const ended = await this.webhooks.endMadeBy(k.id, now);
      const withdrawn = await this.firstApprovals.withdrawThrough(k, 'api_key.revoked');
      this.uow.record(apiKeyRevoked(k, { webhooksEnded: ended.length, ...withdrawn }));
      for (const s of ended) this.uow.record(webhookDeleted(s, 'api_key.revoked'));
    });
  }

  /**
   * Whether a presented key is well formed and live, in one indexed read and nothing written (no lastUsedAt): what the
   * body parser asks before reading a bulk body, ahead of the guard's own look-up. A made-up key of the right shape
   * costs that one read, no more than the guard's; any other shape none.
   */
  async live(key: string): Promise<boolean> {
    return API_KEY_SHAPE.test(key) && !!(await this.liveRecord(key));
  }

  /** The stored key a presented one is, unless unknown, revoked or its maker disabled. */
  private async liveRecord(key: string) {
    const k = await this.keys.byHash(sha256(key));
    return k && !k.revokedAt && !k.creatorDisabledAt ? k : null;
  }

  /** The actor a presented key acts as, or null when it is unknown or revoked, or its maker is disabled. */
  async authenticate(key: string): Promise<Actor | null> {
    const k = await this.liveRecord(key);
    if (!k) return null;
    const now = securityClock.now().getTime();
    if (!k.lastUsedAt || Date.parse(k.lastUsedAt) < now - TOUCH_EVERY_MS) {
      const at = new Date(now).toISOString();
      await this.uow
        .run(() => this.keys.touch(k.id, at, new Date(now - TOUCH_EVERY_MS).toISOString()))
        .catch((e) => this.logger.warn(`lastUsedAt of API key ${k.prefix}: ${(e as Error).message}`));
    }
    return {
      userId: k.id,
      username: `api-key:${k.prefix}`,
      role: k.role as Role,
      organizationId: k.organizationId,
      regionCode: k.regionCode,
      sessionId: k.id,
      admin: false,
      mfaEnabled: true, // a machine credential: two-factor belongs to the people who made it
      apiKey: { id: k.id, readOnly: k.readOnly, createdBy: k.createdBy },
    };
  }

  private assertAdmin(actor: Actor): void {
    if (!actor.admin || actor.apiKey) throw catalogued('FORBIDDEN', 'apiKeys.managers');
  }
}
