import type { DataSource } from 'typeorm';

export interface Violation {
  invariant: string;
  detail: string;
}

type Row = Record<string, unknown>;
const n = (v: unknown): number => Number(v ?? 0);
const ids = (v: unknown): string[] => (typeof v === 'string' ? JSON.parse(v) : (v as string[]));

/**
 * The money invariants, read straight from the tables (independently of the service's own ledger check):
 * nothing negative, budget and voucher identities, voucher balances equal to what their redemptions say,
 * each redemption in at most one live claim, each claim in at most one settlement, settlement totals.
 * Meant to run when no request is in flight.
 */
export async function dbInvariants(ds: DataSource, limit = 10): Promise<Violation[]> {
  const out: Violation[] = [];
  const add = (invariant: string, detail: string) => {
    if (out.length < limit) out.push({ invariant, detail });
  };
  const q = (sql: string) => ds.query<Row[]>(sql);

  for (const b of await q('SELECT region_code, year, total_fen, available_fen, committed_fen FROM budget')) {
    const [t, a, c] = [n(b.total_fen), n(b.available_fen), n(b.committed_fen)];
    if (t < 0 || a < 0 || c < 0) add('no budget balance is negative', JSON.stringify(b));
    if (t !== a + c) add('every budget total = available + committed', JSON.stringify(b));
  }

  const held = new Map<string, number>();
  const spent = new Map<string, number>();
  for (const r of await q(`SELECT voucher_id, status, SUM(subsidy_fen) AS held, SUM(COALESCE(approved_fen, captured_subsidy_fen)) AS spent
                           FROM redemption WHERE status IN ('held', 'captured') GROUP BY voucher_id, status`)) {
    if (r.status === 'held') held.set(String(r.voucher_id), n(r.held));
    else spent.set(String(r.voucher_id), n(r.spent));
  }
  for (const v of await q('SELECT id, serial, face_value_fen, available_fen, held_fen, spent_fen, released_fen FROM voucher')) {
    const [f, a, h, s, r] = [v.face_value_fen, v.available_fen, v.held_fen, v.spent_fen, v.released_fen].map(n);
    if (a < 0 || h < 0 || s < 0 || r < 0) add('no voucher balance is negative', JSON.stringify(v));
    if (f !== a + h + s + r) add('each voucher face = available + held + spent + released', JSON.stringify(v));
    if (h !== (held.get(String(v.id)) ?? 0))
      add("a voucher's held balance is the subsidy of its open holds", `${v.serial}: held ${h}, holds ${held.get(String(v.id)) ?? 0}`);
    if (s !== (spent.get(String(v.id)) ?? 0))
      add(
        "a voucher's spent balance is what its captured redemptions keep",
        `${v.serial}: spent ${s}, redemptions ${spent.get(String(v.id)) ?? 0}`,
      );
  }

  const claims = await q('SELECT id, status, claimed_fen, approved_fen, redemption_ids, settlement_id FROM claim');
  const liveClaimOf = new Map<string, string>();
  const claimById = new Map(claims.map((c) => [String(c.id), c]));
  for (const c of claims) {
    if (c.status === 'approved' && n(c.approved_fen) > n(c.claimed_fen))
      add('a claim is approved for at most what it claims', JSON.stringify(c));
    if (c.settlement_id !== null && c.status !== 'approved') add('only approved claims are settled', JSON.stringify(c));
    if (c.status === 'rejected') continue;
    for (const rid of ids(c.redemption_ids)) {
      const other = liveClaimOf.get(rid);
      if (other) add('no redemption is in two claims', `redemption ${rid} in claims ${other} and ${c.id}`);
      liveClaimOf.set(rid, String(c.id));
    }
  }
  const claimedSum = new Map<string, number>();
  for (const r of await q('SELECT id, claim_id, status, captured_subsidy_fen FROM redemption WHERE claim_id IS NOT NULL')) {
    const claim = claimById.get(String(r.claim_id));
    if (!claim || claim.status === 'rejected' || liveClaimOf.get(String(r.id)) !== String(r.claim_id) || r.status !== 'captured') {
      add('a claimed redemption is captured and listed by its live claim', JSON.stringify(r));
    }
    claimedSum.set(String(r.claim_id), (claimedSum.get(String(r.claim_id)) ?? 0) + n(r.captured_subsidy_fen));
  }
  for (const c of claims) {
    if (c.status !== 'rejected' && n(c.claimed_fen) !== (claimedSum.get(String(c.id)) ?? 0))
      add('a claim is for the captured subsidy of its redemptions', `${c.id}: ${c.claimed_fen} vs ${claimedSum.get(String(c.id)) ?? 0}`);
  }

  // Trust II: usage confirmed before any claim, captures within their holds, two people above dual control, ratings counted.
  for (const r of await q(
    `SELECT r.id, r.usage_status, r.claim_id FROM redemption r JOIN claim c ON c.id = r.claim_id
     WHERE c.status <> 'rejected' AND (r.usage_status IS NULL OR r.usage_status <> 'confirmed')`,
  )) {
    add('no claim on unconfirmed usage', JSON.stringify(r));
  }
  for (const r of await q(
    `SELECT id, quantity, captured_quantity, subsidy_fen, captured_subsidy_fen FROM redemption
     WHERE captured_quantity > quantity OR captured_subsidy_fen > subsidy_fen`,
  )) {
    add('no capture above its hold', JSON.stringify(r));
  }
  const termsOf = new Map<string, { dualControlFen?: number }>();
  const regionTerms = new Map<string, { dualControlFen?: number }>();
  for (const p of await q(`SELECT id, region_code, terms FROM policy ORDER BY version`)) {
    const terms = typeof p.terms === 'string' ? JSON.parse(p.terms) : p.terms;
    termsOf.set(String(p.id), terms);
    regionTerms.set(String(p.region_code), terms);
  }
  const twoPeople = (what: string, row: Row, threshold: number | undefined) => {
    if (!threshold || n(row.approved_fen) < threshold || row.reviewed_by === null) return;
    if (row.first_approved_by === null || row.first_approved_by === row.reviewed_by)
      add(`${what} at or above dualControlFen is approved by two different bureau users`, JSON.stringify(row));
  };
  for (const a of await q(
    `SELECT id, policy_id, approved_fen, first_approved_by, reviewed_by FROM voucher_application WHERE status = 'approved' AND reviewed_by IS NOT NULL`,
  )) {
    twoPeople('an application', a, termsOf.get(String(a.policy_id))?.dualControlFen);
  }
  for (const c of await q(
    `SELECT id, issuing_region_code, approved_fen, first_approved_by, reviewed_by FROM claim WHERE status = 'approved'`,
  )) {
    twoPeople('a claim', c, regionTerms.get(String(c.issuing_region_code))?.dualControlFen);
  }
  for (const f of await q(
    `SELECT f.id, f.rating_count, f.rating_sum, COUNT(r.redemption_id) AS n, SUM(r.score) AS s
     FROM facility f LEFT JOIN facility_rating r ON r.facility_id = f.id GROUP BY f.id, f.rating_count, f.rating_sum`,
  )) {
    if (n(f.rating_count) !== n(f.n) || n(f.rating_sum) !== n(f.s))
      add("a facility's rating count and sum are its ratings'", JSON.stringify(f));
  }

  const lineSums = new Map(
    (
      await q(
        'SELECT settlement_id, SUM(amount_fen) AS fen, SUM(CASE WHEN paid_at IS NULL THEN 1 ELSE 0 END) AS unpaid FROM settlement_line GROUP BY settlement_id',
      )
    ).map((r) => [String(r.settlement_id), { fen: n(r.fen), unpaid: n(r.unpaid) }]),
  );
  const claimSums = new Map(
    (await q('SELECT settlement_id, SUM(approved_fen) AS fen FROM claim WHERE settlement_id IS NOT NULL GROUP BY settlement_id')).map(
      (r) => [String(r.settlement_id), n(r.fen)],
    ),
  );
  for (const s of await q('SELECT id, status, total_fen FROM settlement')) {
    const lines = lineSums.get(String(s.id)) ?? { fen: 0, unpaid: 0 };
    const approved = claimSums.get(String(s.id)) ?? 0;
    if (n(s.total_fen) !== lines.fen || lines.fen !== approved)
      add(
        "Σ settlement lines = total = Σ its claims' approvedFen",
        `${s.id}: total ${s.total_fen}, lines ${lines.fen}, claims ${approved}`,
      );
    if (s.status === 'paid' && lines.unpaid > 0) add('every line of a paid settlement is paid', `${s.id}: ${lines.unpaid} unpaid lines`);
  }

  // Instrument booking (issue 15).
  for (const pair of await q(
    `SELECT a.id AS a, b.id AS b, a.facility_id FROM booking a JOIN booking b
     ON b.facility_id = a.facility_id AND a.id < b.id AND a.start_at < b.end_at AND b.start_at < a.end_at
     WHERE a.status = 'booked' AND b.status = 'booked'`,
  )) {
    add('no two live bookings of a facility overlap', JSON.stringify(pair));
  }
  for (const b of await q(
    `SELECT b.id, b.hours, b.voucher_id, r.voucher_id AS r_voucher, r.status AS r_status, r.quantity,
       (SELECT COUNT(*) FROM booking_hour h WHERE h.booking_id = b.id) AS hour_rows
     FROM booking b LEFT JOIN redemption r ON r.id = b.redemption_id WHERE b.status = 'booked'`,
  )) {
    if (b.r_status !== 'held' || n(b.quantity) !== n(b.hours) || b.r_voucher !== b.voucher_id || n(b.hour_rows) !== n(b.hours))
      add('every live booking has exactly its hold (held, its hours, its voucher) and one row per hour', JSON.stringify(b));
  }
  for (const h of await q(
    `SELECT h.booking_id, b.status, b.actual_hours FROM booking_hour h JOIN booking b ON b.id = h.booking_id
     WHERE NOT (b.status = 'booked' OR (b.status = 'completed' AND b.actual_hours > 0))`,
  )) {
    add('only live or used bookings keep their hours', JSON.stringify(h));
  }
  for (const b of await q(
    `SELECT b.id, b.status, b.late_fee_fen, r.status AS r_status, r.captured_subsidy_fen FROM booking b JOIN redemption r ON r.id = b.redemption_id
     WHERE b.late_fee_fen > 0 AND (r.status <> 'cancelled' OR r.captured_subsidy_fen IS NOT NULL)`,
  )) {
    add('a late fee never touches a voucher: its hold was released whole', JSON.stringify(b));
  }
  for (const b of await q(
    `SELECT b.id, b.status, r.status AS r_status FROM booking b JOIN redemption r ON r.id = b.redemption_id
     WHERE (b.status = 'cancelled' AND r.status <> 'cancelled') OR (b.status = 'expired' AND r.status <> 'expired')
        OR (b.status = 'completed' AND r.status NOT IN ('captured', 'cancelled'))`,
  )) {
    add('a closed booking closed its hold the same way', JSON.stringify(b));
  }
  return out;
}
