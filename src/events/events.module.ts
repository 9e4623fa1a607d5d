import { Global, Module } from '@nestjs/common';
import { EventFeed } from './event-feed';
import { EventOutbox } from './event-outbox';
import { EventsController } from './events.controller';

/** The transactional outbox of domain events, their numbering and the event feed. */
@Global()
@Module({
  controllers: [EventsController],
  providers: [EventOutbox, EventFeed],
  exports: [EventOutbox],
})
export class EventsModule {}
