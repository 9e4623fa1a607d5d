import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { AuditLog } from './audit-log';
import { AuditEntryView, AuditPage, AuditQuery, ChainVerification } from './audit.dto';

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
  @ApiOkResponse({ type: ChainVerification })
  verify(): Promise<ChainVerification> {
    return this.auditLog.verify();
  }
}
