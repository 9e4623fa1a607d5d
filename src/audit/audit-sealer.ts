import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { clock } from '../common/clock';
import { requestContext } from '../common/context/request-context';
import { isRetryable } from '../common/persistence/db-errors';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { appConfig, AppConfig, auditConfig, AuditConfig } from '../config/configuration';
import { chainEntries } from './audit-chain';
import { dueByTime, seqsToSign } from './audit-checkpoint';
import { AuditRepository } from './audit.repository';
import { AuditSigner } from './audit-signer';

const BATCH = 1_000;

/**
 * Chains pending audit entries into the hash chain: soon after a commit that wrote some (batching the entries of
 * many transactions into one seal), before every read of the log, in the sweep and at shutdown. Pending entries
 * live in the database, so any node's sealer seals any node's entries; the timer here only makes it prompt.
 *
 * It also signs checkpoints of the chain, always under the head's row lock: in the seal that chains the 1,000th
 * entry since the last checkpoint, in a seal or sweep when the last checkpoint is 10 minutes old and the head has
 * moved, and at start-up when that is due (the first start after the upgrade signs the chain as it stands).
 */
@Injectable()
export class AuditSealer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditSealer.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditRepository,
    private readonly signer: AuditSigner,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
    @Inject(auditConfig.KEY) private readonly auditSettings: AuditConfig,
    sweeps: Sweeps,
  ) {
    uow.onFlush((state) => audit.insertPending(state.audit, requestContext.getStore()?.actor));
    uow.onCommitted((state) => state.audit.length > 0 && this.soon());
    sweeps.register('audit-seal', () => this.sealAll());
    sweeps.register('audit-checkpoint', () => this.checkpointIfDue());
  }

  /** Seals everything pending now; returns how many entries. */
  sealAll(): Promise<number> {
    return this.seal((batch) => this.uow.run(batch));
  }

  private async seal(run: (batch: () => Promise<number>) => Promise<number>): Promise<number> {
    // Usually nothing is pending when the log is read: then no transaction and no head-row lock.
    if (!(await this.audit.anyPending())) return 0;
    let sealed = 0;
    for (;;) {
      const n = await run(() => this.sealBatch(BATCH));
      sealed += n;
      if (n < BATCH) return sealed;
    }
  }

  /** Signs the head when the last checkpoint is 10 minutes old and the head has moved since; returns 1 if it did. */
  async checkpointIfDue(): Promise<number> {
    // Usually not due: decided on plain reads first, then again under the head's lock.
    if (!dueByTime(await this.audit.lastCheckpoint(), (await this.audit.head()).seq, clock.iso())) return 0;
    return this.uow.run(async () => {
      const head = await this.audit.lockHead();
      if (!dueByTime(await this.audit.lastCheckpoint(), head.seq, clock.iso())) return 0;
      const entry = await this.audit.entryAt(head.seq);
      if (!entry) throw new Error(`the audit head names entry ${head.seq}, which does not exist`);
      await this.audit.insertCheckpoints([this.signer.sign(entry)]);
      return 1;
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.checkKnownKey().catch((e) => this.logger.warn(`reading the newest audit checkpoint: ${(e as Error).message}`));
    await this.checkpointIfDue().catch((e) => this.logger.warn(`signing an audit checkpoint: ${(e as Error).message} (the sweep retries)`));
  }

  /**
   * Says at start-up, rather than at the auditor's next verification, that the newest checkpoint is signed by a key this
   * node does not know: nodes started with different AUDIT_SIGNING_KEYs, or a rotation without the replaced key's public
   * half in AUDIT_PREVIOUS_PUBLIC_KEYS. The node still starts: the chain is sealed and signed as before, and verification
   * reports the checkpoints it cannot check.
   */
  private async checkKnownKey(): Promise<void> {
    const newest = await this.audit.lastCheckpoint();
    if (!newest || this.signer.keys.some((k) => k.keyId === newest.keyId)) return;
    this.logger.error(
      `the newest audit checkpoint (${newest.seq}) is signed by the key ${newest.keyId}, which this node does not know (its key is ${this.signer.keyId}): ` +
        'verification reports the chain invalid until every node has the same AUDIT_SIGNING_KEY, or the replaced key’s public half is in AUDIT_PREVIOUS_PUBLIC_KEYS',
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    await this.sealAll().catch((e) => this.logger.warn(`sealing at shutdown: ${(e as Error).message} (the next sweep seals the rest)`));
  }

  /** Chains up to `limit` pending entries onto the head and signs the checkpoints they make due; returns how many it chained. */
  private async sealBatch(limit: number): Promise<number> {
    const head = await this.audit.lockHead();
    const pending = await this.audit.pendingBatch(limit);
    if (pending.length === 0) return 0;
    const entries = chainEntries(head, pending, this.auditSettings.hashAlg);
    await this.audit.append(
      entries,
      pending.map((p) => p.id),
    );
    const seqs = seqsToSign(
      await this.audit.lastCheckpoint(),
      entries.map((e) => e.seq),
      clock.iso(),
    );
    if (seqs.length > 0) await this.audit.insertCheckpoints(entries.filter((e) => seqs.includes(e.seq)).map((e) => this.signer.sign(e)));
    return entries.length;
  }

  /**
   * A seal shortly after a commit. One attempt per batch: on several nodes (Galera) their sealers conflict on the
   * chain head, and the loser's entries are usually in the winner's batch already, so it tries again a little later
   * (at a random moment, so the two do not meet again) instead of fighting with retries.
   */
  private soon(delayMs = this.config.auditSealDelayMs): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Outside the request that scheduled it: its transaction is over.
      requestContext
        .exit(() => this.seal((batch) => this.uow.attempt(batch)))
        .catch((e: Error) => {
          if (isRetryable(e)) this.soon(Math.max(this.config.auditSealDelayMs, 20) * (1 + Math.random()));
          else this.logger.warn(`sealing audit entries: ${e.message} (retried by the next seal)`);
        });
    }, delayMs);
    this.timer.unref();
  }
}
