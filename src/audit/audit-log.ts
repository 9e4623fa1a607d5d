import { Injectable, Logger } from '@nestjs/common';
import { Actor } from '../common/context/request-context';
import { listScope } from '../common/auth/scope';
import { Page, PageQuery } from '../common/http/paging';
import { breakAt, ChainLink, ChainPosition, followChain, GENESIS_HASH } from './audit-chain';
import { AuditProblem, auditReason, problem } from './audit-problems';
import type { Language } from '../common/i18n/messages';
import { CHECKPOINT_EVERY_ENTRIES } from './audit-checkpoint';
import { AuditCheckpoint, AuditEntry } from './audit-entry.entity';
import { AuditRepository } from './audit.repository';
import { AuditQuery, ChainVerification } from './audit.dto';
import { AuditSealer } from './audit-sealer';
import { AuditSigner } from './audit-signer';
import { beijingDayStart, isoPlusDays } from '../common/clock';
import { catalogued } from '../common/errors/domain-error';

// Small enough that a page dies young (5,000 rows were promoted and cost major collections), large enough to amortise the round trip.
const VERIFY_PAGE = 1_000;
// Two reads in flight: the database serves the next pages while this process hashes one.
const READ_AHEAD = 2;

/** Reads and verifies the hash-chained audit log and its signed checkpoints; pending entries are sealed first, so readers see every committed one. */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger(AuditLog.name);
  constructor(
    private readonly sealer: AuditSealer,
    private readonly audit: AuditRepository,
    private readonly signer: AuditSigner,
  ) {}

  /**
   * Platform: everything; a bureau: its region and the cities below; an organization: entries about itself. `from` and
   * `to` are days in Beijing, both included.
   */
  async list(actor: Actor, q: AuditQuery): Promise<Page<AuditEntry>> {
    // a range the wrong way round is a mistake to name, as the bookings and clearing name it, not an empty list
    if (q.from && q.to && q.from > q.to) throw catalogued('VALIDATION_FAILED', 'validation.fromAfterTo', { from: q.from, to: q.to });
    await this.sealer.sealAll();
    const { from, to, ...filter } = q;
    return this.audit.list(listScope(actor), {
      ...filter,
      from: from && beijingDayStart(from),
      until: to && isoPlusDays(beijingDayStart(to), 1),
    });
  }

  /**
   * Recomputes the chain from seq 1 in pages and checks every checkpoint on the way: the entry at its seq has the hash
   * it signed, and its signature verifies under the audit key. The head is read before the entries: entries and head
   * commit together, so everything up to head.seq is there, and appends made meanwhile are left for the next run. The
   * head must match the last entry, or entries were removed from the end.
   *
   * A chain recomputed with correct links by someone who can write to the database but lacks the key no longer
   * matches the checkpoints after the change. Deleting those checkpoints too is caught while the sealer keeps its
   * promise: the newest checkpoint is never more than 1,000 entries behind the head, and a checkpoint is never ahead
   * of it.
   */
  async verify(lng: Language = 'en'): Promise<ChainVerification> {
    await this.sealBeforeVerifying();
    // Read before the head: a checkpoint or an entry commits with a head at or past its seq, so one beyond the head read
    // next means entries were cut from the end, or written past it.
    const newest = await this.audit.lastCheckpoint();
    const lastSeq = await this.audit.lastSeq();
    const head = await this.audit.head();
    let position: ChainPosition = { seq: 0, hash: GENESIS_HASH };
    let signed = 0; // the last checkpoint that held: the key vouches for every entry up to it
    let previous: AuditCheckpoint | undefined;
    const untrusted = (p: AuditProblem): ChainVerification => ({
      valid: false,
      entries: signed,
      firstBrokenId: String(signed + 1),
      reason: auditReason(lng, p),
    });
    for await (const page of this.links(position.seq, head.seq)) {
      const { reached, broken } = followChain(position, page);
      for (const cp of await this.audit.checkpointsBetween(position.seq, reached.seq)) {
        const p = this.signer.problem(cp, page[cp.seq - position.seq - 1], previous);
        if (p) return untrusted(p);
        signed = cp.seq;
        previous = cp;
      }
      if (broken !== undefined) return brokenAt(lng, reached, page[reached.seq - position.seq]);
      position = reached;
    }
    const ended = endProblem(lng, position, head);
    if (ended) return ended;
    if (newest && newest.seq > head.seq) return untrusted(problem('checkpointPastHead', { seq: newest.seq, head: head.seq }));
    if (lastSeq > head.seq) return pastHead(lng, head.seq, lastSeq);
    if (head.seq - signed >= CHECKPOINT_EVERY_ENTRIES || (head.seq > 0 && signed === 0)) return untrusted(unsignedSince(signed));
    return { valid: true, entries: position.seq };
  }

  /**
   * Verification from the newest signed checkpoint: its signature over its hash, the entry it signed (recomputed), then
   * the chain from there to the head — at most about 1,000 entries, whatever the log's size. The entries before the
   * checkpoint are vouched for by the signature alone, as far as an earlier full verification found them intact.
   */
  async verifyFromCheckpoint(lng: Language = 'en'): Promise<ChainVerification> {
    await this.sealBeforeVerifying();
    const cp = await this.audit.lastCheckpoint();
    const lastSeq = await this.audit.lastSeq();
    const head = await this.audit.head();
    if (!cp) {
      return head.seq === 0
        ? { valid: true, entries: 0 }
        : { valid: false, entries: 0, firstBrokenId: '1', reason: auditReason(lng, unsignedSince(0)) };
    }
    const fromCheckpoint = { seq: cp.seq, hash: cp.hash, signedAt: cp.signedAt, keyId: cp.keyId };
    let signed = 0;
    const untrusted = (p: AuditProblem): ChainVerification => ({
      valid: false,
      entries: signed,
      firstBrokenId: String(signed + 1),
      reason: auditReason(lng, p),
      fromCheckpoint,
    });
    if (cp.seq > head.seq) return untrusted(problem('checkpointPastHead', { seq: cp.seq, head: head.seq }));
    const entry = await this.audit.linkAt(cp.seq);
    if (!entry) return untrusted(problem('checkpointEntryMissing', { seq: cp.seq }));
    const p = this.signer.problem(cp, entry, await this.audit.lastCheckpointSignedBy(this.signer.keysAfter(cp.keyId)));
    if (p) return untrusted(p);
    signed = cp.seq;
    // From the link before the checkpoint's entry, so that entry's own fields are recomputed too.
    let position: ChainPosition = { seq: cp.seq - 1, hash: entry.prevHash };
    for await (const page of this.links(position.seq, head.seq)) {
      const { reached, broken } = followChain(position, page);
      if (broken !== undefined) return { ...brokenAt(lng, reached, page[reached.seq - position.seq]), fromCheckpoint };
      position = reached;
    }
    const ended = endProblem(lng, position, head);
    if (ended) return { ...ended, fromCheckpoint };
    if (head.seq - cp.seq >= CHECKPOINT_EVERY_ENTRIES) return untrusted(unsignedSince(cp.seq));
    if (lastSeq > head.seq) return { ...pastHead(lng, head.seq, lastSeq), fromCheckpoint };
    return { valid: true, entries: position.seq, fromCheckpoint };
  }

  /**
   * Chains what is pending, so the verification covers every committed entry. A seal that fails (an entry written past
   * the head takes the seq the next one needs) must not keep the auditor from the verification that says what is wrong.
   */
  private async sealBeforeVerifying(): Promise<void> {
    await this.sealer.sealAll().catch((e: Error) => this.logger.warn(`sealing before verifying the audit chain: ${e.message}`));
  }

  /**
   * The chain's links in (`after`, `upTo`], page by page: pages are ranges of seqs, so the next ones are read while the
   * caller hashes this one and the database and the hashing overlap. A missing entry shows as a gap that followChain
   * reports. Memory holds the pages in flight, whatever the log's size.
   */
  private async *links(after: number, upTo: number): AsyncGenerator<ChainLink[]> {
    const inFlight: Promise<ChainLink[]>[] = [];
    let from = after;
    const readAhead = () => {
      while (inFlight.length < READ_AHEAD && from < upTo) {
        const to = Math.min(from + VERIFY_PAGE, upTo);
        inFlight.push(this.audit.linksBetween(from, to));
        from = to;
      }
    };
    try {
      for (readAhead(); inFlight.length > 0; readAhead()) yield await inFlight.shift()!;
    } finally {
      // A caller that stopped at a broken link leaves reads in flight: let them finish, and fail nowhere.
      await Promise.all(inFlight.map((read) => read.catch(() => undefined)));
    }
  }

  /** The signed checkpoints, newest first. */
  checkpoints(q: PageQuery): Promise<Page<AuditCheckpoint>> {
    return this.audit.checkpoints(q);
  }

  /** The key that verifies the checkpoints, and the earlier keys when it replaced some. */
  publicKey(): { keyId: string; publicKeyPem: string; previousKeys?: { keyId: string; publicKeyPem: string }[] } {
    const previous = this.signer.previousKeys.map(({ keyId, publicKeyPem }) => ({ keyId, publicKeyPem }));
    return { keyId: this.signer.keyId, publicKeyPem: this.signer.publicKeyPem, ...(previous.length > 0 ? { previousKeys: previous } : {}) };
  }
}

/** The chain broken at `entry`, the first that does not follow `reached` (whatever it is, the entries before are intact). */
const brokenAt = (lng: Language, reached: ChainPosition, entry: ChainLink): ChainVerification => ({
  valid: false,
  entries: reached.seq,
  firstBrokenId: String(entry.seq),
  reason: auditReason(lng, breakAt(reached, entry)),
});

/** What is wrong where the chain ended, if anything: the head names another entry, or another hash. */
function endProblem(lng: Language, position: ChainPosition, head: ChainPosition): ChainVerification | undefined {
  if (position.seq === head.seq && position.hash === head.hash) return undefined;
  const p =
    position.seq !== head.seq
      ? problem('headElsewhere', { head: head.seq, seq: position.seq })
      : problem('headHashDiffers', { seq: head.seq });
  return { valid: false, entries: position.seq, firstBrokenId: String(position.seq + 1), reason: auditReason(lng, p) };
}

/** Entries past the head: written into the table beside the chain, never chained (the sealer would have moved the head). */
const pastHead = (lng: Language, head: number, last: number): ChainVerification => ({
  valid: false,
  entries: head,
  firstBrokenId: String(head + 1),
  reason: auditReason(lng, problem('entriesPastHead', { first: head + 1, last, head })),
});

const unsignedSince = (signed: number) => problem('unsigned', { seq: signed, every: CHECKPOINT_EVERY_ENTRIES });
