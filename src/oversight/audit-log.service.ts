import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, MoreThan } from 'typeorm';
import { entryHash, GENESIS_HASH } from '../audit/audit-chain';
import { AuditEntry, AuditHead } from '../audit/audit-entry.entity';
import { AuditSealer } from '../audit/audit-sealer';
import { scopeList } from '../common/auth/scope';
import { Actor } from '../common/context/request-context';
import { Page } from '../common/http/paging';
import { AuditQuery, ChainVerification } from './audit.dto';

const VERIFY_PAGE = 5_000;

/** Reads and verifies the hash-chained audit log; pending entries are sealed first, so readers see every committed one. */
@Injectable()
export class AuditLogService {
  constructor(
    private readonly sealer: AuditSealer,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Platform: everything; a bureau: its region and the cities below; an organization: entries about itself. */
  async list(actor: Actor, q: AuditQuery): Promise<Page<AuditEntry>> {
    await this.sealer.sealAll();
    const query = this.dataSource.getRepository(AuditEntry).createQueryBuilder('a').orderBy('a.seq', 'DESC');
    if (q.entityType) query.andWhere('a.entityType = :type', { type: q.entityType });
    if (q.entityId) query.andWhere('a.entityId = :id', { id: q.entityId });
    scopeList(query, actor, { region: 'a.regionCode', orgs: ['a.organizationId'] });
    const [items, total] = await query.take(q.limit).skip(q.offset).getManyAndCount();
    return { items, total };
  }

  /**
   * Recomputes the chain from seq 1 in pages. The head is read first: entries and head commit together,
   * so everything up to head.seq is there, and appends made meanwhile are left for the next run.
   * The head must match the last entry, or entries were removed from the end.
   */
  async verify(): Promise<ChainVerification> {
    await this.sealer.sealAll();
    const head = await this.dataSource.getRepository(AuditHead).findOneByOrFail({ id: 1 });
    const repo = this.dataSource.getRepository(AuditEntry);
    let seq = 0;
    let hash = GENESIS_HASH;
    while (seq < head.seq) {
      const page = await repo.find({ where: { seq: MoreThan(seq) }, order: { seq: 'ASC' }, take: Math.min(VERIFY_PAGE, head.seq - seq) });
      if (page.length === 0) break;
      for (const e of page) {
        if (e.seq !== seq + 1 || e.prevHash !== hash || e.hash !== entryHash(e))
          return { valid: false, entries: seq, firstBrokenId: String(e.seq) };
        seq = e.seq;
        hash = e.hash;
      }
    }
    if (seq !== head.seq || hash !== head.hash) return { valid: false, entries: seq, firstBrokenId: String(seq + 1) };
    return { valid: true, entries: seq };
  }
}
