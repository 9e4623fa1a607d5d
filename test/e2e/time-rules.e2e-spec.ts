import fc from 'fast-check';
import { Database } from '../../src/common/persistence/database';
import { join, raw, sql } from '../../src/common/persistence/sql';
import type { TimeRule } from '../../src/common/time/time-rule';
import { admittedRecently, inPublicNotice, organizationActive } from '../../src/organizations/organization.time-rules';
import { sanctionInForce } from '../../src/oversight/sanction.time-rules';
import { holdExpired } from '../../src/redemptions/redemption.time-rules';
import { bookingExpired } from '../../src/bookings/booking.time-rules';
import { voucherPastValidity } from '../../src/vouchers/voucher.time-rules';
import { setupCodeUsable } from '../../src/auth/user.time-rules';
import { TestApp } from '../support/test-app';

/**
 * Each time rule is written twice, as a TypeScript predicate and as SQL. Here both judge the same rows at the same
 * moment on the real database (SQLite or MariaDB), and must agree row for row. The rows are a derived table with the
 * rule's columns, so any combination can be tried without the foreign keys of the real tables.
 */
describe('time rules: the TypeScript predicate and its SQL agree', () => {
  let t: TestApp;
  beforeAll(async () => (t = await TestApp.start()));
  afterAll(() => t.close());

  const instants = ['2026-03-01T00:00:00.000Z', '2026-03-01T08:00:00.000Z', '2026-03-01T08:00:00.001Z', '2026-03-02T00:00:00.000Z'];
  const dates = ['2026-02-28', '2026-03-01', '2026-03-02', '2026-12-31'];

  /** Ids of the rows the SQL side keeps at `at`. */
  async function selectedBySql(rule: TimeRule<never>, columns: Record<string, string>, rows: Record<string, unknown>[], at: string) {
    const db = t.get(Database);
    const selects = rows.map((row, i) =>
      join(
        [sql`${`r${i}`} AS id`, ...Object.entries(columns).map(([property, column]) => sql`${row[property] ?? null} AS ${raw(column)}`)],
        ', ',
      ),
    );
    const table = join(
      selects.map((s) => sql`SELECT ${s}`),
      ' UNION ALL ',
    );
    const found = await db.rows<{ id: string }>(sql`SELECT t.id FROM (${table}) t WHERE ${rule.sql('t', at)}`);
    return found.map((r) => r.id).sort();
  }

  async function agree<R extends Record<string, unknown>>(
    rule: TimeRule<R>,
    columns: Record<string, string>,
    row: fc.Arbitrary<R>,
    moments: string[],
  ) {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 12 }), fc.constantFrom(...moments), async (rows, at) => {
        const expected = rows.flatMap((r, i) => (rule.holds(r, at) ? [`r${i}`] : [])).sort();
        expect(await selectedBySql(rule as TimeRule<never>, columns, rows, at)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  }

  it('organization active: admitted, or in a public notice that has ended', () =>
    agree(
      organizationActive,
      { status: 'status', noticeEndsAt: 'notice_ends_at' },
      fc.record({
        status: fc.constantFrom('active', 'applied', 'public_notice', 'suspended'),
        noticeEndsAt: fc.option(fc.constantFrom(...instants), { nil: null }),
      }),
      instants,
    ));

  it('in public notice: admitted into a notice that has not ended', () =>
    agree(
      inPublicNotice,
      { status: 'status', noticeEndsAt: 'notice_ends_at' },
      fc.record({
        status: fc.constantFrom('active', 'applied', 'public_notice', 'suspended'),
        noticeEndsAt: fc.option(fc.constantFrom(...instants), { nil: null }),
      }),
      instants,
    ));

  it('admitted recently: active, and its notice ended (or it was admitted at once) within 30 days', () => {
    // around the 30-day edge of each moment: 2026-03-01T08:00:00.000Z looks back to 2026-01-30T08:00:00.000Z
    const around = ['2026-01-30T07:59:59.999Z', '2026-01-30T08:00:00.000Z', '2026-01-31T00:00:00.000Z', ...instants];
    return agree(
      admittedRecently,
      { status: 'status', noticeEndsAt: 'notice_ends_at', updatedAt: 'updated_at' },
      fc.record({
        status: fc.constantFrom('active', 'applied', 'public_notice', 'suspended'),
        noticeEndsAt: fc.option(fc.constantFrom(...around), { nil: null }),
        updatedAt: fc.constantFrom(...around),
      }),
      instants,
    );
  });

  it('hold expired: held, and past expiresAt', () =>
    agree(
      holdExpired,
      { status: 'status', expiresAt: 'expires_at' },
      fc.record({ status: fc.constantFrom('held', 'captured', 'cancelled', 'expired'), expiresAt: fc.constantFrom(...instants) }),
      instants,
    ));

  it('booking expired: still booked, and its hold past its expiry', () =>
    agree(
      bookingExpired,
      { status: 'status', expiresAt: 'expires_at' },
      fc.record({ status: fc.constantFrom('booked', 'cancelled', 'completed', 'expired'), expiresAt: fc.constantFrom(...instants) }),
      instants,
    ));

  it('voucher past validity: open, and after its last day', () =>
    agree(
      voucherPastValidity,
      { status: 'status', validUntil: 'valid_until' },
      fc.record({ status: fc.constantFrom('active', 'exhausted', 'expired', 'revoked'), validUntil: fc.constantFrom(...dates) }),
      dates,
    ));

  it('sanction in force: not lifted, and its last day not passed', () =>
    agree(
      sanctionInForce,
      { status: 'status', until: 'until' },
      fc.record({ status: fc.constantFrom('active', 'lifted'), until: fc.option(fc.constantFrom(...dates), { nil: null }) }),
      dates,
    ));

  it('setup code usable: issued, not expired, on an account not disabled', () =>
    agree(
      setupCodeUsable,
      { setupCodeHash: 'setup_code_hash', setupCodeExpiresAt: 'setup_code_expires_at', disabledAt: 'disabled_at' },
      fc.record({
        setupCodeHash: fc.option(fc.constant('a'.repeat(64)), { nil: null }),
        setupCodeExpiresAt: fc.option(fc.constantFrom(...instants), { nil: null }),
        disabledAt: fc.option(fc.constantFrom(...instants), { nil: null }),
      }),
      instants,
    ));
});
