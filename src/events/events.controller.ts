import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentActor } from '../common/auth/decorators';
import type { Actor } from '../common/context/request-context';
import { EventFeed } from './event-feed';
import { EventFeedQuery, EventPage, EventView } from './events.dto';

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(private readonly feed: EventFeed) {}

  @Get()
  @Authenticated()
  @ApiOperation({
    summary: 'The domain event feed, oldest first, after an opaque cursor',
    description:
      'Every state change writes its event in its own transaction. An organization reads the events it is a party to, a bureau ' +
      'those of its region and the cities below it, the platform all. Paging by nextCursor neither skips nor repeats an event, ' +
      'also while others write: events are numbered in commit order.',
  })
  @ApiOkResponse({ type: EventPage, description: 'a page of events and the cursor of the next page' })
  async list(@CurrentActor() actor: Actor, @Query() q: EventFeedQuery): Promise<EventPage> {
    const page = await this.feed.page(actor, q.after, q.limit);
    return { items: page.items.map(EventView.of), nextCursor: page.nextCursor };
  }
}
