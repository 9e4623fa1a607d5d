import { applyDecorators, CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { Reflector } from '@nestjs/core';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, lastValueFrom, Observable } from 'rxjs';
import { authConfig, AuthConfig } from '../../config/configuration';
import { canonicalJson } from '../canonical-json';
import { seal, unseal } from '../sealed';
import { clock } from '../clock';
import { Actor, personOf, requestContext } from '../context/request-context';
import { catalogued, DomainError } from '../errors/domain-error';
import { toErrorBody } from '../http/error.filter';
import { Language, LANGUAGES } from '../i18n/messages';
import { canonicalQueryOf, headerOf, HttpReply, HttpRequest, pathOf } from '../http/http-neutral';
import { newId } from '../ids';
import { UnitOfWork } from '../persistence/unit-of-work';
import { IdempotencyRecord } from './idempotency-record.entity';
import { IdempotencyClaim, IdempotencyRace, IdempotencyRepository } from './idempotency.repository';

/** 1–128 printable ASCII characters, no space; the OpenAPI document states the same pattern. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,128}$';
const KEY_PATTERN = new RegExp(IDEMPOTENCY_KEY_PATTERN);
const RACE_WAIT_MS = 10_000;
/** A claim this old without a response belongs to a request that died: another may take the key over. */
export const STALE_CLAIM_MS = 60_000;

const IGNORES_KEY = 'idempotency:ignored';
/** Marks, in the OpenAPI document, an operation whose Idempotency-Key is ignored: its header is not offered there. */
export const IGNORES_IDEMPOTENCY_EXTENSION = 'x-ignores-idempotency-key';
/** Routes that never store a request (login, refresh, registration, passwords, setup codes: answers hold secrets). */
export const IgnoresIdempotencyKey = () =>
  applyDecorators(SetMetadata(IGNORES_KEY, true), ApiExtension(IGNORES_IDEMPOTENCY_EXTENSION, true));

const SEALS_KEY = 'idempotency:sealed';
/**
 * Routes whose answer holds a secret shown once (an API key, a webhook's signing secret): the answer is stored sealed
 * (AES-256-GCM under MFA_ENCRYPTION_KEY) for its replay, so a client that lost it retries and reads it, and a copy of
 * the database alone does not.
 */
export const SealsReplay = () => SetMetadata(SEALS_KEY, true);
const SEALED = 'sealed:';
/** `sealed:<credential>:v1.…`: the credential a sealed answer is replayed to; `sealed:v1.…` was stored before it was kept. */
const SEALED_FOR = /^sealed:((?:key|person)\.[^:]+):(v1\..*)$/s;

/**
 * Who may read a sealed answer again: the API key that sent the request, or the person whose session did (any session
 * of theirs: the one that signed in again after its token lapsed mid-request is the same person). Never another
 * credential of the same person: a machine must not learn a secret minted by a session, nor a session or another key
 * one minted for a key.
 */
const credentialOf = (actor: Actor | undefined): string =>
  actor?.apiKey ? `key.${actor.apiKey.id}` : `person.${actor?.userId ?? 'anonymous'}`;

/**
 * Honours `Idempotency-Key` on every POST. The request runs in one unit of work with its claim on the key and its
 * response, so a crash leaves either nothing (a retry runs) or the whole work with its response (a retry replays).
 * Keys are scoped to the caller: a person, with the API keys they made. A request refused before it ran (400, 401,
 * 403, 404, 413, 429) rolls back and leaves the key unused; a use case's refusal (409, 422) is its committed answer and
 * is replayed like a success. Of two concurrent duplicates the second waits on the first's claim and replays its
 * response.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly records: IdempotencyRepository,
    private readonly reflector: Reflector,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<HttpRequest>();
    const key = headerOf(req, 'idempotency-key');
    if (req.method !== 'POST' || key === undefined) return next.handle();
    const marked = (flag: string) => this.reflector.getAllAndOverride<boolean>(flag, [context.getHandler(), context.getClass()]) === true;
    if (marked(IGNORES_KEY)) return next.handle();
    return from(this.handle(req, http.getResponse<HttpReply>(), key, next, marked(SEALS_KEY)));
  }

  private async handle(req: HttpRequest, res: HttpReply, key: string, next: CallHandler, sealed: boolean): Promise<unknown> {
    if (!KEY_PATTERN.test(key)) throw catalogued('VALIDATION_FAILED', 'validation.idempotencyKey');
    // A person's keys are theirs and their API keys': a retry sent with the next key while two overlap in a rotation
    // replays what the first key's request did rather than running it again. Keys of two people stay apart, so one
    // person's system never replays another's answer (a second approval answered with the first's 202).
    const actor = requestContext.getStore()?.actor;
    const callerId = actor ? personOf(actor) : 'anonymous';
    // `/x/` routes as `/x` (ignoreTrailingSlash), so a retry through either is the same request.
    const route = `${req.method} ${pathOf(req).replace(/(.)\/+$/, '$1')}`.slice(0, 200);
    // The query is part of the request: an import's `?dryRun=true` only reports, and the real import retried with the
    // same key must not replay that report. Left out when empty, so the hashes of query-less requests stay as stored.
    const query = canonicalQueryOf(req);
    // Keyed with the server's secret: a stored hash reveals nothing of the body, even to whoever reads the table.
    const requestHash = createHmac('sha256', this.config.jwtSecret)
      .update(`${route}\n${canonicalJson(req.body)}${query ? `\n?${query}` : ''}`)
      .digest('hex');
    const claim: IdempotencyClaim = { callerId, key, route, requestHash };
    const credential = credentialOf(actor);

    // Also what a node before keys were a person's kept under the API key's own id: a request answered there and retried
    // here (a rolling upgrade, or a retry across it) is replayed, not run again. Found only until those records expire.
    const existing = await this.records.findFirst(actor?.apiKey ? [callerId, actor.apiKey.id] : [callerId], key);
    const staleBefore = new Date(clock.now().getTime() - STALE_CLAIM_MS).toISOString();
    if (existing && !(await this.uow.run(() => this.records.releaseStale(existing, staleBefore)))) {
      return this.replay(existing, claim, res, actor);
    }
    try {
      return await this.uow.run(async () => {
        const id = newId();
        await this.records.claim(claim, id);
        try {
          const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
          const json = JSON.stringify(body ?? null);
          // The credential goes in clear beside the seal and into it as associated data: changed, the seal opens no more.
          const stored = sealed ? `${SEALED}${credential}:${seal(this.config.mfaKey, json, credential)}` : json;
          await this.records.complete(id, res.statusCode, stored);
          return body;
        } catch (e) {
          if (e instanceof DomainError && e.options.committed) await this.records.complete(id, e.status, JSON.stringify(storedRefusal(e)));
          throw e;
        }
      });
    } catch (e) {
      if (!(e instanceof IdempotencyRace)) throw e;
      return this.replay(await this.awaitWinner(callerId, key), claim, res, actor);
    }
  }

  private replay(record: IdempotencyRecord, claim: IdempotencyClaim, res: HttpReply, actor: Actor | undefined): unknown {
    if (record.responseStatus === null) {
      throw catalogued('IDEMPOTENCY_CONFLICT', 'idempotency.inProgress');
    }
    if (record.requestHash !== claim.requestHash) {
      throw catalogued('IDEMPOTENCY_CONFLICT', 'idempotency.reused');
    }
    const body: unknown = JSON.parse(this.opened(record, actor));
    res.header('Idempotent-Replayed', 'true');
    // A stored refusal is answered as the refusal it was (the filter renders it with its status).
    if (record.responseStatus >= 400) {
      const error = body as StoredRefusal;
      const messages = error.messages;
      throw new DomainError(error.code, error.message, messages ? { localized: (lng) => messages[lng] ?? error.message } : {});
    }
    res.status(record.responseStatus);
    return body;
  }

  /**
   * A stored answer as it was sent: a sealed one opened, which only a node with the same MFA_ENCRYPTION_KEY can, and
   * only for the credential it was sealed for (409 to any other: the request is not run again, and the secret stays
   * with whoever got it). One sealed before the credential was kept (a day at most) opens to a session, or to the key
   * under whose own id a node before keys were a person's kept it; never to another key.
   */
  private opened(record: IdempotencyRecord, actor: Actor | undefined): string {
    const credential = credentialOf(actor);
    const stored = record.responseBody ?? 'null';
    if (!stored.startsWith(SEALED)) return stored;
    const sealedFor = SEALED_FOR.exec(stored);
    const legacyOpens = !actor?.apiKey || record.callerId === actor.apiKey.id;
    if (sealedFor ? sealedFor[1] !== credential : !legacyOpens) {
      throw catalogued('IDEMPOTENCY_CONFLICT', 'idempotency.sealedForAnother');
    }
    try {
      return sealedFor ? unseal(this.config.mfaKey, sealedFor[2], credential) : unseal(this.config.mfaKey, stored.slice(SEALED.length));
    } catch {
      throw catalogued('IDEMPOTENCY_CONFLICT', 'idempotency.unreadable');
    }
  }

  /** The winner committed its claim together with its response; on SQLite and MariaDB alike it is there once we see the claim. */
  private async awaitWinner(callerId: string, key: string): Promise<IdempotencyRecord> {
    const deadline = Date.now() + RACE_WAIT_MS;
    for (;;) {
      const record = await this.records.find(callerId, key);
      if ((record && record.responseStatus !== null) || Date.now() > deadline) {
        if (!record) throw catalogued('SERVICE_BUSY', 'idempotency.unfinished', {}, { retryAfterSec: 1 });
        return record;
      }
      await sleep(20);
    }
  }
}

/** A refusal as stored with its key: the English body, and its message in each language, so a retry reads as the first answer did. */
interface StoredRefusal {
  code: DomainError['code'];
  message: string;
  /** Absent from refusals stored before messages were kept in every language. */
  messages?: Partial<Record<Language, string>>;
}

const storedRefusal = (e: DomainError) => ({
  ...toErrorBody(e),
  messages: Object.fromEntries(LANGUAGES.map((lng) => [lng, toErrorBody(e, undefined, lng).message])),
});
