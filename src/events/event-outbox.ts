import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { clock } from '../common/clock';
import { newId } from '../common/ids';
import { UnitOfWork } from '../common/persistence/unit-of-work';
import { Sweeps } from '../common/sweeps';
import { appConfig, AppConfig } from '../config/configuration';
import { DomainEvent, EventRepository } from './event.repository';
import { eventsOf } from './event-types';

const BATCH = 500;

/**
 * The transactional outbox. Every unit of work's audit drafts become its domain events, written by a flusher of the
 * unit of work in the same transaction as the state change and its audit entries: a change that rolls back leaves no
 * event, one that commits always has its event (docs/adr/0010).
 *
 * Events are written unnumbered. The sequencer numbers the committed ones under `event_head`'s row lock, in one
 * transaction at a time across all nodes; the feed's cursor is that number. An auto-increment id would not do as a
 * cursor on MariaDB: ids are taken at insert and commit in another order, so a reader that has seen id 11 may later
 * find id 10 committed behind its cursor. A number given after commit, under a lock, only ever grows in the order
 * readers can see events, so paging by it skips and repeats nothing. (A "settle interval" — handing out only events
 * older than a few seconds — was the alternative; it fails silently when a commit takes longer than the interval.)
 *
 * Webhook fan-out hangs on the sequencer (`onSequenced`): deliveries are created in the numbering transaction, once
 * per event and subscription whichever node numbers it.
 */
@Injectable()
export class EventOutbox implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EventOutbox.name);
  private readonly sequencedInTx: ((events: DomainEvent[]) => Promise<void>)[] = [];
  private readonly sequencedListeners: ((count: number) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Units whose flush wrote events: only their commits give the sequencer something to number. */
  private readonly wroteEvents = new WeakSet<object>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly events: EventRepository,
    sweeps: Sweeps,
    @Inject(appConfig.KEY) private readonly config: AppConfig,
  ) {
    uow.onFlush(async (state) => {
      const drafts = state.audit.flatMap(eventsOf);
      if (drafts.length === 0) return;
      const occurredAt = clock.iso();
      await events.insert(drafts.map((d) => ({ ...d, id: newId(), occurredAt })));
      this.wroteEvents.add(state);
    });
    uow.onCommitted((state) => this.wroteEvents.has(state) && this.soon());
    sweeps.register('event-sequence', () => this.sequenceAll());
  }

  /** Work done in the numbering transaction for each batch of newly numbered events (webhook fan-out). */
  onSequenced(work: (events: DomainEvent[]) => Promise<void>): void {
    this.sequencedInTx.push(work);
  }

  /** Told after a numbering transaction committed (the delivery worker starts at once). */
  afterSequenced(listener: (count: number) => void): void {
    this.sequencedListeners.push(listener);
  }

  /**
   * Numbers every committed event still unnumbered; returns how many. `probe`: look with a plain read first whether
   * there is any (the sweep and the feed), rather than open a transaction for nothing; after a commit that wrote
   * events there is.
   */
  async sequenceAll(probe = true): Promise<number> {
    if (probe && !(await this.events.anyUnsequenced())) return 0;
    let numbered = 0;
    for (;;) {
      const n = await this.uow.run(() => this.sequenceBatch());
      numbered += n;
      if (n > 0) for (const listener of this.sequencedListeners) listener(n);
      if (n < BATCH) return numbered;
    }
  }

  private async sequenceBatch(): Promise<number> {
    const head = await this.events.lockHead();
    const ids = await this.events.unsequenced(BATCH);
    if (ids.length === 0) return 0;
    const numbered = await this.events.number(ids, head);
    // Under the head's lock nobody else numbers: anything else is a broken invariant, and the unit rolls back.
    if (numbered !== ids.length) throw new Error(`numbered ${numbered} of ${ids.length} events under the head's lock`);
    const seq = head + numbered;
    await this.events.moveHead(head, seq);
    const events = await this.events.bySeqRange(head, seq);
    for (const work of this.sequencedInTx) await work(events);
    return seq - head;
  }

  /** A numbering shortly after a commit, late enough that the events of many transactions are numbered in one go. */
  private soon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sequenceAll(false).catch((e) => this.logger.warn(`numbering events: ${(e as Error).message} (the sweep retries)`));
    }, this.config.eventSequenceDelayMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    await this.sequenceAll().catch((e) =>
      this.logger.warn(`numbering events at shutdown: ${(e as Error).message} (another node numbers them)`),
    );
  }
}
