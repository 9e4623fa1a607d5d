import { Inject, Injectable } from '@nestjs/common';
import { listScope } from '../common/auth/scope';
import { catalogued } from '../common/errors/domain-error';
import type { Actor } from '../common/context/request-context';
import { authConfig, AuthConfig } from '../config/configuration';
import { EventCursors } from './event-cursor';
import { EventOutbox } from './event-outbox';
import { DomainEvent, EventRepository } from './event.repository';

/** The event feed: numbered events after a cursor, scoped like the records. */
@Injectable()
export class EventFeed {
  private readonly cursors: EventCursors;

  constructor(
    private readonly outbox: EventOutbox,
    private readonly events: EventRepository,
    @Inject(authConfig.KEY) config: AuthConfig,
  ) {
    this.cursors = new EventCursors(config.mfaKey);
  }

  async page(actor: Actor, after: string | undefined, limit: number): Promise<{ items: DomainEvent[]; nextCursor: string }> {
    const from = this.cursors.decode(after);
    // Number what has committed so far, so that a caller reads the events of its own writes at once.
    await this.outbox.sequenceAll();
    const items = await this.events.feed(listScope(actor), from, limit);
    // Beyond the last number handed out is no cursor of this feed: reading on from it would skip every event up to it.
    // Only an empty page can follow such a cursor, so only then is the head read.
    if (items.length === 0 && from > (await this.events.head())) throw catalogued('VALIDATION_FAILED', 'events.badCursor');
    return { items, nextCursor: this.cursors.encode(items.at(-1)?.seq ?? from) };
  }
}
