import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DbKind, startApp } from '../../test/support/app-under-test';
import { HttpClient, Reply, RequestOptions } from '../../test/support/http-client';
import { dbInvariants } from './invariants';
import { Rng } from './prng';
import { bureauFor } from '../../test/support/accounts';
import { buildWorld, Facility, Org, Staff, World } from './sim-world';
import { canonicalJson } from '../../src/common/canonical-json';
import { provinceOfRegion } from '../../src/regions/regions.data';

export interface SimulationOptions {
  seed: number;
  ops: number;
  db: DbKind;
  /** Keep the database afterwards (to inspect a failure). */
  keep?: boolean;
  /** Connections in the service's database pool (DB_POOL_SIZE); the configured default when absent. */
  poolSize?: number;
  /** Progress lines; silent when absent. */
  log?: (line: string) => void;
}

/**
 * REFUSED_APPLICATIONS_PER_DAY as the simulated nodes run it (the service's default): past it, an enterprise's
 * application that would be refused at once is 429 RATE_LIMITED, and nothing is recorded.
 */
const REFUSED_APPLICATIONS_PER_DAY = 20;

/** Check the ledger and the database invariants every this many batches, between batches. */
const CHECK_EVERY = 25;

export interface Failure {
  opIndex: number;
  invariant: string;
  detail: string;
}

export interface SimulationReport {
  seed: number;
  db: DbKind;
  dbName: string;
  /** Operations issued (fewer than asked when the run stopped at a failure). */
  ops: number;
  requests: number;
  worldMs: number;
  durationMs: number;
  opsPerSec: number;
  /** Hash of the operation kinds in order: the same seed gives the same value. */
  planHash: string;
  opCounts: Record<string, number>;
  histogram: Record<string, Record<string, number>>;
  failures: Failure[];
  /** Facts worth knowing that are not failures (counts of races won, exhausted budgets, …). */
  notes: Record<string, number>;
}

/**
 * What the service documents each route may answer: status → the error codes of that status (none for a success).
 * Read from its own OpenAPI document, whose error responses come from the use cases' declared refusals; any answer
 * outside it (and any 5xx) fails the run.
 */
type Documented = Map<string, Map<number, string[]>>;

/** `POST /api/claims/:id/approve` and `/api/claims/{id}/approve` name the same route. */
const routeShape = (method: string, path: string) => `${method.toUpperCase()} ${path.replace(/[:{][^/}]+}?/g, '*')}`;

async function documentedAnswers(http: HttpClient): Promise<Documented> {
  const doc = (await http.request('GET', '/docs-json')).body as {
    paths: Record<string, Record<string, { responses: Record<string, { 'x-error-codes'?: string[] }> }>>;
  };
  const documented: Documented = new Map();
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const answers = new Map(Object.entries(op.responses).map(([status, r]) => [Number(status), r['x-error-codes'] ?? []]));
      documented.set(routeShape(method, path), answers);
    }
  }
  return documented;
}

/** Relative frequency of each operation. */
const WEIGHTS = {
  apply: 9,
  approveApplication: 4,
  rejectApplication: 1,
  quote: 5,
  hold: 22,
  capture: 12,
  overCapture: 1,
  confirmUsage: 9,
  disputeUsage: 1.5,
  resolveDispute: 1.2,
  rate: 1.5,
  cancel: 4,
  raceCaptureCancel: 3,
  replay: 4,
  concurrentDuplicate: 2,
  claim: 7,
  doubleClaim: 3,
  duplicateInvoice: 1.5,
  approveClaim: 6,
  rejectClaim: 1,
  settle: 2,
  pay: 2,
  budget: 2,
  sanction: 1,
  liftSanction: 1,
  revoke: 0.6,
  suspend: 0.1,
  verify: 0.3,
  read: 4,
  invalid: 4,
  book: 8,
  cancelBooking: 3,
  bookingUsage: 2,
  raceBooking: 1,
};
type OpKind = keyof typeof WEIGHTS;

interface VoucherRef {
  id: string;
  owner: Org;
  issuingRegionCode: string;
  verificationCode: string;
  faceValueFen: number;
  revoked: boolean;
  /** A revocation of it is in flight in the current batch. */
  revoking?: boolean;
}
interface ApplicationRef {
  id: string;
  owner: Org;
  issuingRegionCode: string;
  amountFen: number;
  /** Still worth deciding, as far as the simulation knows. */
  open: boolean;
  decided: boolean;
  /** The staff user whose first approval (202) it awaits a second one after, under dual control, and its amount. */
  firstApprover?: Staff;
  firstFen?: number;
}
interface HoldRef {
  id: string;
  voucher: VoucherRef;
  facility: Facility;
  payee: Org;
  issuingRegionCode: string;
  quantity: number;
  subsidyFen: number;
  state: 'held' | 'captured' | 'cancelled';
  claimId: string | null;
  /** Units captured; after a capture the enterprise confirms or disputes them. */
  capturedQuantity?: number;
  usage?: 'pending' | 'confirmed' | 'disputed';
  /** A confirmation of it is in flight in the current batch. */
  confirming?: boolean;
  rated?: boolean;
  /** The operation that closed it (capture or cancel), or -1 for its voucher's revocation. */
  closedBy?: number;
}
interface ClaimRef {
  id: string;
  claimant: Org;
  issuingRegionCode: string;
  claimedFen: number;
  holds: HoldRef[];
  state: 'submitted' | 'approved' | 'rejected';
  settled: boolean;
  invoiceNo: string;
  firstApprover?: Staff;
  /** A rejection of it is in flight in the current batch. */
  rejecting?: boolean;
  /**
   * What its approval cut from the subsidy claimed, once answered; while an approval is in flight, possibly all of it.
   * A cut goes back to the budget and the annual grant: the vouchers' running total falls by it.
   */
  cutFen?: number;
  approving?: boolean;
}
interface SettlementRef {
  id: string;
  regionCode: string;
  paid: boolean;
  createdBy: Staff;
}
interface SanctionRef {
  id: string;
  creditCode: string;
  bureau: Staff;
  lifted: boolean;
  /** A lifting of it is in flight in the current batch. */
  lifting?: boolean;
}
interface BookingRef {
  id: string;
  facility: Facility;
  voucher: VoucherRef;
  owner: Org;
  startMs: number;
  hours: number;
  feeFen: number;
  state: 'booked' | 'closed';
  /** A cancellation or usage of it is in flight in the current batch. */
  closing?: boolean;
}
/** The simulation's calendars: around the clock, no notice, 24 hours free cancellation, a 50% late fee. */
const SIM_CALENDAR = {
  openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '00:00', to: '24:00' })),
  minNoticeHours: 0,
  maxAdvanceDays: 30,
  freeCancellationHours: 24,
  lateCancellationFeeBp: 5000,
  requiresQualification: false,
};
const HOUR_MS = 3_600_000;

interface KeyedRequest {
  label: string;
  method: string;
  path: string;
  token: string;
  key: string;
  body: Record<string, unknown>;
  status: number;
  response: string;
}

/** One operation in flight: its own random stream, and the state changes it will make once its batch is over. */
class Op {
  readonly effects: (() => void)[] = [];
  private keys = 0;
  constructor(
    readonly index: number,
    readonly kind: OpKind,
    readonly rng: Rng,
    private readonly seed: number,
  ) {}
  after(effect: () => void): void {
    this.effects.push(effect);
  }
  newKey(): string {
    return `sim-${this.seed}-${this.index}-${this.keys++}`;
  }
}

const is2xx = (s: number) => s >= 200 && s < 300;
/** floor(fee × ratio), exact: fees reach 10^13 fen, so the product is beyond a double's integers. */
const ratioOf = (feeFen: number, ratioBp: number) => Number((BigInt(feeFen) * BigInt(ratioBp)) / 10_000n);
const planEntry = (index: number, kind: OpKind) => `${index}:${kind};`;

/** The plan hash a run of `ops` operations with `seed` reports: the seed alone decides the sequence of operation kinds. */
export function planHash(seed: number, ops: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i < ops; i++) hash.update(planEntry(i, Rng.derive(seed, i).weighted(WEIGHTS)));
  return hash.digest('hex').slice(0, 16);
}

/** Where a simulation runs: the API nodes its requests are spread over, and their database (for the invariants). */
export interface SimulationTarget {
  baseUrls: string[];
  dataSource: DataSource;
  dbName: string;
}

/** Boots the service on a fresh database, runs the simulation against it over HTTP, and tears everything down. */
export async function runSimulation(opts: SimulationOptions): Promise<SimulationReport> {
  const running = await startApp({ db: opts.db, prefix: `vsim_${opts.seed}`, keep: opts.keep, poolSize: opts.poolSize });
  try {
    return await simulate({ baseUrls: [running.baseUrl], dataSource: running.dataSource, dbName: running.dbName }, opts);
  } finally {
    await running.close();
  }
}

/**
 * Runs the simulation against service nodes already running on one database (a cluster test's API nodes); each
 * request goes to the next node in turn. The seed alone still decides the plan: which node serves a request does not.
 */
export function simulate(target: SimulationTarget, opts: SimulationOptions): Promise<SimulationReport> {
  return new Simulation(target, opts).run();
}

/**
 * A seeded, concurrent, adversarial client of the whole API. Operation i draws from its own stream
 * derived from (seed, i), so the sequence of operation kinds and their random choices is fixed by the
 * seed; ops of one batch run concurrently and choose their targets from the state at the batch start,
 * and their effects on that state are applied in op order afterwards.
 */
class Simulation {
  private readonly http: HttpClient;
  private world!: World;
  private readonly vouchers: VoucherRef[] = [];
  private readonly applications: ApplicationRef[] = [];
  private readonly holds: HoldRef[] = [];
  private readonly claims: ClaimRef[] = [];
  private readonly settlements: SettlementRef[] = [];
  private readonly sanctions: SanctionRef[] = [];
  /** Credit codes a sanction is being recorded against in the current batch. */
  private readonly sanctioning = new Set<string>();
  private readonly keyed: KeyedRequest[] = [];
  private readonly bookings: BookingRef[] = [];
  private calendarFacilities: Facility[] = [];
  private readonly suspended = new Set<string>();
  /** Providers being suspended in this batch: a capture may find them suspended already. */
  private readonly suspending = new Set<string>();
  /** Applications of each enterprise refused at once (within a run: well inside the limit's 24 hours). */
  private readonly refusedAtOnce = new Map<string, number>();
  /** Applications of each enterprise in flight in the current batch. */
  private readonly applying = new Map<string, number>();
  /** Enterprises verified by their bureau; `verifying` those whose verification is in flight in the current batch. */
  private readonly verified = new Set<string>();
  private readonly verifying = new Set<string>();
  private readonly histogram: Record<string, Record<string, number>> = {};
  private readonly failures: Failure[] = [];
  private readonly opCounts: Record<string, number> = {};
  private readonly notes: Record<string, number> = {};
  private readonly plan = createHash('sha256');
  private documented!: Documented;
  private requests = 0;

  constructor(
    private readonly target: SimulationTarget,
    private readonly opts: SimulationOptions,
  ) {
    this.http = new HttpClient(target.baseUrls);
  }

  async run(): Promise<SimulationReport> {
    const { seed, ops } = this.opts;
    const log = this.opts.log ?? (() => undefined);
    const started = performance.now();
    this.documented = await documentedAnswers(this.http);
    this.world = await buildWorld(this.http, seed, ops);
    for (const e of this.world.enterprises) if (!this.world.unverified.includes(e)) this.verified.add(e.id);
    this.calendarFacilities = this.world.facilities.filter((f) => f.unit === 'hour');
    for (const f of this.calendarFacilities) {
      const reply = await this.http.request('PUT', `/api/facilities/${f.id}/calendar`, { token: f.provider.token, body: SIM_CALENDAR });
      if (reply.status !== 200) throw new Error(`calendar of ${f.id}: ${reply.status} ${reply.text}`);
    }
    const worldMs = performance.now() - started;
    log(
      `world ready in ${(worldMs / 1000).toFixed(1)} s: ${this.world.enterprises.length} enterprises, ${this.world.providers.length} providers, ${this.world.facilities.length} facilities`,
    );

    let done = 0;
    let lastLog = 0;
    for (let batch = 0; done < ops && this.failures.length === 0; batch++) {
      const size = Math.min(ops - done, Rng.derive(seed ^ 0x5bd1e995, batch).int(8, 16));
      const batchOps = Array.from({ length: size }, (_, k) => this.planOp(done + k));
      await Promise.all(batchOps.map((op) => this.execute(op)));
      for (const op of batchOps) for (const effect of op.effects) effect();
      done += size;
      if ((batch + 1) % CHECK_EVERY === 0 && this.failures.length === 0) await this.checkpoint(done - 1);
      if (done - lastLog >= 1000 || done === ops) {
        lastLog = done;
        const s = (performance.now() - started - worldMs) / 1000;
        log(`${done}/${ops} ops, ${this.requests} requests, ${(done / s).toFixed(0)} ops/s`);
      }
    }
    await this.finalChecks(done);
    const durationMs = performance.now() - started;
    return {
      seed,
      db: this.opts.db,
      dbName: this.target.dbName,
      ops: done,
      requests: this.requests,
      worldMs,
      durationMs,
      opsPerSec: done / ((durationMs - worldMs) / 1000),
      planHash: this.plan.digest('hex').slice(0, 16),
      opCounts: this.opCounts,
      histogram: this.histogram,
      failures: [...this.failures].sort((a, b) => a.opIndex - b.opIndex),
      notes: this.notes,
    };
  }

  private planOp(index: number): Op {
    const rng = Rng.derive(this.opts.seed, index);
    const kind = rng.weighted(WEIGHTS);
    this.plan.update(planEntry(index, kind));
    this.opCounts[kind] = (this.opCounts[kind] ?? 0) + 1;
    return new Op(index, kind, rng, this.opts.seed);
  }

  private async execute(op: Op): Promise<void> {
    try {
      await this[op.kind](op);
    } catch (e) {
      this.fail(op.index, 'the client completes every operation', e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
  }

  private fail(opIndex: number, invariant: string, detail: string): void {
    this.failures.push({ opIndex, invariant, detail });
  }

  private note(what: string): void {
    this.notes[what] = (this.notes[what] ?? 0) + 1;
  }

  // ---------------------------------------------------------------- HTTP with checks

  /** One request; its status must be documented for the route, errors must carry a documented code, and `expect` narrows further. */
  private async call(op: Op, label: string, method: string, path: string, req: RequestOptions = {}, expect?: number[]): Promise<Reply> {
    const reply = await this.http.request(method, path, req);
    this.requests++;
    const counts = (this.histogram[label] ??= {});
    counts[reply.status] = (counts[reply.status] ?? 0) + 1;
    const what = `${method} ${path} → ${reply.status} ${reply.text.slice(0, 400)}`;
    const [routeMethod, routePath] = label.split(' ');
    const documented = this.documented.get(routeShape(routeMethod, routePath));
    if (!documented) throw new Error(`route ${label} is not in the OpenAPI document`);
    if (reply.status >= 500) this.fail(op.index, 'no response is a 5xx', what);
    else if (!documented.has(reply.status)) this.fail(op.index, `every status is documented for ${label}`, what);
    else if (reply.status >= 400) {
      const { statusCode, code, message } = reply.body ?? {};
      if (statusCode !== reply.status || !documented.get(reply.status)!.includes(code) || typeof message !== 'string')
        this.fail(op.index, `errors are {statusCode, code, message} with a code documented for ${label} ${reply.status}`, what);
    }
    if (expect && !expect.includes(reply.status)) this.fail(op.index, `${op.kind}: ${label} answers ${expect.join(' or ')}`, what);
    return reply;
  }

  /** A POST that sometimes carries an Idempotency-Key; a keyed one that ran is remembered for replays, its refusals (409, 422) included. */
  private async post(
    op: Op,
    label: string,
    path: string,
    token: string | undefined,
    body: Record<string, unknown>,
    expect?: number[],
    keyChance = 0.3,
  ): Promise<Reply> {
    const key = token && op.rng.chance(keyChance) ? op.newKey() : undefined;
    const reply = await this.call(op, label, 'POST', path, { token, body, key }, expect);
    // A request refused before it ran (400, 401, 403, 404, 413, 429) leaves its key unused (API.md, Idempotency v2).
    const replayable =
      is2xx(reply.status) || ((reply.status === 409 || reply.status === 422) && reply.body?.code !== 'IDEMPOTENCY_CONFLICT');
    if (key && replayable)
      op.after(() =>
        this.keyed.push({
          label,
          method: 'POST',
          path,
          token: token!,
          key,
          body,
          status: reply.status,
          response: canonicalJson(reply.body),
        }),
      );
    return reply;
  }

  private staff(name: Staff): string {
    return this.world.staff[name];
  }
  private bureauTokenFor(region: string): string {
    return this.staff(bureauFor(region) as Staff);
  }
  /** The region's bureau or its second reviewer, at random: the two halves of maker-checker. */
  private reviewerFor(op: Op, region: string): Staff {
    const first = bureauFor(region) as Staff;
    return op.rng.chance(0.5) ? first : (`${first}-2` as Staff);
  }
  private otherReviewer(user: Staff): Staff {
    return (user.endsWith('-2') ? user.slice(0, -2) : `${user}-2`) as Staff;
  }
  private regionPlan(regionCode: string) {
    return this.world.regions.find((r) => r.regionCode === regionCode)!;
  }
  /** Credit codes under a sanction the simulation knows to be in force, not being lifted in this batch. */
  private sanctionedCodes(): Set<string> {
    return new Set(this.sanctions.filter((x) => !x.lifted && !x.lifting).map((x) => x.creditCode));
  }
  /** Whether a sanction may be in force against `creditCode` now: known and not lifted, or being recorded. */
  private mayBeSanctioned(creditCode: string): boolean {
    return this.sanctioning.has(creditCode) || this.sanctions.some((x) => x.creditCode === creditCode && !x.lifted);
  }
  /**
   * A capture's documented answers: never 200 above the hold, and 422. Which 422 is judged on the reply
   * (checkCaptureRefusal): a sanction recorded in the same batch may reach the server before this request.
   */
  private captureStatuses(aboveHold: boolean): number[] {
    return [...(aboveHold ? [] : [200]), 409, 422];
  }
  /**
   * A capture is refused 422 CAPTURE_EXCEEDS_HOLD only above the hold, 422 SANCTIONED only while a sanction may be in
   * force against the enterprise or the lab, and 422 PROVIDER_NOT_ACTIVE only once the lab is (being) suspended. Judged
   * once answered: a sanction or suspension the server applied was being recorded by then.
   */
  private checkCaptureRefusal(op: Op, reply: Reply, aboveHold: boolean, parties: Org[]): void {
    if (reply.status !== 422) return;
    const code = reply.body?.code;
    // A party's actual controller under a sanction refuses it too.
    const codes = parties.flatMap((p) => [p.creditCode, p.controllerCreditCode ?? []].flat());
    if (code === 'SANCTIONED' && codes.some((c) => this.mayBeSanctioned(c))) return;
    if (code === 'PROVIDER_NOT_ACTIVE' && parties.some((p) => this.suspended.has(p.id) || this.suspending.has(p.id))) return;
    if (code === 'CAPTURE_EXCEEDS_HOLD' && aboveHold) return;
    this.fail(
      op.index,
      'a capture is 422 only above the hold (CAPTURE_EXCEEDS_HOLD), for a sanctioned party (SANCTIONED) or a suspended lab (PROVIDER_NOT_ACTIVE)',
      reply.text,
    );
  }
  /** Organizations a payment or approval must not reach: sanctioned (known, not being lifted) or suspended. */
  private blockedPayees(): Set<string> {
    const codes = this.sanctionedCodes();
    const orgs = [...this.world.enterprises, ...this.world.providers];
    return new Set(orgs.filter((o) => codes.has(o.creditCode) || this.suspended.has(o.id)).map((o) => o.id));
  }
  /** A bureau of another province: out of scope for `region`. */
  private otherBureau(op: Op, region: string): string {
    const others = (['bureau-sh', 'bureau-js', 'bureau-zj', 'bureau-ah'] as Staff[]).filter((b) => b !== bureauFor(region));
    return this.staff(op.rng.pick(others)!);
  }
  private issuingRegionOf(e: Org): string {
    return this.world.regions.some((r) => r.regionCode === e.regionCode) ? e.regionCode : provinceOfRegion(e.regionCode);
  }
  private checkVoucherView(op: Op, v: Record<string, number>, where: string): void {
    const { faceValueFen, availableFen, heldFen, spentFen, releasedFen } = v;
    if (
      [availableFen, heldFen, spentFen, releasedFen].some((x) => !Number.isSafeInteger(x) || x < 0) ||
      faceValueFen !== availableFen + heldFen + spentFen + releasedFen
    ) {
      this.fail(
        op.index,
        'a voucher read shows face = available + held + spent + released, none negative',
        `${where}: ${JSON.stringify(v)}`,
      );
    }
  }

  // ---------------------------------------------------------------- applications and vouchers

  private async apply(op: Op): Promise<void> {
    const { rng } = op;
    const e = rng.pick(this.world.enterprises)!;
    const region = this.world.regions.find((r) => r.regionCode === this.issuingRegionOf(e))!;
    const r = rng.float();
    const amount: unknown =
      r < 0.55
        ? rng.int(100_000, region.autoApproveMaxFen)
        : r < 0.8
          ? rng.int(region.autoApproveMaxFen + 1, region.maxVoucherFen)
          : r < 0.95
            ? rng.int(region.maxVoucherFen + 1, region.maxVoucherFen * 2)
            : rng.pick([0, -100, 1.5, '5000', null]);
    const valid = typeof amount === 'number' && Number.isInteger(amount) && amount >= 1;
    const wasVerified = this.verified.has(e.id);
    const count = (m: Map<string, number>) => m.get(e.id) ?? 0;
    this.applying.set(e.id, count(this.applying) + 1);
    op.after(() => this.applying.set(e.id, count(this.applying) - 1));
    const reply = await this.post(
      op,
      'POST /api/voucher-applications',
      '/api/voucher-applications',
      e.token,
      { amountFen: amount, purpose: `模拟申请 #${op.index}` },
      valid ? [201, 409, 429] : [400],
    );
    // The limit, reached: by the refusals known before this batch and, at most, the others of this batch.
    if (
      reply.status === 429 &&
      (reply.body.code !== 'RATE_LIMITED' || count(this.refusedAtOnce) + count(this.applying) - 1 < REFUSED_APPLICATIONS_PER_DAY)
    )
      this.fail(op.index, 'an application is rate-limited only past REFUSED_APPLICATIONS_PER_DAY refused at once', reply.text);
    if (reply.status === 429) this.note('application rate-limited past the refusals of a day');
    if (reply.status !== 201) return;
    const a = reply.body;
    if (a.status === 'rejected') op.after(() => this.refusedAtOnce.set(e.id, count(this.refusedAtOnce) + 1));
    const amountFen = amount as number;
    if (!wasVerified && !this.verifying.has(e.id) && !(a.status === 'rejected' && a.reasonCode === 'ENTERPRISE_NOT_VERIFIED'))
      this.fail(
        op.index,
        'twenty unverified enterprises get nothing: an unverified enterprise’s application is rejected',
        JSON.stringify(a),
      );
    if (wasVerified && a.reasonCode === 'ENTERPRISE_NOT_VERIFIED')
      this.fail(op.index, 'a verified enterprise is not refused as unverified', JSON.stringify(a));
    if (a.status === 'approved') {
      // Approved at once only within the year's running total: what the region granted the enterprise in vouchers
      // still standing (known before this batch, no revocation in flight) counts against the threshold.
      const standing = this.vouchers
        .filter((v) => v.owner === e && v.issuingRegionCode === region.regionCode && !v.revoked && !v.revoking)
        .reduce((sum, v) => sum + v.faceValueFen, 0);
      // Less what approvals cut from claims on its vouchers (at most the whole claim while one is in flight).
      const cut = this.claims
        .filter((c) => c.holds.some((h) => h.voucher.owner === e && h.voucher.issuingRegionCode === region.regionCode))
        .reduce((sum, c) => sum + (c.approving ? c.claimedFen : (c.cutFen ?? 0)), 0);
      if (standing - cut + amountFen > region.autoApproveMaxFen)
        this.fail(
          op.index,
          'splitting cannot avoid review: approval at once only while the running total stays within the threshold',
          `${JSON.stringify(a)} with ${standing} fen granted before`,
        );
    }
    if (amountFen > region.maxVoucherFen && a.status !== 'rejected')
      this.fail(op.index, 'an application above the per-voucher cap is rejected', JSON.stringify(a));
    if (a.issuingRegionCode !== region.regionCode)
      this.fail(op.index, 'the issuing region is the home city with a policy, else the province', JSON.stringify(a));
    if (a.status === 'rejected') this.note(`application rejected ${a.reasonCode}`);
    if (a.status === 'approved') {
      this.checkVoucherView(op, a.voucher, 'issued voucher');
      if (a.voucher.faceValueFen !== amountFen)
        this.fail(op.index, 'an auto-approved voucher has the amount applied for', JSON.stringify(a));
      op.after(() => this.vouchers.push(this.voucherRef(a.voucher, e, a.issuingRegionCode)));
    }
    if (a.status === 'pending_review')
      op.after(() =>
        this.applications.push({ id: a.id, owner: e, issuingRegionCode: a.issuingRegionCode, amountFen, open: true, decided: false }),
      );
  }

  private voucherRef(v: Record<string, unknown>, owner: Org, issuingRegionCode: string): VoucherRef {
    return {
      id: v.id as string,
      owner,
      issuingRegionCode,
      verificationCode: v.verificationCode as string,
      faceValueFen: v.faceValueFen as number,
      revoked: false,
    };
  }

  /**
   * A reviewer (the region's bureau or its second reviewer) approves, sometimes for less. At or above the policy's
   * dualControlFen the first approval answers 202 and the other reviewer completes it; the same one again is 403.
   */
  private async approveApplication(op: Op): Promise<void> {
    const { rng } = op;
    const app = rng.pick(this.applications.filter((a) => a.open));
    if (!app) return this.invalid(op);
    const outsider = rng.chance(0.05);
    const first = app.firstApprover;
    // Mostly the other reviewer once one approved; sometimes the same one, who must be refused.
    const user = first && rng.chance(0.85) ? this.otherReviewer(first) : (first ?? this.reviewerFor(op, app.issuingRegionCode));
    const token = outsider ? this.otherBureau(op, app.issuingRegionCode) : this.staff(user);
    const lower = !first && rng.chance(0.3) ? rng.int(1, app.amountFen) : undefined;
    const above = !lower && !first && rng.chance(0.03);
    const body = above ? { amountFen: app.amountFen + 1 } : lower ? { amountFen: lower } : {};
    const reply = await this.post(
      op,
      'POST /api/voucher-applications/:id/approve',
      `/api/voucher-applications/${app.id}/approve`,
      token,
      body,
      outsider ? [403, 404] : above ? [400, 403, 409] : [200, 202, 400, 403, 409, 422],
    );
    const dual = this.regionPlan(app.issuingRegionCode).dualControlFen;
    if (reply.status === 202) {
      const fen = reply.body.firstApprovedFen as number;
      if (!dual || fen < dual) this.fail(op.index, 'only approvals at or above dualControlFen wait for a second user', reply.text);
      op.after(() => {
        app.firstApprover = user;
        app.firstFen = fen;
      });
    } else if (reply.status === 200) {
      const v = reply.body.voucher;
      this.checkVoucherView(op, v, 'approved voucher');
      const expected = lower ?? (first ? app.firstFen : undefined);
      if (v.faceValueFen > app.amountFen || (expected !== undefined && v.faceValueFen !== expected))
        this.fail(op.index, 'an approved voucher has the approved amount', JSON.stringify(reply.body));
      if (first === user) this.fail(op.index, 'the second approval comes from another user than the first', reply.text);
      op.after(() => {
        if (app.decided) this.fail(op.index, 'an application is decided once', `application ${app.id} decided twice`);
        app.open = false;
        app.decided = true;
        this.vouchers.push(this.voucherRef(v, app.owner, app.issuingRegionCode));
      });
    } else if (reply.status === 403 && !outsider) {
      if (reply.body?.code !== 'DUAL_CONTROL_REQUIRED')
        this.fail(op.index, 'a reviewer of the region is refused only by dual control', reply.text);
      this.note('second approval by the same user refused');
    } else if (reply.status === 409) op.after(() => (app.open = false));
    else if (reply.status === 422) this.note(`approval refused ${reply.body.code}`);
  }

  private async rejectApplication(op: Op): Promise<void> {
    const app = op.rng.pick(this.applications.filter((a) => a.open));
    if (!app) return this.invalid(op);
    const reply = await this.post(
      op,
      'POST /api/voucher-applications/:id/reject',
      `/api/voucher-applications/${app.id}/reject`,
      this.staff(this.reviewerFor(op, app.issuingRegionCode)),
      { reason: '材料不全' },
      [200, 409],
    );
    if (reply.status === 200 || reply.status === 409) {
      op.after(() => {
        if (reply.status === 200 && app.decided)
          this.fail(op.index, 'an application is decided once', `application ${app.id} decided twice`);
        app.open = false;
        app.decided ||= reply.status === 200;
      });
    }
  }

  /** A revocation for suspected fraud: the voucher's open holds are cancelled with it, nothing is left to capture. */
  private async revoke(op: Op): Promise<void> {
    const v = op.rng.pick(this.vouchers.filter((x) => !x.revoked && !x.revoking));
    if (!v) return this.invalid(op);
    v.revoking = true;
    const open = this.holds.filter((h) => h.voucher === v && h.state === 'held');
    const reply = await this.post(
      op,
      'POST /api/vouchers/:id/revoke',
      `/api/vouchers/${v.id}/revoke`,
      this.bureauTokenFor(v.issuingRegionCode),
      { reason: '模拟撤销' },
      [200, 409],
    );
    const cancelled: HoldRef[] = [];
    if (reply.status === 200) {
      this.checkVoucherView(op, reply.body, 'revoked voucher');
      if (reply.body.availableFen !== 0 || reply.body.heldFen !== 0)
        this.fail(op.index, 'revocation releases the available balance and cancels every open hold', JSON.stringify(reply.body));
      for (const h of open) {
        const now = await this.call(op, 'GET /api/redemptions/:id', 'GET', `/api/redemptions/${h.id}`, { token: v.owner.token }, [200]);
        if (now.body?.status === 'held') this.fail(op.index, 'a revoked voucher keeps no open hold', now.text.slice(0, 300));
        if (now.body?.status === 'cancelled') cancelled.push(h);
      }
    }
    op.after(() => {
      v.revoking = false;
      if (reply.status !== 200) return;
      v.revoked = true;
      for (const h of cancelled) {
        if (h.state !== 'held') continue; // a cancellation of this batch closed it first
        h.state = 'cancelled';
        h.closedBy = -1;
      }
    });
  }

  /** A bureau verifies an enterprise registered unverified (its certificate number as the proof). */
  private async verify(op: Op): Promise<void> {
    const e = op.rng.pick(this.world.unverified.filter((x) => !this.verified.has(x.id) && !this.verifying.has(x.id)));
    if (!e) return this.read(op);
    this.verifying.add(e.id);
    const reply = await this.post(
      op,
      'POST /api/organizations/:id/verify',
      `/api/organizations/${e.id}/verify`,
      this.bureauTokenFor(e.provinceCode),
      { certificateNo: `SIM-${e.creditCode.slice(8, 17)}` },
      [200, 409],
    );
    if (reply.status === 200 && reply.body.status !== 'active') this.fail(op.index, 'a verified enterprise is active', reply.text);
    op.after(() => {
      this.verifying.delete(e.id);
      if (reply.status === 200) this.verified.add(e.id);
    });
  }

  // ---------------------------------------------------------------- redemptions

  /**
   * The facilities whose hours or units are ordered with POST /api/redemptions: not those with a calendar, whose hours
   * are taken as bookings only (422 BOOKING_REQUIRED).
   */
  private orderable(): Facility[] {
    const plain = this.world.facilities.filter((f) => !this.calendarFacilities.includes(f));
    return plain.length > 0 ? plain : this.world.facilities;
  }

  /** Mostly the enterprise's own voucher at a facility (`pool`); sometimes someone else's voucher, or malformed input. */
  private holdRequest(
    op: Op,
    pool: Facility[] = this.orderable(),
  ): {
    e: Org;
    voucher?: VoucherRef;
    facility: Facility;
    body: Record<string, unknown>;
    expect: number[];
    mine: boolean;
  } {
    const { rng } = op;
    const voucher = rng.pick(this.vouchers);
    const e = voucher && !rng.chance(0.04) ? voucher.owner : rng.pick(this.world.enterprises)!;
    const facility = rng.pick(pool)!;
    const quantity: unknown = rng.chance(0.03) ? rng.pick([0, -1, 2.5, '3', 2_000_000]) : rng.int(1, 8);
    const mode = rng.chance(0.2) ? 'enterprise_reimbursed' : rng.chance(0.1) ? 'provider_redeemed' : undefined;
    const body: Record<string, unknown> = {
      voucherId: voucher?.id ?? rng.uuid(),
      facilityId: facility.id,
      quantity,
      ...(mode ? { mode } : {}),
    };
    const malformed = typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 1_000_000;
    const mine = voucher !== undefined && voucher.owner === e;
    return { e, voucher, facility, body, expect: malformed ? [400] : mine ? [201, 422, 409] : [404], mine };
  }

  private async hold(op: Op): Promise<void> {
    const { e, voucher, facility, body, expect } = this.holdRequest(op);
    const reply = await this.post(op, 'POST /api/redemptions', '/api/redemptions', e.token, body, expect);
    if (reply.status === 422) this.note(`hold refused ${reply.body.code}`);
    if (reply.status === 201) this.recordHold(op, reply, voucher!, facility);
  }

  private recordHold(op: Op, reply: Reply, voucher: VoucherRef, facility: Facility): void {
    const r = reply.body;
    const fee = facility.unitPriceFen * r.quantity;
    if (
      r.status !== 'held' ||
      r.feeFen !== fee ||
      r.subsidyFen + r.selfPayFen !== fee ||
      r.subsidyFen < 1 ||
      r.subsidyFen > ratioOf(fee, r.ratioBp)
    ) {
      this.fail(op.index, 'a hold is fee = price × quantity = subsidy + self-pay, 0 < subsidy ≤ floor(fee × ratio)', JSON.stringify(r));
    }
    const payee = [...this.world.enterprises, ...this.world.providers].find((o) => o.id === r.payeeId);
    if (!payee) this.fail(op.index, 'the payee is the provider or the enterprise', JSON.stringify(r));
    op.after(() =>
      this.holds.push({
        id: r.id,
        voucher,
        facility,
        payee: payee!,
        issuingRegionCode: r.issuingRegionCode,
        quantity: r.quantity,
        subsidyFen: r.subsidyFen,
        state: 'held',
        claimId: null,
      }),
    );
  }

  private async quote(op: Op): Promise<void> {
    // Any facility is quoted: a calendar's quote prices the booking of its hours.
    const { e, voucher, facility, body, mine } = this.holdRequest(op, this.world.facilities);
    const q = new URLSearchParams({
      voucherId: String(body.voucherId),
      quantity: String(body.quantity),
      ...(body.mode ? { mode: body.mode as string } : {}),
    });
    // In a query string "3" and 3 are the same quantity.
    const quantity = Number(body.quantity);
    const expect = !Number.isInteger(quantity) || quantity < 1 || quantity > 1_000_000 ? [400] : mine ? [200, 409] : [404];
    const reply = await this.call(
      op,
      'GET /api/facilities/:id/quote',
      'GET',
      `/api/facilities/${facility.id}/quote?${q}`,
      { token: e.token },
      expect,
    );
    if (reply.status !== 200 || !voucher) return;
    const quoted = reply.body;
    const { feeFen, subsidyFen, selfPayFen, refusal } = quoted;
    if (
      feeFen !== facility.unitPriceFen * quantity ||
      subsidyFen + selfPayFen !== feeFen ||
      subsidyFen < 0 ||
      (!refusal && subsidyFen === 0)
    ) {
      this.fail(op.index, 'a quote is fee = price × quantity = subsidy + self-pay', JSON.stringify(quoted));
    }
    if (!op.rng.chance(0.5)) return;
    const balanceMoved = (code: string | undefined) =>
      ['VOUCHER_INSUFFICIENT_BALANCE', 'VOUCHER_NOT_ACTIVE', 'SANCTIONED', 'PROVIDER_NOT_ACTIVE'].includes(code ?? '');
    if (this.calendarFacilities.includes(facility)) {
      // Its hours are booked, not ordered: the order is refused, whatever the quote said (its refusal comes first).
      const held = await this.post(op, 'POST /api/redemptions', '/api/redemptions', e.token, { ...body, quantity }, [409, 422]);
      if (held.status === 422 && !refusal && held.body.code !== 'BOOKING_REQUIRED' && !balanceMoved(held.body.code))
        this.fail(op.index, 'an order of a calendar’s hours is refused: BOOKING_REQUIRED', held.text);
      return;
    }
    // The hold that follows a quote agrees with it. Only what other operations of the batch change may differ in
    // between: the voucher's balance or status, sanctions, a provider's suspension.
    const held = await this.post(op, 'POST /api/redemptions', '/api/redemptions', e.token, { ...body, quantity }, [201, 409, 422]);
    if (held.status === 201) {
      const r = held.body;
      // A quote limited by the voucher's balance may be beaten by the hold: another hold on the voucher can be
      // cancelled, captured for less or expire in between. Never beyond the ratio and the per-redemption cap.
      const ceilingFen = Math.min(ratioOf(feeFen, quoted.ratioBp), r.perRedemptionCapFen ?? Infinity);
      const mostFen = refusal || subsidyFen < ceilingFen ? ceilingFen : subsidyFen;
      if (
        r.feeFen !== feeFen ||
        r.ratioBp !== quoted.ratioBp ||
        r.mode !== quoted.mode ||
        r.crossProvince !== quoted.crossProvince ||
        (refusal && !balanceMoved(refusal.code)) ||
        r.subsidyFen > mostFen
      ) {
        this.fail(op.index, 'a quote and the hold that follows it agree', `quote ${JSON.stringify(quoted)} hold ${held.text}`);
      }
      this.recordHold(op, held, voucher, facility);
    } else if (held.status === 422 && held.body.code !== refusal?.code && !(balanceMoved(held.body.code) || balanceMoved(refusal?.code))) {
      this.fail(op.index, 'a quote and the hold that follows it agree', `quote ${JSON.stringify(quoted)} hold ${held.text}`);
    }
  }

  private heldOne(op: Op): HoldRef | undefined {
    return op.rng.pick(this.holds.filter((h) => h.state === 'held'));
  }

  /** Mostly what was held, sometimes less, now and then one unit more than the enterprise agreed to (refused). */
  private captureBody(op: Op, h: HoldRef) {
    return { actualQuantity: op.rng.chance(0.7) ? h.quantity : op.rng.int(0, h.quantity + 1) };
  }

  private async capture(op: Op): Promise<void> {
    const h = this.heldOne(op);
    if (!h) return this.invalid(op);
    const stranger = op.rng.chance(0.05) ? op.rng.pick(this.world.providers.filter((p) => p !== h.facility.provider)) : undefined;
    const body = this.captureBody(op, h);
    const reply = await this.post(
      op,
      'POST /api/redemptions/:id/capture',
      `/api/redemptions/${h.id}/capture`,
      (stranger ?? h.facility.provider).token,
      body,
      stranger ? [404] : this.captureStatuses(body.actualQuantity > h.quantity),
    );
    if (reply.status === 200) this.captured(op, h, reply, body.actualQuantity);
    this.checkCaptureRefusal(op, reply, body.actualQuantity > h.quantity, [h.voucher.owner, h.facility.provider]);
  }

  /** A provider captures a thousand times what was held: refused, the hold stays as it was. */
  private async overCapture(op: Op): Promise<void> {
    const h = this.heldOne(op);
    if (!h) return this.invalid(op);
    const reply = await this.post(
      op,
      'POST /api/redemptions/:id/capture',
      `/api/redemptions/${h.id}/capture`,
      h.facility.provider.token,
      { actualQuantity: h.quantity * 1000 },
      [409, 422],
    );
    this.checkCaptureRefusal(op, reply, true, [h.voucher.owner, h.facility.provider]);
  }

  private captured(op: Op, h: HoldRef, reply: Reply, actualQuantity: number): void {
    const r = reply.body;
    const fee = h.facility.unitPriceFen * actualQuantity;
    if (
      r.status !== 'captured' ||
      actualQuantity > h.quantity ||
      r.capturedQuantity !== actualQuantity ||
      r.capturedFeeFen !== fee ||
      r.capturedSubsidyFen > h.subsidyFen ||
      r.capturedSubsidyFen < 0 ||
      r.subsidyFen !== h.subsidyFen ||
      r.usage !== 'pending'
    ) {
      this.fail(
        op.index,
        'no capture above its hold: captured on the actual fee, the held subsidy kept beside it, usage pending',
        `${JSON.stringify(r)} (held ${h.quantity} units, ${h.subsidyFen} fen)`,
      );
    }
    op.after(() => {
      if (h.state !== 'held') this.fail(op.index, 'a hold is closed once', `redemption ${h.id} captured after it was ${h.state}`);
      h.state = 'captured';
      h.closedBy = op.index;
      h.subsidyFen = r.capturedSubsidyFen;
      h.capturedQuantity = actualQuantity;
      h.usage = 'pending';
    });
  }

  private async cancel(op: Op): Promise<void> {
    const h = this.heldOne(op);
    if (!h) return this.invalid(op);
    const token = op.rng.chance(0.5) ? h.voucher.owner.token : h.facility.provider.token;
    const reply = await this.post(op, 'POST /api/redemptions/:id/cancel', `/api/redemptions/${h.id}/cancel`, token, {}, [200, 409]);
    if (reply.status === 200) this.cancelled(op, h);
  }

  private cancelled(op: Op, h: HoldRef): void {
    op.after(() => {
      // A revocation of this batch may have recorded the cancellation first (its reading cannot tell who closed it).
      if (h.state !== 'held' && h.closedBy !== -1)
        this.fail(op.index, 'a hold is closed once', `redemption ${h.id} cancelled after it was ${h.state}`);
      h.state = 'cancelled';
      h.closedBy = op.index;
    });
  }

  // ---------------------------------------------------------------- usage: confirmation, disputes, ratings

  private capturedWith(op: Op, usage: HoldRef['usage']): HoldRef | undefined {
    return op.rng.pick(this.holds.filter((h) => h.state === 'captured' && h.usage === usage && !h.confirming));
  }

  /** The enterprise confirms the usage the provider captured; now and then the provider or a stranger tries (refused). */
  private async confirmUsage(op: Op): Promise<void> {
    const h = this.capturedWith(op, 'pending');
    if (!h) return this.read(op);
    h.confirming = true;
    const r = op.rng.float();
    const [token, expect] =
      r < 0.04
        ? [h.facility.provider.token, [403]]
        : r < 0.07
          ? [this.strangerOf(op, h).token, [404]]
          : [h.voucher.owner.token, [200, 409]];
    const reply = await this.post(op, 'POST /api/redemptions/:id/confirm', `/api/redemptions/${h.id}/confirm`, token, {}, expect);
    if (reply.status === 200 && reply.body.usage !== 'confirmed') this.fail(op.index, 'a confirmed usage reads confirmed', reply.text);
    op.after(() => {
      h.confirming = false;
      if (reply.status === 200) {
        if (h.usage !== 'pending') this.fail(op.index, 'usage is answered once', `redemption ${h.id} confirmed after ${h.usage}`);
        h.usage = 'confirmed';
      }
    });
  }

  private strangerOf(op: Op, h: HoldRef): Org {
    return op.rng.pick(this.world.enterprises.filter((e) => e !== h.voucher.owner))!;
  }

  private async disputeUsage(op: Op): Promise<void> {
    const h = this.capturedWith(op, 'pending');
    if (!h) return this.read(op);
    h.confirming = true;
    const reply = await this.post(
      op,
      'POST /api/redemptions/:id/dispute',
      `/api/redemptions/${h.id}/dispute`,
      h.voucher.owner.token,
      { reason: `实际用量不符 #${op.index}` },
      [200, 409],
    );
    if (reply.status === 200 && reply.body.usage !== 'disputed') this.fail(op.index, 'a disputed usage reads disputed', reply.text);
    op.after(() => {
      h.confirming = false;
      if (reply.status === 200) {
        if (h.usage !== 'pending') this.fail(op.index, 'usage is answered once', `redemption ${h.id} disputed after ${h.usage}`);
        h.usage = 'disputed';
      }
    });
  }

  /** The issuing bureau settles a dispute at the usage it found (≤ captured; 0 annuls the capture). */
  private async resolveDispute(op: Op): Promise<void> {
    const h = this.capturedWith(op, 'disputed');
    if (!h) return this.read(op);
    h.confirming = true;
    const captured = h.capturedQuantity ?? 0;
    const tooMuch = op.rng.chance(0.05);
    const actualQuantity = tooMuch ? captured + 1 : op.rng.int(0, captured);
    const reply = await this.post(
      op,
      'POST /api/redemptions/:id/resolve',
      `/api/redemptions/${h.id}/resolve`,
      this.bureauTokenFor(h.issuingRegionCode),
      { actualQuantity },
      tooMuch ? [400] : [200, 409],
    );
    if (reply.status === 200) {
      const r = reply.body;
      if (
        r.usage !== 'confirmed' ||
        r.capturedQuantity !== actualQuantity ||
        r.capturedSubsidyFen > h.subsidyFen ||
        (actualQuantity === 0) !== (r.status === 'cancelled')
      ) {
        this.fail(
          op.index,
          'a resolution lowers the capture to what was found and confirms it; zero annuls it',
          `${reply.text} (captured ${h.subsidyFen})`,
        );
      }
    }
    op.after(() => {
      h.confirming = false;
      if (reply.status !== 200) return;
      h.usage = 'confirmed';
      h.subsidyFen = reply.body.capturedSubsidyFen;
      h.capturedQuantity = actualQuantity;
      if (actualQuantity === 0) h.state = 'cancelled';
    });
  }

  /** The enterprise rates a confirmed service, once. */
  private async rate(op: Op): Promise<void> {
    const h = op.rng.pick(this.holds.filter((x) => x.state === 'captured' && x.usage === 'confirmed' && !x.rated));
    if (!h) return this.read(op);
    h.rated = true;
    const reply = await this.post(
      op,
      'POST /api/redemptions/:id/rating',
      `/api/redemptions/${h.id}/rating`,
      h.voucher.owner.token,
      { score: op.rng.int(1, 5), ...(op.rng.chance(0.5) ? { comment: `评价 #${op.index}` } : {}) },
      [201, 409],
    );
    if (reply.status === 409) this.note(`rating refused ${reply.body?.code}`);
  }

  /** Capture and cancel of the same hold at the same moment: exactly one may win. */
  private async raceCaptureCancel(op: Op): Promise<void> {
    const h = this.heldOne(op);
    if (!h) return this.invalid(op);
    const body = this.captureBody(op, h);
    const [cap, can] = await Promise.all([
      this.call(
        op,
        'POST /api/redemptions/:id/capture',
        'POST',
        `/api/redemptions/${h.id}/capture`,
        { token: h.facility.provider.token, body },
        [200, 409, 422],
      ),
      this.call(
        op,
        'POST /api/redemptions/:id/cancel',
        'POST',
        `/api/redemptions/${h.id}/cancel`,
        { token: h.voucher.owner.token, body: {} },
        [200, 409],
      ),
    ]);
    if (cap.status === 200 && can.status === 200)
      this.fail(op.index, 'of a racing capture and cancel at most one wins', `both succeeded on ${h.id}`);
    if (cap.status === 200) this.captured(op, h, cap, body.actualQuantity);
    if (can.status === 200) this.cancelled(op, h);
    this.note(`capture/cancel race ${cap.status}/${can.status}`);
    if (cap.status !== 200 && can.status !== 200) {
      // Both refused: only possible when a third operation of the batch closed the hold first.
      const now = await this.call(
        op,
        'GET /api/redemptions/:id',
        'GET',
        `/api/redemptions/${h.id}`,
        { token: h.voucher.owner.token },
        [200],
      );
      if (now.body?.status === 'held')
        this.fail(op.index, 'of a racing capture and cancel one wins unless the hold was already closed', `${cap.text} / ${can.text}`);
    }
  }

  // ---------------------------------------------------------------- idempotency

  /** Replays a successful keyed POST: the same body must give the identical response, another body 409. */
  private async replay(op: Op): Promise<void> {
    const k = op.rng.pick(this.keyed);
    if (!k) return this.invalid(op);
    const changed = Object.keys(k.body).length > 0 && op.rng.chance(0.3);
    const body = changed ? this.alter(k.body) : k.body;
    const reply = await this.call(op, k.label, k.method, k.path, { token: k.token, key: k.key, body }, changed ? [409] : [k.status]);
    if (changed) {
      if (reply.body?.code !== 'IDEMPOTENCY_CONFLICT')
        this.fail(op.index, 'the same key with another body is 409 IDEMPOTENCY_CONFLICT', reply.text.slice(0, 300));
    } else if (reply.status !== k.status || canonicalJson(reply.body) !== k.response) {
      this.fail(
        op.index,
        'a replay returns the first response (same status and body)',
        `${k.label} key ${k.key}: first ${k.status} ${k.response.slice(0, 300)}; replay ${reply.status} ${reply.text.slice(0, 300)}`,
      );
    }
  }

  private alter(body: Record<string, unknown>): Record<string, unknown> {
    const numeric = Object.keys(body).find((key) => typeof body[key] === 'number');
    if (numeric) return { ...body, [numeric]: (body[numeric] as number) + 1 };
    if (body.evidence) return { ...body, evidence: { ...body.evidence, invoiceNo: 'ALTERED' } };
    const text = Object.keys(body).find(
      (key) => typeof body[key] === 'string' && key !== 'voucherId' && key !== 'facilityId' && key !== 'creditCode',
    );
    return text ? { ...body, [text]: `${body[text]} (altered)` } : { ...body, reason: 'altered' };
  }

  /** Two identical keyed holds at the same moment: at most one hold is placed, and both see it. */
  private async concurrentDuplicate(op: Op): Promise<void> {
    const { e, voucher, facility, body, expect } = this.holdRequest(op);
    const key = op.newKey();
    const send = () => this.call(op, 'POST /api/redemptions', 'POST', '/api/redemptions', { token: e.token, key, body }, [...expect, 409]);
    const [a, b] = await Promise.all([send(), send()]);
    const created = [a, b].filter((r) => r.status === 201);
    if (created.length === 2 && canonicalJson(a.body) !== canonicalJson(b.body))
      this.fail(op.index, 'concurrent duplicates with one key execute once', `${a.text} / ${b.text}`);
    if (created.length > 0) this.recordHold(op, created[0], voucher!, facility);
    this.note(`duplicate pair ${a.status}/${b.status}`);
  }

  // ---------------------------------------------------------------- claims and settlement

  /**
   * Captured, unclaimed redemptions of one payee and one issuing region whose usage is confirmed; one time in ten any
   * captured ones, so claims on unconfirmed or disputed usage are tried (and refused).
   */
  private claimable(op: Op): HoldRef[] {
    const anyUsage = op.rng.chance(0.1);
    // Captures of nothing stay unclaimable (NOTHING_TO_CLAIM) for good: tried only now and then, so they do not pile up.
    const open = this.holds.filter(
      (h) => h.state === 'captured' && h.claimId === null && (anyUsage || (h.usage === 'confirmed' && h.subsidyFen > 0)),
    );
    const first = op.rng.pick(open);
    if (!first) return [];
    const group = open.filter((h) => h.payee === first.payee && h.issuingRegionCode === first.issuingRegionCode);
    return group.slice(0, op.rng.int(1, 5));
  }

  private claimBody(op: Op, holds: HoldRef[], invoiceNo = `INV-${op.index}`) {
    return {
      redemptionIds: holds.map((h) => h.id),
      evidence: {
        contractNo: `HT-${op.index}`,
        invoiceNo,
        ...(op.rng.chance(0.5) ? { paymentProofRef: `PAY-${op.index}` } : {}),
      },
    };
  }

  private async claim(op: Op): Promise<void> {
    const holds = this.claimable(op);
    if (holds.length === 0) return this.invalid(op);
    const body = this.claimBody(op, holds);
    const reply = await this.post(op, 'POST /api/claims', '/api/claims', holds[0].payee.token, body, [201, 409, 422]);
    if (reply.status === 201) await this.claimed(op, holds, reply, body.evidence.invoiceNo);
    else this.note(`claim refused ${reply.body?.code}`);
  }

  private async claimed(op: Op, holds: HoldRef[], reply: Reply, invoiceNo: string): Promise<void> {
    const c = reply.body;
    const expected = (await Promise.all(holds.map((h) => this.capturedSubsidy(op, h)))).reduce((s, fen) => s + fen, 0);
    if (c.claimedFen !== expected || c.claimedFen === 0)
      this.fail(op.index, 'a claim is for the captured subsidy of its redemptions, never 0', `${JSON.stringify(c)} expected ${expected}`);
    const unconfirmed = holds.filter((h) => h.usage !== 'confirmed' && !h.confirming);
    if (unconfirmed.length > 0)
      this.fail(op.index, 'no claim on unconfirmed usage', `${c.id} took ${unconfirmed.map((h) => `${h.id} (${h.usage})`).join(', ')}`);
    op.after(() => {
      for (const h of holds) {
        if (h.claimId !== null)
          this.fail(op.index, 'a redemption is in one claim', `redemption ${h.id} in claims ${h.claimId} and ${c.id}`);
        h.claimId = c.id;
      }
      this.claims.push({
        id: c.id,
        claimant: holds[0].payee,
        issuingRegionCode: c.issuingRegionCode,
        claimedFen: c.claimedFen,
        holds,
        state: 'submitted',
        settled: false,
        invoiceNo,
      });
    });
  }

  /**
   * The captured subsidy a claim took for a redemption. A usage answer in flight in this batch may be a resolution that
   * lowered the capture before the claim read it (the claim then saw it confirmed): that one is read back from the service.
   */
  private async capturedSubsidy(op: Op, h: HoldRef): Promise<number> {
    if (!h.confirming) return h.subsidyFen;
    const path = `/api/redemptions/${h.id}`;
    const reply = await this.call(op, 'GET /api/redemptions/:id', 'GET', path, { token: h.voucher.owner.token }, [200]);
    return reply.status === 200 ? reply.body.capturedSubsidyFen : h.subsidyFen;
  }

  /** The same redemptions in two claims at once: at most one is accepted. */
  private async doubleClaim(op: Op): Promise<void> {
    const holds = this.claimable(op);
    if (holds.length === 0) return this.invalid(op);
    const body = this.claimBody(op, holds);
    const send = () => this.call(op, 'POST /api/claims', 'POST', '/api/claims', { token: holds[0].payee.token, body }, [201, 409, 422]);
    const replies = await Promise.all([send(), send()]);
    const won = replies.filter((r) => r.status === 201);
    if (won.length > 1) this.fail(op.index, 'a redemption is claimed once, also concurrently', `${won[0].text} / ${won[1].text}`);
    if (won.length > 0) await this.claimed(op, holds, won[0], body.evidence.invoiceNo);
  }

  /** An invoice of a standing claim, written another way, on fresh redemptions of the same payee: 422 DUPLICATE_INVOICE. */
  private async duplicateInvoice(op: Op): Promise<void> {
    const standing = op.rng.pick(this.claims.filter((c) => c.state !== 'rejected' && !c.rejecting));
    const holds = standing
      ? this.holds.filter(
          (h) =>
            h.state === 'captured' &&
            h.claimId === null &&
            h.usage === 'confirmed' &&
            h.payee === standing.claimant &&
            h.issuingRegionCode === standing.issuingRegionCode,
        )
      : [];
    if (!standing || holds.length === 0) return this.claim(op);
    const variant = op.rng.pick([standing.invoiceNo, standing.invoiceNo.toLowerCase(), standing.invoiceNo.replace('-', ' - ')])!;
    const reply = await this.post(
      op,
      'POST /api/claims',
      '/api/claims',
      standing.claimant.token,
      this.claimBody(op, holds.slice(0, 2), variant),
      [409, 422],
    );
    if (reply.status === 422 && !['DUPLICATE_INVOICE', 'SANCTIONED', 'NOTHING_TO_CLAIM'].includes(reply.body?.code))
      this.fail(op.index, 'an invoice already claimed is 422 DUPLICATE_INVOICE', reply.text);
    this.note(`duplicate invoice ${reply.status} ${reply.body?.code}`);
  }

  /**
   * A reviewer approves a claim, sometimes for less; at or above dualControlFen the other reviewer completes it. The
   * payee is screened again: a sanctioned or suspended one is refused (422).
   */
  private async approveClaim(op: Op): Promise<void> {
    const { rng } = op;
    const c = rng.pick(this.claims.filter((x) => x.state === 'submitted'));
    if (!c) return this.invalid(op);
    const outsider = rng.chance(0.05);
    const first = c.firstApprover;
    const user = first && rng.chance(0.85) ? this.otherReviewer(first) : (first ?? this.reviewerFor(op, c.issuingRegionCode));
    const lower = !first && rng.chance(0.25) && c.claimedFen > 0 ? rng.int(1, c.claimedFen) : undefined;
    const above = !lower && !first && rng.chance(0.03);
    const body = above ? { approvedFen: c.claimedFen + 1 } : lower ? { approvedFen: lower } : {};
    const token = outsider ? this.otherBureau(op, c.issuingRegionCode) : this.staff(user);
    c.approving = true;
    op.after(() => (c.approving = false));
    const reply = await this.post(
      op,
      'POST /api/claims/:id/approve',
      `/api/claims/${c.id}/approve`,
      token,
      body,
      outsider ? [403, 404] : above ? [400, 403, 409, 422] : [200, 202, 400, 403, 409, 422],
    );
    const dual = this.regionPlan(c.issuingRegionCode).dualControlFen;
    // Read after the answer: by then every operation of the batch has marked what it is about to change.
    if ((reply.status === 200 || reply.status === 202) && this.blockedPayees().has(c.claimant.id)) {
      this.fail(op.index, 'no approval for a sanctioned or suspended payee', `${reply.text} (claimant ${c.claimant.key})`);
    }
    if (reply.status === 202) {
      if (!dual || reply.body.firstApprovedFen < dual)
        this.fail(op.index, 'only approvals at or above dualControlFen wait for a second user', reply.text);
      op.after(() => (c.firstApprover = user));
    } else if (reply.status === 200) {
      if (reply.body.approvedFen > c.claimedFen || (lower !== undefined && reply.body.approvedFen !== lower))
        this.fail(op.index, 'a claim is approved for the amount decided', JSON.stringify(reply.body));
      if (first === user) this.fail(op.index, 'the second approval comes from another user than the first', reply.text);
      op.after(() => {
        if (c.state !== 'submitted') this.fail(op.index, 'a claim is decided once', `claim ${c.id} approved after ${c.state}`);
        c.state = 'approved';
        c.cutFen = c.claimedFen - reply.body.approvedFen;
      });
    } else if (reply.status === 403 && !outsider && reply.body?.code !== 'DUAL_CONTROL_REQUIRED') {
      this.fail(op.index, 'a reviewer of the region is refused only by dual control', reply.text);
    } else if (reply.status === 422) this.note(`claim approval refused ${reply.body?.code}`);
  }

  private async rejectClaim(op: Op): Promise<void> {
    const c = op.rng.pick(this.claims.filter((x) => x.state === 'submitted'));
    if (!c) return this.invalid(op);
    c.rejecting = true;
    const reply = await this.post(
      op,
      'POST /api/claims/:id/reject',
      `/api/claims/${c.id}/reject`,
      this.staff(this.reviewerFor(op, c.issuingRegionCode)),
      { reason: '发票金额与合同不符' },
      [200, 409],
    );
    op.after(() => {
      c.rejecting = false;
      if (reply.status !== 200) return;
      if (c.state !== 'submitted') this.fail(op.index, 'a claim is decided once', `claim ${c.id} rejected after ${c.state}`);
      c.state = 'rejected';
      for (const h of c.holds) if (h.claimId === c.id) h.claimId = null;
    });
  }

  /**
   * A settlement run for a region with approved claims by one of its reviewers; sometimes two at once (each claim lands
   * in at most one), sometimes for a period not ended yet (422). Sanctioned or suspended payees stay out.
   */
  private async settle(op: Op): Promise<void> {
    const { rng } = op;
    const regions = [...new Set(this.claims.filter((c) => c.state === 'approved' && !c.settled).map((c) => c.issuingRegionCode))];
    const region = rng.pick(regions) ?? rng.pick(this.world.regions)!.regionCode;
    const creator = this.reviewerFor(op, region);
    const token = this.staff(creator);
    if (rng.chance(0.05)) {
      const periodEnd = `${this.world.year + 1}-12-31`;
      const r = await this.post(op, 'POST /api/settlements', '/api/settlements', token, { regionCode: region, periodEnd }, [422]);
      if (r.body?.code !== 'PERIOD_NOT_ENDED') this.fail(op.index, 'a period not ended yet is 422 PERIOD_NOT_ENDED', r.text);
      return;
    }
    const send = () => this.post(op, 'POST /api/settlements', '/api/settlements', token, { regionCode: region }, [201, 409]);
    const replies = rng.chance(0.3) ? await Promise.all([send(), send()]) : [await send()];
    const created = replies.filter((r) => r.status === 201);
    const blocked = this.blockedPayees(); // after the answers: every operation of the batch has marked its changes
    for (const r of created) {
      const s = r.body;
      const lines: { payeeId: string; amountFen: number }[] = s.lines ?? [];
      const sum = lines.reduce((acc, l) => acc + l.amountFen, 0);
      if (s.status !== 'open' || sum !== s.totalFen)
        this.fail(op.index, 'a settlement total is the sum of its lines', JSON.stringify(s).slice(0, 500));
      const screened = lines.filter((l) => blocked.has(l.payeeId));
      if (screened.length > 0)
        this.fail(op.index, 'no batch takes the claims of a sanctioned or suspended payee', JSON.stringify(screened));
    }
    if (replies.length === 2) this.note(`settlement pair ${replies[0].status}/${replies[1].status}`);
    op.after(() => {
      for (const r of created) this.settlements.push({ id: r.body.id, regionCode: region, paid: false, createdBy: creator });
      if (created.length > 0) for (const c of this.claims) if (c.issuingRegionCode === region && c.state === 'approved') c.settled = true;
    });
  }

  /**
   * Paying an open settlement as the reviewer who did not create it (the creator is refused 403); sometimes twice at
   * once (exactly one may succeed). A payee sanctioned or suspended since is held back, never paid.
   */
  private async pay(op: Op): Promise<void> {
    const { rng } = op;
    const s = rng.pick(this.settlements.filter((x) => !x.paid));
    if (!s) return this.invalid(op);
    const creator = rng.chance(0.1);
    const token = this.staff(creator ? s.createdBy : this.otherReviewer(s.createdBy));
    const send = () =>
      this.post(
        op,
        'POST /api/settlements/:id/pay',
        `/api/settlements/${s.id}/pay`,
        token,
        { paymentRef: `TREASURY-${op.index}` },
        creator ? [403] : [200, 409, 422],
      );
    const replies = rng.chance(0.3) ? await Promise.all([send(), send()]) : [await send()];
    if (creator && replies.some((r) => r.body?.code !== 'DUAL_CONTROL_REQUIRED'))
      this.fail(op.index, 'whoever created a batch cannot pay it: 403 DUAL_CONTROL_REQUIRED', replies.map((r) => r.text).join(' / '));
    const paid = replies.filter((r) => r.status === 200);
    const blocked = this.blockedPayees(); // after the answers: every operation of the batch has marked its changes
    if (paid.length > 1) this.fail(op.index, 'a settlement is paid once', `settlement ${s.id} paid twice`);
    for (const r of paid) {
      const reached = (r.body.lines ?? []).filter((l: { payeeId: string }) => blocked.has(l.payeeId));
      if (reached.length > 0) this.fail(op.index, 'no payment to a sanctioned payee', JSON.stringify(reached));
    }
    if (paid.length > 0) {
      op.after(() => {
        if (s.paid) this.fail(op.index, 'a settlement is paid once', `settlement ${s.id} paid again`);
        s.paid = true;
      });
    }
  }

  // ---------------------------------------------------------------- budgets and oversight

  /** Raise a budget, or try to lower it below what is committed (422), or lower it within what is available. */
  private async budget(op: Op): Promise<void> {
    const { rng } = op;
    const region = rng.pick(this.world.regions)!;
    const token = this.bureauTokenFor(region.regionCode);
    const path = `/api/budgets/${region.regionCode}/${this.world.year}`;
    const before = await this.call(op, 'GET /api/budgets/:region/:year', 'GET', path, { token }, [200]);
    if (before.status !== 200) return;
    const b = before.body;
    if (b.totalFen !== b.availableFen + b.committedFen || b.availableFen < 0 || b.committedFen < 0)
      this.fail(op.index, 'a budget read shows total = available + committed', JSON.stringify(b));
    const r = rng.float();
    let totalFen: number;
    let expect: number[];
    if (r < 0.4 && b.committedFen > 0) [totalFen, expect] = [b.committedFen - rng.int(1, Math.min(b.committedFen, 1_000_000)), [422, 200]];
    else if (r < 0.55) [totalFen, expect] = [b.committedFen + Math.floor(b.availableFen / 2), [200, 422]];
    else [totalFen, expect] = [b.totalFen + (region.small ? rng.int(100_000, 2_000_000) : rng.int(1_000_000, 50_000_000)), [200]];
    const reply = await this.call(op, 'PUT /api/budgets/:region/:year', 'PUT', path, { token, body: { totalFen } }, expect);
    if (reply.status === 422) {
      this.note('budget lowering refused');
      if (reply.body.code !== 'BUDGET_BELOW_COMMITTED')
        this.fail(op.index, 'lowering below committed is 422 BUDGET_BELOW_COMMITTED', reply.text);
    }
    if (reply.status === 200 && reply.body.totalFen !== totalFen) this.fail(op.index, 'a budget is set to the total asked', reply.text);
  }

  private async sanction(op: Op): Promise<void> {
    const { rng } = op;
    if (this.sanctions.filter((s) => !s.lifted).length >= 3) return this.liftSanction(op);
    const target = rng.pick([...this.world.enterprises, ...this.world.providers])!;
    const bureau = rng.pick(['bureau-sh', 'bureau-js', 'bureau-zj', 'bureau-ah'] as Staff[])!;
    this.sanctioning.add(target.creditCode);
    op.after(() => this.sanctioning.delete(target.creditCode));
    const reply = await this.post(
      op,
      'POST /api/sanctions',
      '/api/sanctions',
      this.staff(bureau),
      { creditCode: target.creditCode, reason: '模拟失信记录' },
      [201],
    );
    if (reply.status === 201)
      op.after(() => this.sanctions.push({ id: reply.body.id, creditCode: target.creditCode, bureau, lifted: false }));
  }

  private async liftSanction(op: Op): Promise<void> {
    const s = op.rng.pick(this.sanctions.filter((x) => !x.lifted && !x.lifting));
    if (!s) return this.read(op);
    const outsider = op.rng.chance(0.1);
    if (!outsider) s.lifting = true;
    const token = outsider ? this.otherBureau(op, this.regionOfBureau(s.bureau)) : this.staff(s.bureau);
    const reply = await this.post(
      op,
      'POST /api/sanctions/:id/lift',
      `/api/sanctions/${s.id}/lift`,
      token,
      {},
      outsider ? [403, 404] : [200, 409],
    );
    op.after(() => {
      s.lifting = false;
      if (reply.status === 200) s.lifted = true;
    });
  }

  private regionOfBureau(b: Staff): string {
    const regions: Record<string, string> = { 'bureau-sh': '310000', 'bureau-js': '320000', 'bureau-zj': '330000', 'bureau-ah': '340000' };
    return regions[b.replace(/-2$/, '')] ?? '310000';
  }

  /** Suspends a provider once; its facilities then refuse holds (PROVIDER_NOT_ACTIVE). */
  private async suspend(op: Op): Promise<void> {
    // not one another op of this batch is suspending: the second would rightly find it suspended (409)
    const p = op.rng.pick(this.world.suspendable.filter((x) => !this.suspended.has(x.id) && !this.suspending.has(x.id)));
    if (!p) return this.read(op);
    this.suspending.add(p.id);
    const reply = await this.post(
      op,
      'POST /api/providers/:id/suspend',
      `/api/providers/${p.id}/suspend`,
      this.bureauTokenFor(p.provinceCode),
      { reason: '模拟暂停' },
      [200],
    );
    op.after(() => {
      this.suspending.delete(p.id);
      if (reply.status === 200) this.suspended.add(p.id);
    });
  }

  // ---------------------------------------------------------------- reads and hostile requests

  // ---------------------------------------------------------------- instrument booking

  /** A booking request of whole hours of an hourly facility: often the next hour (so some start during the run), else within ~8 days. */
  private bookingRequest(op: Op, facility?: Facility, startMs?: number) {
    const { rng } = op;
    const voucher = rng.pick(this.vouchers.filter((v) => !v.revoked && !v.revoking));
    const e = voucher && !rng.chance(0.04) ? voucher.owner : rng.pick(this.world.enterprises)!;
    const f = facility ?? rng.pick(this.calendarFacilities);
    const nextHour = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
    const start = startMs ?? nextHour + (rng.chance(0.2) ? 0 : rng.int(1, 200)) * HOUR_MS;
    const hours = rng.int(1, 3);
    const body = {
      facilityId: f?.id ?? rng.uuid(),
      voucherId: voucher?.id ?? rng.uuid(),
      start: new Date(start).toISOString(),
      end: new Date(start + hours * HOUR_MS).toISOString(),
    };
    const mine = voucher !== undefined && voucher.owner === e;
    return { e, voucher, facility: f, body, start, hours, expect: f && mine ? [201, 409, 422] : [404] };
  }

  private recordBooking(op: Op, reply: Reply, voucher: VoucherRef, facility: Facility, e: Org, start: number, hours: number): void {
    const b = reply.body;
    const fee = facility.unitPriceFen * hours;
    const r = b.redemption;
    if (
      b.status !== 'booked' ||
      b.hours !== hours ||
      b.feeFen !== fee ||
      r?.quantity !== hours ||
      r?.feeFen !== fee ||
      r?.status !== 'held'
    ) {
      this.fail(
        op.index,
        'a booking holds its hours: quantity = hours, fee = price × hours, one code path with the hold',
        JSON.stringify(b),
      );
    }
    if (Date.parse(b.start) !== start || Date.parse(b.end) !== start + hours * HOUR_MS)
      this.fail(op.index, 'a booking is for the hours asked', JSON.stringify(b));
    op.after(() => this.bookings.push({ id: b.id, facility, voucher, owner: e, startMs: start, hours, feeFen: fee, state: 'booked' }));
  }

  private async book(op: Op): Promise<void> {
    const { e, voucher, facility, body, start, hours, expect } = this.bookingRequest(op);
    const reply = await this.post(op, 'POST /api/bookings', '/api/bookings', e.token, body, expect);
    if (reply.status === 409 || reply.status === 422) this.note(`booking refused ${reply.body.code}`);
    if (reply.status === 201) this.recordBooking(op, reply, voucher!, facility!, e, start, hours);
  }

  /** Several enterprises book one slot at once: at most one wins, the others are told SLOT_TAKEN (or their voucher's refusal). */
  private async raceBooking(op: Op): Promise<void> {
    const facility = op.rng.pick(this.calendarFacilities);
    if (!facility) return;
    const start = (Math.ceil(Date.now() / HOUR_MS) + op.rng.int(1, 200)) * HOUR_MS;
    const requests = Array.from({ length: op.rng.int(3, 6) }, () => this.bookingRequest(op, facility, start));
    const replies = await Promise.all(
      requests.map((q) => this.post(op, 'POST /api/bookings', '/api/bookings', q.e.token, q.body, q.expect, 0)),
    );
    const won = replies.filter((r) => r.status === 201).length;
    if (won > 1) this.fail(op.index, 'of concurrent bookings of one slot at most one wins', replies.map((r) => r.status).join(','));
    replies.forEach((reply, i) => {
      if (reply.status === 201) this.recordBooking(op, reply, requests[i].voucher!, facility, requests[i].e, start, requests[i].hours);
      else if (reply.status === 409) this.note(`booking race ${reply.body.code}`);
    });
  }

  private pickBooking(op: Op): BookingRef | undefined {
    const b = op.rng.pick(this.bookings.filter((x) => x.state === 'booked' && !x.closing));
    if (b) b.closing = true;
    return b;
  }

  /** The enterprise (early or late) or the provider calls a booking off: the hold is released whole, a late fee recorded outside the voucher. */
  private async cancelBooking(op: Op): Promise<void> {
    const b = this.pickBooking(op);
    if (!b) return;
    const byEnterprise = op.rng.chance(0.7);
    const token = byEnterprise ? b.owner.token : b.facility.provider.token;
    const before = Date.now();
    const reply = await this.post(op, 'POST /api/bookings/:id/cancel', `/api/bookings/${b.id}/cancel`, token, {}, [200, 409]);
    const after = Date.now();
    op.after(() => {
      b.closing = false;
      if (reply.status === 200 || b.voucher.revoked) b.state = 'closed';
    });
    if (reply.status !== 200) return;
    const r = reply.body;
    if (r.status !== 'cancelled' || r.redemption?.status !== 'cancelled')
      this.fail(op.index, 'a cancelled booking releases its hold', JSON.stringify(r));
    const lateBefore = before > b.startMs - SIM_CALENDAR.freeCancellationHours * HOUR_MS;
    const lateAfter = after > b.startMs - SIM_CALENDAR.freeCancellationHours * HOUR_MS;
    if (!byEnterprise && r.lateFeeFen !== undefined)
      this.fail(op.index, 'a provider’s cancellation costs the enterprise nothing', JSON.stringify(r));
    if (byEnterprise && lateBefore === lateAfter) {
      // A lab suspended or sanctioned (its own code or its controller's) cannot serve the hours: it is owed nothing.
      // Either may be so while one of this batch's ops is suspending, sanctioning or lifting.
      const lab = b.facility.provider;
      const labCodes = [lab.creditCode, lab.controllerCreditCode ?? []].flat();
      const known = this.sanctionedCodes();
      const surelyOut = this.suspended.has(lab.id) || labCodes.some((c) => known.has(c));
      const maybeOut = surelyOut || this.suspending.has(lab.id) || labCodes.some((c) => this.mayBeSanctioned(c));
      const fee = lateBefore ? ratioOf(b.feeFen, SIM_CALENDAR.lateCancellationFeeBp) : 0;
      const owed = surelyOut ? [0] : maybeOut ? [0, fee] : [fee];
      if (!owed.includes(r.lateFeeFen))
        this.fail(
          op.index,
          'a late cancellation owes floor(fee × bp / 10000) to a lab that may serve it, an early one or one at a suspended or sanctioned lab nothing',
          JSON.stringify(r),
        );
      if (lateBefore && surelyOut) this.note('late cancellation at a lab suspended or sanctioned');
      this.note(lateBefore ? 'late cancellation' : 'early cancellation');
    }
  }

  /** The provider records usage (0 = no-show); a booking that has not started yet is refused. */
  private async bookingUsage(op: Op): Promise<void> {
    const b = this.pickBooking(op);
    if (!b) return;
    const actualHours = op.rng.int(0, b.hours);
    const started = Date.now() >= b.startMs;
    const reply = await this.post(
      op,
      'POST /api/bookings/:id/usage',
      `/api/bookings/${b.id}/usage`,
      b.facility.provider.token,
      { actualHours },
      Date.now() >= b.startMs - 5_000 ? (actualHours > 0 ? this.captureStatuses(false) : [200, 409]) : [409],
    );
    this.checkCaptureRefusal(op, reply, false, [b.owner, b.facility.provider]);
    op.after(() => {
      b.closing = false;
      if (reply.status === 200 || b.voucher.revoked) b.state = 'closed';
    });
    if (reply.status === 409) this.note(started ? 'usage refused INVALID_STATE' : 'usage before the start refused');
    if (reply.status !== 200) return;
    if (!started && Date.now() < b.startMs)
      this.fail(op.index, 'usage is recorded only once the booking has started', JSON.stringify(reply.body));
    const r = reply.body;
    const hold = r.redemption;
    if (actualHours === 0) {
      this.note('no-show');
      if (hold?.status !== 'cancelled' || r.lateFeeFen !== ratioOf(b.feeFen, SIM_CALENDAR.lateCancellationFeeBp))
        this.fail(op.index, 'a no-show releases the hold and owes the late fee', JSON.stringify(r));
    } else {
      this.note('booking used');
      if (hold?.status !== 'captured' || hold.capturedQuantity !== actualHours || hold.capturedSubsidyFen > hold.subsidyFen)
        this.fail(op.index, 'usage captures the hours used, within the hold', JSON.stringify(r));
    }
  }

  private async read(op: Op): Promise<void> {
    const { rng } = op;
    const which = rng.int(0, 6);
    const v = rng.pick(this.vouchers);
    if (which === 0 && v) {
      const reply = await this.call(op, 'GET /api/vouchers/:id', 'GET', `/api/vouchers/${v.id}`, { token: v.owner.token }, [200]);
      if (reply.status === 200) this.checkVoucherView(op, reply.body, 'voucher read');
    } else if (which === 1 && v) {
      await this.call(op, 'GET /api/vouchers/verify/:code', 'GET', `/api/vouchers/verify/${v.verificationCode}`, {}, [200]);
    } else if (which === 2) {
      const e = rng.pick(this.world.enterprises)!;
      await this.call(
        op,
        'GET /api/redemptions',
        'GET',
        `/api/redemptions?status=${rng.pick(['held', 'captured', 'cancelled', 'expired'])}&limit=20`,
        { token: e.token },
        [200],
      );
    } else if (which === 3) {
      const bureau = rng.pick(['bureau-sh', 'bureau-js', 'bureau-zj', 'bureau-ah'] as Staff[])!;
      await this.call(
        op,
        'GET /api/claims',
        'GET',
        `/api/claims?status=${rng.pick(['submitted', 'approved', 'rejected'])}`,
        { token: this.staff(bureau) },
        [200],
      );
    } else if (which === 4) {
      const f = rng.pick(this.world.facilities)!;
      await this.call(op, 'GET /api/facilities', 'GET', `/api/facilities?provinceCode=${f.provinceCode}&category=${f.category}`, {}, [200]);
    } else if (which === 5) {
      const region = rng.pick(this.world.regions)!.regionCode;
      await this.call(
        op,
        'GET /api/stats/regions/:code',
        'GET',
        `/api/stats/regions/${region}?year=${this.world.year}`,
        { token: this.bureauTokenFor(region) },
        [200],
      );
    } else {
      const reply = await this.call(
        op,
        'GET /api/clearing',
        'GET',
        `/api/clearing?from=${this.world.year}-01-01&to=${this.world.year}-12-31`,
        { token: this.staff('platform') },
        [200],
      );
      if (reply.status === 200) {
        const { net, transfers } = reply.body;
        const sum = (net ?? []).reduce((s: number, n: { netFen: number }) => s + n.netFen, 0);
        if (sum !== 0 || (transfers ?? []).length > Math.max(0, (net ?? []).length - 1))
          this.fail(op.index, 'clearing nets to zero with at most n − 1 transfers', reply.text.slice(0, 500));
      }
    }
  }

  /** Requests that must be refused with one exact status. */
  private async invalid(op: Op): Promise<void> {
    const { rng } = op;
    const e = rng.pick(this.world.enterprises)!;
    const p = rng.pick(this.world.providers)!;
    const f = rng.pick(this.world.facilities)!;
    switch (rng.int(0, 7)) {
      case 0:
        await this.call(
          op,
          'POST /api/redemptions',
          'POST',
          '/api/redemptions',
          { body: { voucherId: rng.uuid(), facilityId: f.id, quantity: 1 } },
          [401],
        );
        break;
      case 1:
        await this.call(
          op,
          'POST /api/voucher-applications',
          'POST',
          '/api/voucher-applications',
          { token: p.token, body: { amountFen: 100_000, purpose: 'x' } },
          [403],
        );
        break;
      case 2:
        await this.call(op, 'POST /api/redemptions', 'POST', '/api/redemptions', { token: e.token, raw: '{"voucherId": "' }, [400]);
        break;
      case 3:
        await this.call(
          op,
          'POST /api/voucher-applications',
          'POST',
          '/api/voucher-applications',
          { token: e.token, body: { amountFen: 100_000, purpose: 'x', sneaky: true } },
          [400],
        );
        break;
      case 4:
        await this.call(
          op,
          'GET /api/vouchers/:id',
          'GET',
          `/api/vouchers/${rng.chance(0.5) ? rng.uuid() : "1'%20OR%20'1'='1"}`,
          { token: e.token },
          [404],
        );
        break;
      case 5:
        await this.call(
          op,
          'POST /api/claims/:id/approve',
          'POST',
          `/api/claims/${rng.uuid()}/approve`,
          { token: e.token, body: {} },
          [403],
        );
        break;
      case 6:
        await this.call(
          op,
          'PUT /api/budgets/:region/:year',
          'PUT',
          `/api/budgets/310000/${this.world.year}`,
          { token: this.staff('bureau-zj'), body: { totalFen: 1 } },
          [403],
        );
        break;
      default:
        await this.call(
          op,
          'POST /api/redemptions/:id/capture',
          'POST',
          `/api/redemptions/${rng.uuid()}/capture`,
          { token: p.token, body: { actualQuantity: 1 } },
          [404],
        );
    }
  }

  // ---------------------------------------------------------------- invariants

  /** Between batches nothing is in flight: the ledger and the stored rows must be consistent right now. */
  private async checkpoint(lastOp: number): Promise<void> {
    const op = new Op(lastOp, 'read', new Rng(0), this.opts.seed);
    const check = await this.call(op, 'GET /api/ledger/check', 'GET', '/api/ledger/check', { token: this.staff('platform') }, [200]);
    if (check.status === 200 && (!check.body.balanced || check.body.violations.length > 0)) {
      this.fail(lastOp, 'the ledger check is clean', check.body.violations.slice(0, 10).join('\n'));
    }
    for (const v of await dbInvariants(this.target.dataSource)) this.fail(lastOp, v.invariant, v.detail);
  }

  private async finalChecks(ops: number): Promise<void> {
    const op = new Op(ops, 'read', new Rng(0), this.opts.seed);
    await this.checkpoint(ops);
    const audit = await this.call(op, 'GET /api/audit/verify', 'GET', '/api/audit/verify', { token: this.staff('platform') }, [200]);
    if (audit.status === 200 && audit.body.valid !== true) this.fail(ops, 'the audit chain verifies', audit.text.slice(0, 300));
  }
}
