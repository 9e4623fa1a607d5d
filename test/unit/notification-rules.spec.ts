import fc from 'fast-check';
import { DAY_MS } from '../../src/common/clock';
import {
  MAIL_RETRY_CAP_MS,
  MAIL_RETRY_FOR_MS,
  mailRetry,
  VOUCHER_REMINDER_DAYS,
  voucherReminderDue,
} from '../../src/notifications/notification.rules';

const CREATED = '2026-12-04T00:00:00.000Z';
const created = Date.parse(CREATED);
const MINUTE = 60_000;
const retryAfter = (attempts: number, now = created, failure: { responseCode?: number; response?: string; command?: string } = {}) => {
  const { retryAt } = mailRetry({ emailAttempts: attempts, createdAt: CREATED, now, retryBaseMs: MINUTE, ...failure });
  return retryAt === null ? null : Date.parse(retryAt) - now;
};

describe('mailRetry: when a failed notification mail is tried again', () => {
  it('after 1, 2, 4, 8, 16, 32 minutes, then hourly', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 30].map((n) => retryAfter(n))).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60].map((m) => m * MINUTE));
  });

  it('never past a day after the notice', () => {
    expect(retryAfter(9, created + MAIL_RETRY_FOR_MS - 60 * MINUTE)).toBe(60 * MINUTE);
    expect(retryAfter(9, created + MAIL_RETRY_FOR_MS - 59 * MINUTE)).toBeNull();
    expect(retryAfter(1, created + MAIL_RETRY_FOR_MS)).toBeNull();
  });

  it('never after the server refused this mail for good: an unknown recipient, a refused message', () => {
    expect(
      retryAfter(1, created, { responseCode: 550, response: '550 5.1.1 <x@y.cn>: Recipient address rejected', command: 'RCPT TO' }),
    ).toBeNull();
    expect(retryAfter(1, created, { responseCode: 553, command: 'RCPT TO' })).toBeNull();
    expect(retryAfter(1, created, { responseCode: 554, response: '554 5.6.0 Message rejected', command: 'DATA' })).toBeNull();
    expect(retryAfter(1, created, { responseCode: 451, command: 'RCPT TO' })).toBe(MINUTE);
  });

  it('again after a 5xx that is the service’s setup, a policy or a passing block, not the mail’s', () => {
    for (const [responseCode, response, command] of [
      [535, '535 5.7.8 Authentication credentials invalid', 'AUTH PLAIN'],
      [530, '530 Error: authentication Required', 'MAIL FROM'],
      [554, '554 mail.example.cn ESMTP not accepting connections', 'CONN'],
      [550, '550 5.7.1 Sender rejected', 'MAIL FROM'],
      [554, '554 5.7.1 <x@y.cn>: Relay access denied', 'RCPT TO'],
      [550, '550 5.7.1 Relaying denied', 'RCPT TO'],
      [552, '552-5.7.0 This message was blocked', 'DATA'],
    ] as const)
      expect(retryAfter(1, created, { responseCode, response, command })).toBe(MINUTE);
    expect(retryAfter(2)).toBe(2 * MINUTE); // no reply at all (a refused connection): again too
  });

  it('in any case: at most an hour apart, within the day, after the mail’s own permanent refusal never', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: MAIL_RETRY_FOR_MS + 3_600_000 }),
        fc.option(fc.integer({ min: 400, max: 599 }), { nil: undefined }),
        fc.constantFrom(undefined, 'CONN', 'EHLO', 'AUTH PLAIN', 'MAIL FROM', 'RCPT TO', 'DATA'),
        fc.boolean(),
        (attempts, elapsed, responseCode, command, policy) => {
          const now = created + elapsed;
          const response = responseCode === undefined ? undefined : `${responseCode} ${policy ? '5.7.1' : '5.1.1'} refused`;
          const after = retryAfter(attempts, now, { responseCode, response, command });
          const forGood =
            !policy &&
            ((command === 'RCPT TO' && [550, 551, 553].includes(responseCode!)) ||
              (command === 'DATA' && [552, 554].includes(responseCode!)));
          if (forGood) expect(after).toBeNull();
          else if (after !== null) {
            expect(after).toBeGreaterThan(0);
            expect(after).toBeLessThanOrEqual(MAIL_RETRY_CAP_MS);
            expect(now + after).toBeLessThanOrEqual(created + MAIL_RETRY_FOR_MS);
          } else
            expect(now + Math.min(MINUTE * 2 ** Math.min(attempts - 1, 30), MAIL_RETRY_CAP_MS)).toBeGreaterThan(
              created + MAIL_RETRY_FOR_MS,
            );
        },
      ),
    );
  });
});

describe('when a voucher is reminded of its expiry', () => {
  const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * DAY_MS).toISOString().slice(0, 10);

  it('a year’s voucher 30 days before its last day, a month’s with 14 left, a day’s on its day', () => {
    expect(voucherReminderDue(day(0), day(364), day(333))).toBe(false);
    expect(voucherReminderDue(day(0), day(364), day(334))).toBe(true);
    expect(voucherReminderDue(day(0), day(29), day(0))).toBe(false);
    expect(voucherReminderDue(day(0), day(29), day(14))).toBe(false);
    expect(voucherReminderDue(day(0), day(29), day(15))).toBe(true);
    expect(voucherReminderDue(day(0), day(0), day(0))).toBe(true);
    expect(voucherReminderDue(day(0), day(29), day(30))).toBe(false);
  });

  it('for any validity, due from one day through its last day and on no other: with at most 30 left and no more than have passed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3650 }), (validity) => {
        const due = Array.from({ length: validity + 12 }, (_, at) => voucherReminderDue(day(0), day(validity), day(at - 5)));
        const first = due.indexOf(true) - 5;
        const last = due.lastIndexOf(true) - 5;
        const left = validity - first;
        return (
          last === validity &&
          due.slice(first + 5, last + 6).every(Boolean) &&
          left <= VOUCHER_REMINDER_DAYS &&
          first >= left &&
          // a day sooner would have had more than 30 left or more left than had passed
          (validity - (first - 1) > VOUCHER_REMINDER_DAYS || first - 1 < validity - (first - 1))
        );
      }),
      { numRuns: 300 },
    );
  });
});
