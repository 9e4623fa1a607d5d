import { createPool, Pool, PoolConnection } from 'mysql2/promise';
import { beijingDate } from '../../src/common/clock';
import { newId } from '../../src/common/ids';
import { account } from '../../src/ledger/accounts';
import { provinceOf } from '../../src/redemptions/redemption.rules';
import { mariaConnection } from '../../test/support/app-under-test';

/**
 * What the database alone allows: `concurrency` clients doing nothing but the guarded update and the transfer
 * insert of a hold, each pair in a READ COMMITTED transaction (as the service runs them), for `durationSec`.
 * Each moves 1 fen available → held with its transfer, so the ledger stays balanced.
 */
export async function measureCeiling(
  database: string,
  voucherIds: string[],
  concurrency: number,
  durationSec: number,
): Promise<{ perSec: number; commits: number }> {
  const pool = readCommittedPool(database, concurrency);
  try {
    await openAll(pool, concurrency);
    return await backToBack(concurrency, durationSec, (i) => {
      const voucherId = voucherIds[i % voucherIds.length];
      return inTransaction(pool, async (conn) => {
        const [res] = (await conn.execute(
          'UPDATE voucher SET available_fen = available_fen - 1, held_fen = held_fen + 1 WHERE id = ? AND available_fen >= 1',
          [voucherId],
        )) as unknown as [{ affectedRows: number }];
        if (res.affectedRows !== 1) throw new Error(`ceiling: voucher ${voucherId} ran dry`);
        await conn.execute(
          'INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)',
          [
            newId(),
            account.voucherAvailable(voucherId),
            account.voucherHeld(voucherId),
            'bench.ceiling',
            'voucher',
            voucherId,
            new Date().toISOString(),
          ],
        );
      });
    });
  } finally {
    await pool.end();
  }
}

/** A pool whose connections run READ COMMITTED, as the service's do. */
export function readCommittedPool(database: string, connections: number): Pool {
  const pool = createPool({ ...mariaConnection(), database, connectionLimit: connections });
  pool.on('connection', (c) => void c.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
  return pool;
}

/** Opens every connection of the pool before the clock starts: a short measure would count the connecting. */
async function openAll(pool: Pool, connections: number): Promise<void> {
  const opened = await Promise.all(Array.from({ length: connections }, () => pool.getConnection()));
  for (const c of opened) c.release();
}

/** `concurrency` clients running `once` (the i-th transaction overall) back to back for `durationSec`. */
async function backToBack(
  concurrency: number,
  durationSec: number,
  once: (i: number) => Promise<unknown>,
): Promise<{ perSec: number; commits: number }> {
  let commits = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + durationSec * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await once(next++);
      commits++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { perSec: commits / ((performance.now() - started) / 1000), commits };
}

/** A hold target as the benchmark holds it: the enterprise's token (its session), a voucher and a covered facility. */
export interface HoldTarget {
  token: string;
  voucherId: string;
  facilityId: string;
}

/** What one replayed hold needs to know about its voucher, facility and caller, read once before the clock starts. */
export interface Replay {
  sessionId: string;
  userId: string;
  voucherId: string;
  serial: string;
  enterpriseId: string;
  regionCode: string;
  budgetYear: number;
  policyId: string;
  facilityId: string;
  providerId: string;
  providerProvinceCode: string;
}

/** The session id an access token names (its `sid` claim). */
const sessionOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).sid;

/**
 * The fair ceiling (issue 18): raw mysql2 running the statements one `POST /api/redemptions` sends, the same number,
 * kinds and row locks, in one READ COMMITTED transaction, at the same concurrency. Read from MariaDB's general log for
 * one hold without an Idempotency-Key:
 *   outside the transaction: the session check (session ⨝ app_user by id);
 *   inside it: START TRANSACTION; the voucher row FOR UPDATE; the facility with its provider, the enterprise, their
 *   sanctions and the enterprise's recorded related parties; INSERT redemption; the guarded UPDATE voucher;
 *   INSERT ledger_transfer; INSERT domain_event (the outbox); INSERT audit_pending; COMMIT.
 * The sealer and the outbox sequencer run after commits, in batches over many holds, and are not replayed. Each
 * replayed hold holds 1 fen (a redemption of fee 2 at 50 %) with its transfer, event and audit entry, so the ledger
 * stays balanced and the rows are what the service would have written.
 */
export async function measureFairCeiling(
  database: string,
  holds: HoldTarget[],
  concurrency: number,
  durationSec: number,
): Promise<{ perSec: number; commits: number; statementsPerHold: number }> {
  const pool = readCommittedPool(database, concurrency);
  try {
    const replays = await replaysOf(pool, holds);
    await openAll(pool, concurrency);
    const measured = await backToBack(concurrency, durationSec, (i) => replayHold(pool, replays[i % replays.length]));
    return { ...measured, statementsPerHold: STATEMENTS_PER_HOLD };
  } finally {
    await pool.end();
  }
}

/** The session check, then START TRANSACTION, seven statements and COMMIT. */
const STATEMENTS_PER_HOLD = 10;

export async function replaysOf(pool: Pool, holds: HoldTarget[]): Promise<Replay[]> {
  const replays: Replay[] = [];
  for (const h of holds) {
    const sessionId = sessionOf(h.token);
    const [[row]] = (await pool.query(
      `SELECT s.user_id, v.serial, v.enterprise_id, v.issuing_region_code, v.budget_year, v.policy_id,
         f.provider_id, f.province_code
       FROM voucher v JOIN facility f ON f.id = ? JOIN session s ON s.id = ?
       WHERE v.id = ?`,
      [h.facilityId, sessionId, h.voucherId],
    )) as unknown as [Record<string, string | number>[]];
    if (!row) throw new Error(`fair ceiling: no voucher ${h.voucherId}, facility ${h.facilityId} or session ${sessionId}`);
    replays.push({
      sessionId,
      userId: String(row.user_id),
      voucherId: h.voucherId,
      serial: String(row.serial),
      enterpriseId: String(row.enterprise_id),
      regionCode: String(row.issuing_region_code),
      budgetYear: Number(row.budget_year),
      policyId: String(row.policy_id),
      facilityId: h.facilityId,
      providerId: String(row.provider_id),
      providerProvinceCode: provinceOf(String(row.province_code)),
    });
  }
  return replays;
}

/** One hold replayed: the session check, then the hold's transaction; returns the new redemption's id. */
export async function replayHold(pool: Pool, r: Replay): Promise<string> {
  const now = new Date().toISOString();
  const today = beijingDate(now); // the business day, as the service's sanction check reads it
  const [[session]] = (await pool.query(
    `SELECT s.revoked_at, s.expires_at, u.id AS user_id, u.username, u.role, u.organization_id, u.region_code, u.admin, u.disabled_at,
       u.mfa_enabled_at FROM session s JOIN app_user u ON u.id = s.user_id WHERE s.id = ?`,
    [r.sessionId],
  )) as unknown as [{ user_id: string }[]];
  if (!session) throw new Error(`fair ceiling: session ${r.sessionId} is gone`);
  const redemptionId = newId();
  await inTransaction(pool, async (conn) => {
    await conn.query('SELECT * FROM voucher t WHERE t.id = ? FOR UPDATE', [r.voucherId]);
    await conn.query(
      `SELECT f.*, p.*, e.*,
         EXISTS (SELECT 1 FROM sanction s WHERE s.credit_code = p.credit_code AND (s.status = 'active' AND (s.until IS NULL OR s.until >= ?))) AS provider_sanctioned,
         EXISTS (SELECT 1 FROM sanction s WHERE s.credit_code = e.credit_code AND (s.status = 'active' AND (s.until IS NULL OR s.until >= ?))) AS enterprise_sanctioned,
         (SELECT GROUP_CONCAT(r.code_b) FROM party_relation r WHERE r.code_a IN (e.credit_code, e.controller_credit_code)) AS e_related_b,
         (SELECT GROUP_CONCAT(r.code_a) FROM party_relation r WHERE r.code_b IN (e.credit_code, e.controller_credit_code)) AS e_related_a
       FROM facility f JOIN organization p ON p.id = f.provider_id JOIN organization e ON e.id = ? WHERE f.id = ?`,
      [today, today, r.enterpriseId, r.facilityId],
    );
    const crossProvince = r.providerProvinceCode !== provinceOf(r.regionCode);
    await conn.query(
      `INSERT INTO redemption (id, voucher_id, facility_id, provider_id, enterprise_id, payee_id, issuing_region_code, budget_year,
         provider_province_code, cross_province, mode, quantity, unit_price_fen, fee_fen, ratio_bp, subsidy_fen, self_pay_fen,
         per_redemption_cap_fen, captured_quantity, captured_fee_fen, captured_subsidy_fen, approved_fen, status, policy_id, expires_at,
         claim_id, captured_at, closed_at, created_at, updated_at, usage_status, usage_due_at, usage_decided_at, dispute_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'provider_redeemed', 1, 2, 2, 5000, 1, 1, NULL, NULL, NULL, NULL, NULL, 'held', ?, ?,
         NULL, NULL, NULL, ?, ?, NULL, NULL, NULL, NULL)`,
      [
        redemptionId,
        r.voucherId,
        r.facilityId,
        r.providerId,
        r.enterpriseId,
        r.providerId,
        r.regionCode,
        r.budgetYear,
        r.providerProvinceCode,
        crossProvince,
        r.policyId,
        new Date(Date.now() + 30 * 86_400_000).toISOString(),
        now,
        now,
      ],
    );
    const [held] = (await conn.query(
      `UPDATE voucher SET available_fen = available_fen - 1, held_fen = held_fen + 1, updated_at = ?
       WHERE id = ? AND status = 'active' AND available_fen >= 1`,
      [now, r.voucherId],
    )) as unknown as [{ affectedRows: number }];
    if (held.affectedRows !== 1) throw new Error(`fair ceiling: voucher ${r.voucherId} ran dry`);
    await conn.query(
      'INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_fen, kind, ref_type, ref_id, created_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)',
      [
        newId(),
        account.voucherAvailable(r.voucherId),
        account.voucherHeld(r.voucherId),
        'redemption.hold',
        'redemption',
        redemptionId,
        now,
      ],
    );
    const summary = {
      serial: r.serial,
      facilityId: r.facilityId,
      mode: 'provider_redeemed',
      quantity: 1,
      feeFen: 2,
      ratioBp: 5000,
      subsidyFen: 1,
      crossProvince,
    };
    const subject = { redemptionId, regionCode: r.regionCode, organizationId: r.enterpriseId, counterpartyId: r.providerId };
    await conn.query(
      `INSERT INTO domain_event (id, seq, type, occurred_at, entity_type, entity_id, region_code, organization_id, counterparty_id, data)
       VALUES (?, NULL, 'redemption.held', ?, 'redemption', ?, ?, ?, ?, ?)`,
      [newId(), now, redemptionId, r.regionCode, r.enterpriseId, r.providerId, JSON.stringify({ ...subject, ...summary })],
    );
    await conn.query(
      `INSERT INTO audit_pending (at, actor_id, actor_role, action, entity_type, entity_id, region_code, organization_id, summary, id)
       VALUES (?, ?, 'enterprise', 'redemption.held', 'redemption', ?, ?, ?, ?, ?)`,
      [now, r.userId, redemptionId, r.regionCode, r.enterpriseId, JSON.stringify(summary), newId()],
    );
  });
  return redemptionId;
}

/** `work` in one transaction on a connection of the pool: committed, or rolled back when it throws. */
async function inTransaction(pool: Pool, work: (conn: PoolConnection) => Promise<void>): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    await work(conn);
    await conn.commit();
  } catch (e) {
    await conn.rollback();
    throw e;
  } finally {
    conn.release();
  }
}
