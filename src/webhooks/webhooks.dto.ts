import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { IsOmittable } from '../common/http/validators';
import { IsInstantText } from '../bookings/booking.dto';
import { PageQuery } from '../common/http/paging';
import { CONTRACT_EVENT_TYPES, EVENT_TYPES } from '../events/event-types';
import {
  DELIVERY_STATUSES,
  type DeliveryStatus,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookSubscription,
} from './webhook.repository';

export class CreateWebhookInput {
  @ApiProperty({
    example: 'https://cxq.example.gov.cn/hooks/yrd',
    description: 'http(s); private, loopback and link-local targets are refused',
  })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiProperty({
    example: ['voucher.issued', 'redemption.captured'],
    enum: ['*', ...EVENT_TYPES],
    isArray: true,
    description: `event types (EventView.type: the contract's ${CONTRACT_EVENT_TYPES.join(', ')} and the others listed) or "*" for all`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(48, { each: true })
  events: string[];
}

export class WebhookView {
  @ApiProperty() id: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: [String] }) events: string[];
  @ApiProperty({
    description:
      'who made it: a user’s id, or an API key’s id (as GET /api/api-keys lists it) — after a key leaks, its webhooks are told apart',
  })
  createdBy: string;
  @ApiProperty() createdAt: string;

  static of(s: WebhookSubscription): WebhookView {
    return { id: s.id, url: s.url, events: s.events, createdBy: s.createdBy, createdAt: s.createdAt };
  }
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({ description: 'the signing secret, shown only in this answer' }) secret: string;
}

export class WebhookList {
  @ApiProperty({ type: [WebhookView] }) items: WebhookView[];
  @ApiProperty() total: number;
}

export class AttemptView {
  @ApiProperty() attempt: number;
  @ApiProperty() startedAt: string;
  @ApiProperty({ nullable: true, type: Number }) statusCode: number | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty() durationMs: number;

  static of(a: WebhookAttempt): AttemptView {
    return { attempt: a.attempt, startedAt: a.startedAt, statusCode: a.statusCode, error: a.error, durationMs: a.durationMs };
  }
}

export class DeliveryView {
  @ApiProperty() id: string;
  @ApiProperty() eventId: string;
  @ApiProperty({ example: 'voucher.issued' }) eventType: string;
  @ApiProperty({ enum: DELIVERY_STATUSES, description: 'failed: retried for 24 h without a 2xx' }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: String, description: 'when it is tried next; null once delivered or failed' })
  nextAttemptAt: string | null;
  @ApiProperty({ nullable: true, type: Number }) lastStatusCode: number | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ nullable: true, type: String }) deliveredAt: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ type: [AttemptView], description: 'every attempt, oldest first' }) log: AttemptView[];

  static of(d: WebhookDelivery & { log?: WebhookAttempt[] }): DeliveryView {
    return {
      id: d.id,
      eventId: d.eventId,
      eventType: d.eventType,
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
      lastStatusCode: d.lastStatusCode,
      lastError: d.lastError,
      deliveredAt: d.deliveredAt,
      createdAt: d.createdAt,
      log: (d.log ?? []).map(AttemptView.of),
    };
  }
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliveryView] }) items: DeliveryView[];
  @ApiProperty() total: number;
}

export class DeliveryQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: DELIVERY_STATUSES,
    description: 'only the deliveries in this state: `failed` lists what was given up, to be sent again after an outage',
  })
  @IsOmittable()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

export class RotatedSecretView {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'the new signing secret, shown only in this answer' }) secret: string;
  @ApiProperty({
    description:
      'until then each delivery is signed by the new and the previous secret (two `v1=` in Yrd-Signature); then by the new one only',
  })
  previousSecretValidUntil: string;
}

export class RedeliverWindowInput {
  @ApiProperty({
    example: '2026-12-01T00:00:00+08:00',
    description: 'deliveries made from this instant (ISO 8601; without an offset, Asia/Shanghai)',
  })
  @IsInstantText()
  from: string;
  @ApiProperty({ example: '2026-12-02T00:00:00+08:00', description: 'to this one, exclusive; after `from`' })
  @IsInstantText()
  to: string;
}

export class RedeliveredView {
  @ApiProperty({ description: 'failed deliveries put back in line (at most 500 a request)' }) requeued: number;
  @ApiProperty({ description: 'more failed deliveries are left in the window: ask again' }) more: boolean;
}
