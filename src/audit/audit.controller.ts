import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { PageQuery } from '../common/http/paging';
import { CallerLanguage, Language } from '../common/i18n/messages';
import { AuditLog } from './audit-log';
import {
  AuditEntryView,
  AuditPage,
  AuditPublicKey,
  AuditQuery,
  ChainVerification,
  CheckpointPage,
  CheckpointView,
  VerifyQuery,
} from './audit.dto';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('oversight')
@Controller('audit')
export class AuditController {
  constructor(private readonly auditLog: AuditLog) {}

  @Get()
  @Explained({
    summary: 'The audit log (审计日志), newest first, within the caller’s scope',
    who: 'Any signed-in user: an organization reads the entries about itself, a bureau those of its region and the cities below it, the platform all.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Filter by entity, action, actor (`actorId`) and Beijing days (`from`, `to`, both included); each entry carries its hash and, for the platform and bureaus, its place in the chain (`seq`, `prevHash`) once sealed.',
  })
  @Authenticated()
  @ApiOkResponse({ type: AuditPage, description: 'newest first, within the caller’s scope' })
  async list(@CurrentActor() actor: Actor, @Query() q: AuditQuery): Promise<AuditPage> {
    const page = await this.auditLog.list(actor, q);
    // Staff read the chain's head in its checkpoints anyway; an organization's entries carry no place in it, as its
    // event cursors are sealed: the gaps between them would count everyone else's audited acts.
    const chain = actor.role === 'platform' || actor.role === 'bureau';
    return { items: page.items.map((e) => AuditEntryView.of(e, chain)), total: page.total };
  }

  @Get('verify')
  @Explained({
    summary: 'Recompute the audit hash chain and check the signed checkpoints: all of it, or from the newest checkpoint',
    who: 'The platform only; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Reports the first broken link or bad signature, if any: the proof that no entry was changed or removed. By default from the first entry, so its time grows with the log; with `from=checkpoint`, only the newest checkpoint’s Ed25519 signature and the entries from it to the head, in well under a second at any size, answering also which checkpoint it started from.',
  })
  @Authenticated('platform')
  @ApiOkResponse({ type: ChainVerification })
  verify(@Query() q: VerifyQuery, @CallerLanguage() lng: Language): Promise<ChainVerification> {
    return q.from === 'checkpoint' ? this.auditLog.verifyFromCheckpoint(lng) : this.auditLog.verify(lng);
  }

  @Get('checkpoints')
  @Explained({
    summary: 'Signed checkpoints of the audit chain head, newest first',
    who: 'The platform and bureaus; other roles are 403.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'The chain head is signed with Ed25519 at least every 1,000 entries and every 10 minutes; verify with GET /api/audit/public-key.',
  })
  @Authenticated('platform', 'bureau')
  @ApiOkResponse({ type: CheckpointPage })
  async checkpoints(@Query() q: PageQuery): Promise<CheckpointPage> {
    const page = await this.auditLog.checkpoints(q);
    return { items: page.items.map(CheckpointView.of), total: page.total };
  }

  @Get('public-key')
  @Explained({
    summary: 'The Ed25519 public key that verifies the audit checkpoints',
    who: 'Anyone, without a token.',
    changes: READ_ONLY,
    money: NO_MONEY,
  })
  @Public()
  @ApiOkResponse({ type: AuditPublicKey })
  publicKey(): AuditPublicKey {
    return this.auditLog.publicKey();
  }
}
