import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { EventFeed } from './event-feed';
import { EventFeedQuery, EventPage, EventView } from './events.dto';
import { Explained, READ_ONLY, NO_MONEY } from '../common/http/explained';

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(private readonly feed: EventFeed) {}

  @Get()
  @Explained({
    summary: 'The domain event feed, oldest first, after an opaque cursor',
    who: 'Any signed-in user or API key: an organization the events it is a party to (a settlement’s payee its own line), a bureau those of its region and the cities below it and the shared credit list (sanctions, related parties) wherever recorded, the platform all.',
    changes: READ_ONLY,
    money: NO_MONEY,
    details:
      'Paging by nextCursor neither skips nor repeats an event, also while others write: events are numbered in commit order. An empty page answers the cursor it was given; a cursor the feed did not hand out is 400.',
  })
  @Authenticated()
  @ApiOkResponse({ type: EventPage, description: 'a page of events and the cursor of the next page' })
  async list(@CurrentActor() actor: Actor, @Query() q: EventFeedQuery): Promise<EventPage> {
    const page = await this.feed.page(actor, q.after, q.limit);
    return { items: page.items.map(EventView.of), nextCursor: page.nextCursor };
  }
}
