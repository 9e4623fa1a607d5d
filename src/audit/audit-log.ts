import { Injectable } from '@nestjs/common';
import { Actor } from '../common/context/request-context';
import { listScope } from '../common/auth/scope';
import { Page } from '../common/http/paging';
import { followChain, GENESIS_HASH } from './audit-chain';
import { AuditEntry } from './audit-entry.entity';
import { AuditRepository } from './audit.repository';
import { AuditQuery, ChainVerification } from './audit.dto';
import { AuditSealer } from './audit-sealer';

const VERIFY_PAGE = 5_000;

/** Reads and verifies the hash-chained audit log; pending entries are sealed first, so readers see every committed one. */
@Injectable()
export class AuditLog {
  constructor(
    private readonly sealer: AuditSealer,
    private readonly audit: AuditRepository,
  ) {}

  /** Platform: everything; a bureau: its region and the cities below; an organization: entries about itself. */
  async list(actor: Actor, q: AuditQuery): Promise<Page<AuditEntry>> {
    await this.sealer.sealAll();
    return this.audit.list(listScope(actor), q);
  }

  /**
   * Recomputes the chain from seq 1 in pages. The head is read first: entries and head commit together, so
   * everything up to head.seq is there, and appends made meanwhile are left for the next run. The head must match
   * the last entry, or entries were removed from the end.
   */
  async verify(): Promise<ChainVerification> {
    await this.sealer.sealAll();
    const head = await this.audit.head();
    let position = { seq: 0, hash: GENESIS_HASH };
    while (position.seq < head.seq) {
      const page = await this.audit.entriesAfter(position.seq, Math.min(VERIFY_PAGE, head.seq - position.seq));
      if (page.length === 0) break;
      const { reached, broken } = followChain(position, page);
      if (broken !== undefined) return { valid: false, entries: reached.seq, firstBrokenId: String(broken) };
      position = reached;
    }
    if (position.seq !== head.seq || position.hash !== head.hash) {
      return { valid: false, entries: position.seq, firstBrokenId: String(position.seq + 1) };
    }
    return { valid: true, entries: position.seq };
  }
}
