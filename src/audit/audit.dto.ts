import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { AuditEntry } from './audit-entry.entity';
import { PageQuery } from '../common/http/paging';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'sanction' }) @IsOptional() @IsString() @Length(1, 32) entityType?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 36) entityId?: string;
}

/** The stored summary is JSON text; an edited row may hold anything, and reading it must not fail. */
const parseSummary = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

export class AuditEntryView {
  @ApiProperty({ example: 42 }) seq: number;
  @ApiProperty() at: string;
  @ApiProperty({ nullable: true }) actorId: string | null;
  @ApiProperty({ nullable: true, enum: ['enterprise', 'provider', 'bureau', 'platform'] }) actorRole: string | null;
  @ApiProperty({ example: 'sanction.recorded' }) action: string;
  @ApiProperty({ example: 'sanction' }) entityType: string;
  @ApiProperty() entityId: string;
  @ApiProperty({ nullable: true, example: '340100' }) regionCode: string | null;
  @ApiProperty({ nullable: true }) organizationId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) summary: unknown;
  @ApiProperty({ description: 'sha256 over the fields and prevHash' }) hash: string;
  @ApiProperty() prevHash: string;

  static of(e: AuditEntry): AuditEntryView {
    const { seq, at, actorId, actorRole, action, entityType, entityId, regionCode, organizationId, summary, hash, prevHash } = e;
    return {
      seq,
      at,
      actorId,
      actorRole,
      action,
      entityType,
      entityId,
      regionCode,
      organizationId,
      summary: parseSummary(summary),
      hash,
      prevHash,
    };
  }
}

export class AuditPage {
  @ApiProperty({ type: [AuditEntryView] }) items: AuditEntryView[];
  @ApiProperty() total: number;
}

export class ChainVerification {
  @ApiProperty() valid: boolean;
  @ApiProperty({ description: 'entries verified intact (all of them when valid)' }) entries: number;
  @ApiPropertyOptional({ description: 'seq of the first entry that breaks the chain', example: '1042' }) firstBrokenId?: string;
}
