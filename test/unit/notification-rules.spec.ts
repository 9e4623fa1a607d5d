import fc from 'fast-check';
import { MAIL_RETRY_CAP_MS, MAIL_RETRY_FOR_MS, mailRetry } from '../../src/notifications/notification.rules';

const CREATED = '2026-12-04T00:00:00.000Z';
const created = Date.parse(CREATED);

describe('mailRetry: when a failed notification mail is tried again', () => {
  it('never after a permanent refusal (5xx)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 599 }), fc.integer({ min: 1, max: 50 }), (responseCode, attempts) => {
        expect(mailRetry({ emailAttempts: attempts, createdAt: CREATED, responseCode, now: created, retryBaseMs: 60_000 })).toEqual({
          retryAt: null,
        });
      }),
    );
  });

  it('after the base, doubling, at most an hour apart, and never later than a day after the notice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: MAIL_RETRY_FOR_MS + 3_600_000 }),
        fc.integer({ min: 10, max: 3_600_000 }),
        fc.option(fc.integer({ min: 400, max: 499 }), { nil: undefined }),
        (attempts, elapsed, retryBaseMs, responseCode) => {
          const now = created + elapsed;
          const { retryAt } = mailRetry({ emailAttempts: attempts, createdAt: CREATED, responseCode, now, retryBaseMs });
          const expected = Math.min(retryBaseMs * 2 ** (attempts - 1), MAIL_RETRY_CAP_MS);
          if (now + expected > created + MAIL_RETRY_FOR_MS) expect(retryAt).toBeNull();
          else expect(Date.parse(retryAt!) - now).toBe(expected);
        },
      ),
    );
  });

  it('keeps a mail through an afternoon’s outage: tried until the last hour of its day', () => {
    let now = created;
    let attempts = 1;
    let last = now;
    for (;;) {
      const { retryAt } = mailRetry({ emailAttempts: attempts, createdAt: CREATED, now, retryBaseMs: 60_000 });
      if (!retryAt) break;
      now = last = Date.parse(retryAt);
      attempts++;
    }
    expect(last).toBeGreaterThan(created + MAIL_RETRY_FOR_MS - MAIL_RETRY_CAP_MS);
    expect(attempts).toBeLessThan(40); // an hour apart at most: about thirty attempts in a day
  });
});
