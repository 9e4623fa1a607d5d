import { Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { canRead, listScope } from '../common/auth/scope';
import { clock } from '../common/clock';
import { Actor } from '../common/context/request-context';
import { catalogued, notFound } from '../common/errors/domain-error';
import { BookingPage, BookingQuery, BookingView } from './booking.dto';
import { BookingRepository } from './booking.repository';
import { stored, ZONE } from './booking.rules';

/** Bookings as their parties, the issuing bureau and the platform see them. */
@Injectable()
export class BookingsQueries {
  constructor(private readonly bookings: BookingRepository) {}

  async list(actor: Actor, q: BookingQuery): Promise<BookingPage> {
    // a range the wrong way round is a mistake to name, as availability and clearing name it, not an empty list
    if (q.from && q.to && q.from > q.to) throw catalogued('VALIDATION_FAILED', 'validation.fromAfterTo', { from: q.from, to: q.to });
    const from = q.from ? stored(DateTime.fromISO(q.from, { zone: ZONE }).toMillis()) : undefined;
    const to = q.to ? stored(DateTime.fromISO(q.to, { zone: ZONE }).plus({ days: 1 }).toMillis()) : undefined;
    const page = await this.bookings.list(listScope(actor), { ...q, from, to });
    const now = clock.iso();
    return { items: page.items.map((b) => BookingView.of(b, now)), total: page.total };
  }

  async get(actor: Actor, id: string): Promise<BookingView> {
    const b = await this.bookings.get(id);
    if (!b || !canRead(actor, { organizationIds: [b.enterpriseId, b.providerId], regionCodes: [b.issuingRegionCode] })) {
      throw notFound('booking');
    }
    return BookingView.of(b, clock.iso());
  }
}
