import { Injectable } from '@nestjs/common';
import { Actor } from '../common/context/request-context';
import { listScope } from '../common/auth/scope';
import { Page, PageQuery } from '../common/http/paging';
import { followChain, GENESIS_HASH } from './audit-chain';
import { CHECKPOINT_EVERY_ENTRIES } from './audit-checkpoint';
import { AuditCheckpoint, AuditEntry } from './audit-entry.entity';
import { AuditRepository } from './audit.repository';
import { AuditQuery, ChainVerification } from './audit.dto';
import { AuditSealer } from './audit-sealer';
import { AuditSigner } from './audit-signer';
import { counted } from '../common/i18n/plural';

const VERIFY_PAGE = 5_000;

/** Reads and verifies the hash-chained audit log and its signed checkpoints; pending entries are sealed first, so readers see every committed one. */
@Injectable()
export class AuditLog {
  constructor(
    private readonly sealer: AuditSealer,
    private readonly audit: AuditRepository,
    private readonly signer: AuditSigner,
  ) {}

  /** Platform: everything; a bureau: its region and the cities below; an organization: entries about itself. */
  async list(actor: Actor, q: AuditQuery): Promise<Page<AuditEntry>> {
    await this.sealer.sealAll();
    return this.audit.list(listScope(actor), q);
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
  async verify(): Promise<ChainVerification> {
    await this.sealer.sealAll();
    // Read before the head: a checkpoint commits with a head at or past its seq, so one beyond the head read next means
    // entries were cut from the end.
    const newest = await this.audit.lastCheckpoint();
    const head = await this.audit.head();
    let position = { seq: 0, hash: GENESIS_HASH };
    let signed = 0; // the last checkpoint that held: the key vouches for every entry up to it
    const untrusted = (reason: string): ChainVerification => ({ valid: false, entries: signed, firstBrokenId: String(signed + 1), reason });
    while (position.seq < head.seq) {
      const page = await this.audit.entriesAfter(position.seq, Math.min(VERIFY_PAGE, head.seq - position.seq));
      if (page.length === 0) break;
      const { reached, broken } = followChain(position, page);
      for (const cp of await this.audit.checkpointsBetween(position.seq, reached.seq)) {
        const problem = this.signer.problem(cp, page[cp.seq - position.seq - 1]);
        if (problem) return untrusted(problem);
        signed = cp.seq;
      }
      if (broken !== undefined) {
        const reason = `entry ${broken} does not match its hash or does not follow entry ${reached.seq}`;
        return { valid: false, entries: reached.seq, firstBrokenId: String(broken), reason };
      }
      position = reached;
    }
    if (position.seq !== head.seq || position.hash !== head.hash) {
      const reason =
        position.seq !== head.seq
          ? `the head names entry ${head.seq}, but the chain ends at entry ${position.seq}`
          : `the head's hash differs from that of entry ${head.seq}`;
      return { valid: false, entries: position.seq, firstBrokenId: String(position.seq + 1), reason };
    }
    if (newest && newest.seq > head.seq) {
      return untrusted(`checkpoint ${newest.seq} signed entries past the head (${head.seq}): entries were removed from the end`);
    }
    if (head.seq - signed >= CHECKPOINT_EVERY_ENTRIES || (head.seq > 0 && signed === 0)) {
      return untrusted(
        `no checkpoint signs the chain after entry ${signed}, though one is signed at least every ${counted(CHECKPOINT_EVERY_ENTRIES, 'entry', 'entries')}`,
      );
    }
    return { valid: true, entries: position.seq };
  }

  /** The signed checkpoints, newest first. */
  checkpoints(q: PageQuery): Promise<Page<AuditCheckpoint>> {
    return this.audit.checkpoints(q);
  }

  /** The key that verifies the checkpoints. */
  publicKey(): { keyId: string; publicKeyPem: string } {
    return { keyId: this.signer.keyId, publicKeyPem: this.signer.publicKeyPem };
  }
}
