import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn } from 'class-validator';
import { PageQuery } from '../common/http/paging';
import { ALWAYS_MAILED, MAIL_OPTIONAL_KINDS, NOTIFICATION_KINDS } from './notification-templates';
import type { Notification } from './notification.repository';
import { IsOmittable, QueryBoolean } from '../common/http/validators';

export class NotificationQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'only those not read yet' })
  @IsOmittable()
  @QueryBoolean()
  unread?: boolean;
}

export class NotificationView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: NOTIFICATION_KINDS }) kind: string;
  @ApiProperty({ example: '【长三角科技创新券】您的创新券申请获批准' }) title: string;
  @ApiProperty() body: string;
  @ApiProperty({ example: 'voucher_application' }) entityType: string;
  @ApiProperty() entityId: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) readAt: string | null;
  @ApiProperty({
    enum: ['none', 'pending', 'sent', 'failed', 'unverified'],
    description:
      'none: no e-mail address, or no SMTP_URL; unverified: the address was not confirmed yet (POST /api/auth/email/verify), told in the app only',
  })
  emailStatus: string;

  static of(n: Notification): NotificationView {
    const { id, kind, title, body, entityType, entityId, createdAt, readAt, emailStatus } = n;
    return { id, kind, title, body, entityType, entityId, createdAt, readAt, emailStatus };
  }
}

export class NotificationPage {
  @ApiProperty({ type: [NotificationView] }) items: NotificationView[];
  @ApiProperty() total: number;
}

export class MailPreferencesInput {
  @ApiProperty({
    enum: MAIL_OPTIONAL_KINDS,
    isArray: true,
    example: ['voucher_expiring', 'budget_low'],
    description: 'the kinds to be told in the app only, replacing those set before; [] mails every kind again',
  })
  @IsArray()
  @ArrayMaxSize(NOTIFICATION_KINDS.length)
  @IsIn(MAIL_OPTIONAL_KINDS, { each: true })
  mailOff: string[];
}

export class MailPreferencesView {
  @ApiProperty({ enum: MAIL_OPTIONAL_KINDS, isArray: true, description: 'the kinds the caller is told in the app only' })
  mailOff: string[];
  @ApiProperty({
    enum: ALWAYS_MAILED,
    isArray: true,
    description: 'mailed whatever the caller chooses: its account’s security, its organization’s bank account, measures taken against it',
  })
  alwaysMailed: string[];
}
