import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor, Public } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { PageQuery } from '../common/http/paging';
import { AuditLog } from './audit-log';
import { AuditEntryView, AuditPage, AuditPublicKey, AuditQuery, ChainVerification, CheckpointPage, CheckpointView } from './audit.dto';

@ApiTags('oversight')
@Controller('audit')
export class AuditController {
  constructor(private readonly auditLog: AuditLog) {}

  @Get()
  @Authenticated()
  @ApiOkResponse({ type: AuditPage, description: 'newest first, within the caller’s scope' })
  async list(@CurrentActor() actor: Actor, @Query() q: AuditQuery): Promise<AuditPage> {
    const page = await this.auditLog.list(actor, q);
    return { items: page.items.map(AuditEntryView.of), total: page.total };
  }

  @Get('verify')
  @Authenticated('platform')
  @ApiOperation({ summary: 'Recompute the hash chain and check every signed checkpoint' })
  @ApiOkResponse({ type: ChainVerification })
  verify(): Promise<ChainVerification> {
    return this.auditLog.verify();
  }

  @Get('checkpoints')
  @Authenticated('platform', 'bureau')
  @ApiOperation({ summary: 'The chain head signed with Ed25519 at least every 1,000 entries and every 10 minutes, newest first' })
  @ApiOkResponse({ type: CheckpointPage })
  async checkpoints(@Query() q: PageQuery): Promise<CheckpointPage> {
    const page = await this.auditLog.checkpoints(q);
    return { items: page.items.map(CheckpointView.of), total: page.total };
  }

  @Get('public-key')
  @Public()
  @ApiOperation({ summary: 'The Ed25519 public key that verifies the checkpoints' })
  @ApiOkResponse({ type: AuditPublicKey })
  publicKey(): AuditPublicKey {
    return this.auditLog.publicKey();
  }
}
