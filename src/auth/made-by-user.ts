import { Injectable } from '@nestjs/common';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { apiKeyRevoked } from '../api-keys/api-key.rules';
import { FirstApprovals, Withdrawn, withdrawnTogether } from '../api-keys/first-approvals';
import { clock } from '../common/clock';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { WebhookRepository } from '../webhooks/webhook.repository';
import type { User } from './user.entity';
import { CredentialEndCause, webhookDeleted } from '../webhooks/webhook.rules';

/** What MadeByUser ended: counted in the audit entry and the notice (keys and webhooks in the answer, too). */
export type Made = { apiKeysRevoked: number; webhooksEnded: number } & Withdrawn;

/** The sentences the person's notice adds (templates' {{madeEnded}}): nothing when they had made nothing. */
const madeEndedText = (m: Made): string =>
  (m.apiKeysRevoked + m.webhooksEnded === 0
    ? ''
    : `您创建的 API 密钥（${m.apiKeysRevoked} 个）和 Webhook 订阅（${m.webhooksEnded} 个）也已一并停用；如仍需要，请重新创建。`) +
  (m.firstApprovalsWithdrawn ? `经这些密钥作出、尚待复核的初审通过（${m.firstApprovalsWithdrawn} 项）已撤回，需重新审核。` : '');

/** The sentence a notice adds for the first approvals withdrawn that were given in the person's other sessions. */
const sessionApprovalsText = (w: Withdrawn): string =>
  w.firstApprovalsWithdrawn ? `在其他会话中作出、尚待复核的初审通过（${w.firstApprovalsWithdrawn} 项）已撤回，需重新审核。` : '';

/**
 * The sentences a sign-in reset's notice adds (its template's {{withdrawn}}): the first approvals still waiting that it
 * withdrew, those given through the person's keys and those given with the account itself (in any session: whoever held
 * it may have given them), as a password change's notice counts its own.
 */
export const resetApprovalsText = (throughKeys: Withdrawn, withAccount: Withdrawn): string =>
  (throughKeys.firstApprovalsWithdrawn
    ? `经您的 API 密钥作出、尚待复核的初审通过（${throughKeys.firstApprovalsWithdrawn} 项）已撤回，需重新审核。`
    : '') +
  (withAccount.firstApprovalsWithdrawn
    ? `以您的账号作出、尚待复核的初审通过（${withAccount.firstApprovalsWithdrawn} 项）已撤回，需重新审核。`
    : '');

/**
 * What a person's sign-in made that goes on acting without it — the API keys they made and the webhooks of theirs and
 * of those keys — ended in the caller's unit when that sign-in can no longer be trusted: a password changed or reset,
 * two-factor enabled (a stolen password is why people do either). A key is as trustworthy as the password that made
 * it, and so is what was first-approved through it (FirstApprovals); calendar feeds end the same way (calendar-feeds.ts).
 */
@Injectable()
export class MadeByUser {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly apiKeys: ApiKeyRepository,
    private readonly webhooks: WebhookRepository,
    private readonly firstApprovals: FirstApprovals,
  ) {}

  async end(userId: string, cause: CredentialEndCause): Promise<Made> {
    const at = clock.iso();
    const keys = await this.apiKeys.revokeMadeBy(userId, at);
    const webhooks = await this.webhooks.endMadeBy(userId, at);
    let withdrawn: Withdrawn = {};
    for (const k of keys) {
      const through = await this.firstApprovals.withdrawThrough(k, cause);
      withdrawn = withdrawnTogether(withdrawn, through);
      this.uow.record(apiKeyRevoked(k, { cause, ...through }));
    }
    for (const w of webhooks) this.uow.record(webhookDeleted(w, cause));
    return { apiKeysRevoked: keys.length, webhooksEnded: webhooks.length, ...withdrawn };
  }

  /**
   * end(), then the person's first approvals still waiting that were given in any session but `sessionId`, the one that
   * proved the password (changed it, or enabled two-factor): whoever held a stolen session may have given them. Keys
   * before records, as a sign-in reset does. `ended`: what ended, the approvals of both counted together, for the audit
   * entry; `madeEnded`: the notice's sentences.
   */
  async endOutside(
    user: Pick<User, 'id' | 'role' | 'regionCode'>,
    sessionId: string,
    cause: CredentialEndCause,
  ): Promise<{ ended: Made; madeEnded: string }> {
    const made = await this.end(user.id, cause);
    const inSessions = await this.firstApprovals.withdrawOutside(user, sessionId, cause);
    return {
      ended: { ...made, ...withdrawnTogether(made, inSessions) },
      madeEnded: madeEndedText(made) + sessionApprovalsText(inSessions),
    };
  }
}
