import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { QueryInt, IsOmittable } from '../common/http/validators';
import { DomainEvent } from './event.repository';
import { CONTRACT_EVENT_TYPES, EVENT_TYPES } from './event-types';

export class EventFeedQuery {
  @ApiPropertyOptional({ description: 'the nextCursor of the previous page; absent or empty: from the first event' })
  @IsOmittable()
  @IsString()
  @MaxLength(64)
  after?: string;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 500 })
  @IsOmittable()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 100;
}

export class EventView {
  @ApiProperty({ description: 'the event id (also the webhook header Yrd-Event-Id)' }) id: string;
  @ApiProperty({
    example: 'redemption.held',
    enum: EVENT_TYPES,
    description: `the contract's ${CONTRACT_EVENT_TYPES.join(', ')}, and the other state changes' types listed here; a webhook subscription names these (or "*"). Types are added as the service grows: a client ignores a type it does not know rather than failing on it`,
  })
  type: string;
  @ApiProperty({ example: '2026-11-30T08:00:00.000Z' }) occurredAt: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'the record changed (`<entity>Id`), its region and parties, and what changed',
  })
  data: Record<string, unknown>;

  static of(e: DomainEvent): EventView {
    return { id: e.id, type: e.type, occurredAt: e.occurredAt, data: e.data };
  }
}

export class EventPage {
  @ApiProperty({ type: [EventView] }) items: EventView[];
  @ApiProperty({ description: 'pass as `after` for the next page: after the last item, or the same cursor when the page is empty' })
  nextCursor: string;
}
