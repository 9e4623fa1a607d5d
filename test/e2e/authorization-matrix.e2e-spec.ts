import { randomBytes } from 'node:crypto';
import { FirstAdmins } from '../../src/auth/first-admins';
import { ClearingRunsService } from '../../src/clearing/clearing-runs.service';
import { sha256 } from '../../src/common/hash';
import { clock } from '../../src/common/clock';
import { freshEvidence, issueVoucher, paySettlement, policyBody, submittedClaim } from '../support/fixtures';
import { OpenApiDoc, operations, routeKey } from '../support/openapi';
import { auth, creditCodeIn, DEMO_PASSWORD, PASSWORD, TestApp } from '../support/test-app';
import { totp } from '../support/totp';
import { World } from '../support/world';

/**
 * The authorization matrix (issue 7, item 3): every route × every kind of caller, with the answer API.md
 * calls for: anonymous 401 except on public routes; a role the route is not for 403; another
 * organization's private record 404; a bureau of another province 403 for actions, 404 for records.
 *
 * The world (test/support/world.ts) is Anhui's: the enterprise and the other enterprise are in Hefei,
 * so are the provider (whose facility the enterprise's redemptions use, and which claims them) and
 * the other provider; "bureau" is bureau-ah, "other bureau" bureau-js, a bureau of another province.
 */
const ACTORS = ['anonymous', 'enterprise', 'otherEnterprise', 'provider', 'otherProvider', 'bureau', 'otherBureau', 'platform'] as const;
type Actor = (typeof ACTORS)[number];

interface Row {
  /** `METHOD /path` exactly as /docs-json names the operation. */
  route: string;
  /** One outcome per actor, in ACTORS order: `ok` (2xx), 401, 403 or 404. */
  expect: string;
  /** The record `{id}` or `{code}` stands for (POST /api/settlements: the approved claim a batch will take in). */
  id?: (w: World) => string | Promise<string>;
  /** The cell changes its record: each cell acts on a fresh one, made by `id`, in the state the action needs. */
  fresh?: boolean;
  query?: (w: World) => string;
  body?: (w: World, id?: string) => object;
  /** The cell ends or changes its session: each actor acts through a session of its own, made for the cell. */
  ownSession?: boolean;
  /** A body made with the cell's actor and session (its password, its two-factor secret). */
  bodyFor?: (cell: { password: string; token: string }) => Promise<object>;
}

const r = (route: string, expect: string, opts: Omit<Row, 'route' | 'expect'> = {}): Row => ({ route, expect, ...opts });
const reason = () => ({ reason: '材料不实' });
/** A clearing run of this year so far, recorded by the platform. */
const clearingRun = async (w: World): Promise<string> =>
  (
    await w.t.http
      .post('/api/clearing-runs')
      .set(auth(await w.t.token('platform')))
      .send({ from: `${clock.year()}-01-01`, to: clock.today() })
      .expect(201)
  ).body.id;
/** A clearing run recorded by a second person of the platform, which `platform` may void (dual control). */
const makers = new WeakMap<World, Promise<string>>();
const clearingRunByAnother = async (w: World): Promise<string> => {
  if (!makers.has(w))
    makers.set(
      w,
      (async () => {
        const made = await w.t.get(FirstAdmins).make('matrix-clearing-maker', 'platform');
        const newPassword = 'Clearing-Maker-Pass-2026!';
        await w.t.http
          .post('/api/auth/setup')
          .send({ username: 'matrix-clearing-maker', setupCode: made.setupCode, newPassword })
          .expect(204);
        return (await w.t.login('matrix-clearing-maker', newPassword)).accessToken;
      })(),
    );
  return (
    await w.t.http
      .post('/api/clearing-runs')
      .set(auth(await makers.get(w)!))
      .send({ from: `${clock.year()}-01-01`, to: clock.today() })
      .expect(201)
  ).body.id;
};
/**
 * A clearing run proposed by a second person of the platform (two-person recording), which `platform` may confirm. The
 * matrix's app records at once (CLEARING_TWO_PERSON off), so the proposal is made through the service, as POST makes it
 * with the setting on (test/e2e/clearing-two-person.e2e-spec.ts).
 */
const clearingRunProposedByAnother = async (w: World): Promise<string> => {
  await clearingRunByAnother(w);
  const token = await makers.get(w)!;
  const userId = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sub: string }).sub;
  const maker = {
    userId,
    username: 'matrix-clearing-maker',
    role: 'platform' as const,
    organizationId: null,
    regionCode: null,
    sessionId: 'matrix',
    admin: true,
    mfaEnabled: false,
  };
  return (await w.t.get(ClearingRunsService).propose(maker, `${clock.year()}-01-01`, clock.today())).id;
};
/**
 * A clearing run Anhui takes part in and Jiangsu does not (a Shanghai lab paid by an Anhui voucher), recorded once per
 * world: a province's notice and lines are its bureau's (bureau-ah ok), another province's 404 (bureau-js).
 */
const anhuiRuns = new WeakMap<World, Promise<string>>();
const clearingRunOfAnhui = (w: World): Promise<string> => {
  if (!anhuiRuns.has(w))
    anhuiRuns.set(
      w,
      (async () => {
        const e = await w.t.registerEnterprise('340104');
        const lab = await w.t.registerProvider('310115');
        const voucher = await issueVoucher(w.t, e.token, 1_000_000);
        const claim = await submittedClaim(w.t, lab.token, e.token, voucher.id, {
          name: '场发射扫描电镜机时',
          unitPriceFen: 20_000,
          hours: 1,
        });
        const ah = await w.t.token('bureau-ah');
        await w.t.http.post(`/api/claims/${claim}/approve`).set(auth(ah)).send({}).expect(200);
        const batch = (await w.t.http.post('/api/settlements').set(auth(ah)).send({ regionCode: '340000' }).expect(201)).body.id;
        await paySettlement(w.t, '340000', batch);
        return clearingRun(w);
      })(),
    );
  return anhuiRuns.get(w)!;
};
const newCreditCode = () => ({ creditCode: creditCodeIn('320500'), reason: '伪造检测报告' });
const registration = () => {
  const username = `matrix-${randomBytes(5).toString('hex')}`;
  return { username, password: PASSWORD, role: 'enterprise', organization: { name: username, creditCode: creditCodeIn('340100') } };
};

// prettier-ignore
const MATRIX: Row[] = [
  //  route                                           anon ent  ent2 prov prov2 bureau other platform
  // public: login, registration, health, regions, facility search, voucher verification
  r('POST /api/auth/login',                           'ok  ok   ok   ok   ok   ok   ok   ok', { body: () => ({ username: 'bureau-zj', password: DEMO_PASSWORD }) }),
  r('POST /api/auth/register',                        'ok  ok   ok   ok   ok   ok   ok   ok', { body: registration }),
  r('GET /api/health',                                'ok  ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/health/live',                           'ok  ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/regions',                               'ok  ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/facilities',                            'ok  ok   ok   ok   ok   ok   ok   ok', { query: () => 'provinceCode=340000&category=testing' }),
  // an extra route: one facility, public like the search that lists it
  r('GET /api/facilities/{id}',                       'ok  ok   ok   ok   ok   ok   ok   ok', { id: (w) => w.facilityId }),
  r('GET /api/facilities/{id}/ratings',               'ok  ok   ok   ok   ok   ok   ok   ok', { id: (w) => w.facilityId }),
  r('GET /api/vouchers/verify/{code}',                'ok  ok   ok   ok   ok   ok   ok   ok', { id: (w) => w.voucher.verificationCode }),

  // organizations; the list (an extra route) shows an organization itself, a bureau its region's
  r('GET /api/organizations',                         '401 ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/organizations/{id}',                    '401 ok   404  404  404  ok   404  ok', { id: (w) => w.enterprise.organizationId }),
  // the profile: the organization's own admin; another organization's is 404, staff 403 (they read it, never write it)
  r('PATCH /api/organizations/{id}',                  '401 ok   404  404  404  403  403  403', { id: (w) => w.enterprise.organizationId, body: () => ({ contactPerson: '王敏' }) }),
  // verification: the enterprise's home bureau (or its province) verifies or declines; another province's is 403
  r('POST /api/organizations/{id}/verify',            '401 403  403  403  403  ok   403  403', { id: (w) => w.pendingEnterprise(), fresh: true, body: () => ({ certificateNo: '202634010400012345' }) }),
  r('POST /api/organizations/{id}/decline',           '401 403  403  403  403  ok   403  403', { id: (w) => w.pendingEnterprise(), fresh: true, body: reason }),
  // a change of bank account: the bureau of the organization's region (or its province) confirms or rejects it
  r('POST /api/organizations/{id}/bank-account/confirm', '401 403  403  403  403  ok   403  403', { id: (w) => w.pendingBankChange(), fresh: true }),
  r('POST /api/organizations/{id}/bank-account/reject',  '401 403  403  403  403  ok   403  403', { id: (w) => w.pendingBankChange(), fresh: true, body: reason }),
  r('PUT /api/qualified-enterprises/{regionCode}',    '401 403  403  403  403  ok   403  403', { body: () => ({ rows: [{ creditCode: creditCodeIn('340100'), certificateNo: '202634010400054321' }] }) }),
  r('POST /api/providers/{id}/admit',                 '401 403  403  403  403  ok   403  403', { id: (w) => w.appliedProvider(), fresh: true, body: () => ({ noticeDays: 0 }) }),
  r('POST /api/providers/{id}/suspend',               '401 403  403  403  403  ok   403  403', { id: (w) => w.activeProvider(), fresh: true, body: reason }),

  // policies and budgets: published figures, readable by anyone signed in (API.md names no reader)
  r('POST /api/policies',                             '401 403  403  403  403  ok   403  403', { body: () => policyBody('340000') }),
  r('POST /api/policies/{id}/withdraw',               '401 403  403  403  403  ok   403  403', { id: (w) => w.futurePolicy(), fresh: true }),
  r('GET /api/policies',                              '401 ok   ok   ok   ok   ok   ok   ok', { query: () => 'regionCode=340000' }),
  r('GET /api/policies/current',                      '401 ok   ok   ok   ok   ok   ok   ok', { query: () => 'regionCode=340000' }),
  r('GET /api/policies/compare',                      '401 ok   ok   ok   ok   ok   ok   ok', { query: () => 'regionCodes=340000,310000' }),
  r('PUT /api/budgets/{regionCode}/{year}',           '401 403  403  403  403  ok   403  403', { body: () => ({ totalFen: 1_000_000_000 }) }),
  r('GET /api/budgets/{regionCode}/{year}',           '401 ok   ok   ok   ok   ok   ok   ok'),

  // facilities: a provider manages its own; the other provider's are 404 to it
  r('POST /api/facilities',                           '401 403  403  ok   ok   403  403  403', { body: () => ({ name: '扫描电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 50_000 }) }),
  r('PATCH /api/facilities/{id}',                     '401 403  403  ok   404  403  403  403', { id: (w) => w.facilityId, body: () => ({ description: '含制样' }) }),
  // bulk import: a provider's own facilities (each cell a fresh reference)
  r('POST /api/facilities/import',                    '401 403  403  ok   ok   403  403  403', { body: () => ({ rows: [{ externalRef: `M-${randomBytes(4).toString('hex')}`, name: '离心机', category: 'testing', unit: 'hour', unitPriceFen: 5_000 }] }) }),
  r('POST /api/facilities/{id}/retire',               '401 403  403  ok   404  403  403  403', { id: (w) => w.facility(), fresh: true }),

  // quotes: the voucher's enterprise only; another enterprise's voucher is 404 to it
  r('GET /api/facilities/{id}/quote',                 '401 ok   404  403  403  403  403  403', { id: (w) => w.facilityId, query: (w) => `voucherId=${w.voucher.id}&quantity=1` }),
  r('GET /api/quotes',                                '401 ok   404  403  403  403  403  403', { query: (w) => `category=testing&voucherId=${w.voucher.id}` }),

  // booking: a facility's calendar and availability are public, its provider sets the calendar and qualifies users;
  // the enterprise books, either party cancels, the provider records usage; the issuing bureau reads bookings
  r('PUT /api/facilities/{id}/calendar',              '401 403  403  ok   404  403  403  403', { id: (w) => w.calendarFacilityId, body: () => World.calendar() }),
  r('GET /api/facilities/{id}/calendar',              'ok  ok   ok   ok   ok   ok   ok   ok', { id: (w) => w.calendarFacilityId }),
  r('GET /api/facilities/{id}/availability',          'ok  ok   ok   ok   ok   ok   ok   ok', { id: (w) => w.calendarFacilityId, query: (w) => `from=${w.year}-12-01&to=${w.year}-12-31` }),
  r('POST /api/facilities/{id}/qualified',            '401 403  403  ok   404  403  403  403', { id: (w) => w.calendarFacilityId, body: (w) => ({ enterpriseId: w.otherEnterprise.organizationId }) }),
  r('POST /api/bookings',                             '401 ok   404  403  403  403  403  403', { body: (w) => w.nextBooking() }),
  r('GET /api/bookings',                              '401 ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/bookings/{id}',                         '401 ok   404  ok   404  ok   404  ok', { id: (w) => w.bookingId }),
  r('POST /api/bookings/{id}/cancel',                 '401 ok   404  ok   404  403  403  403', { id: (w) => w.booking(), fresh: true }),
  r('POST /api/bookings/{id}/usage',                  '401 403  403  ok   404  403  403  403', { id: (w) => w.pastBooking(), fresh: true, body: () => ({ actualHours: 1 }) }),
  // the feed's secret file name is its credential; anyone may make one for its organization except staff, who have none
  r('POST /api/calendar/feed',                        '401 ok   ok   ok   ok   403  403  403'),
  r('GET /api/calendar/{feed}',                       'ok  ok   ok   ok   ok   ok   ok   ok', { id: (w) => w.feedFile() }),

  // applications and vouchers: providers hold none, so the lists are 403 to them and a voucher is 404
  r('POST /api/voucher-applications',                 '401 ok   ok   403  403  403  403  403', { body: () => ({ amountFen: 100_000, purpose: '检测费' }) }),
  r('GET /api/voucher-applications',                  '401 ok   ok   403  403  ok   ok   ok'),
  r('GET /api/voucher-applications/{id}',             '401 ok   404  404  404  ok   404  ok', { id: (w) => w.applicationId }),
  r('POST /api/voucher-applications/{id}/approve',    '401 403  403  403  403  ok   403  403', { id: (w) => w.pendingApplication(), fresh: true, body: () => ({}) }),
  r('POST /api/voucher-applications/{id}/reject',     '401 403  403  403  403  ok   403  403', { id: (w) => w.pendingApplication(), fresh: true, body: reason }),
  r('GET /api/vouchers',                              '401 ok   ok   403  403  ok   ok   ok'),
  r('GET /api/vouchers/{id}',                         '401 ok   404  404  404  ok   404  ok', { id: (w) => w.voucher.id }),
  r('GET /api/vouchers/{id}/certificate',             '401 ok   404  404  404  ok   404  ok', { id: (w) => w.voucher.id }),
  r('POST /api/vouchers/{id}/revoke',                 '401 403  403  403  403  ok   403  403', { id: (w) => w.smallVoucher(), fresh: true, body: reason }),

  // redemptions: the enterprise and the provider are parties; the issuing bureau reads them
  r('POST /api/redemptions',                          '401 ok   404  403  403  403  403  403', { body: (w) => ({ voucherId: w.voucher.id, facilityId: w.facilityId, quantity: 1 }) }),
  r('GET /api/redemptions',                           '401 ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/redemptions/{id}',                      '401 ok   404  ok   404  ok   404  ok', { id: (w) => w.heldId }),
  r('POST /api/redemptions/{id}/capture',             '401 403  403  ok   404  403  403  403', { id: (w) => w.hold(), fresh: true, body: () => ({ actualQuantity: 1 }) }),
  r('POST /api/redemptions/{id}/cancel',              '401 ok   404  ok   404  403  403  403', { id: (w) => w.hold(), fresh: true }),
  // usage: the enterprise confirms, disputes and rates; the issuing bureau resolves a dispute
  r('POST /api/redemptions/{id}/confirm',             '401 ok   404  403  403  403  403  403', { id: (w) => w.capturedPending(), fresh: true }),
  r('POST /api/redemptions/{id}/dispute',             '401 ok   404  403  403  403  403  403', { id: (w) => w.capturedPending(), fresh: true, body: reason }),
  r('POST /api/redemptions/{id}/resolve',             '401 403  403  403  403  ok   403  403', { id: (w) => w.disputed(), fresh: true, body: () => ({ actualQuantity: 0 }) }),
  r('POST /api/redemptions/{id}/rating',              '401 ok   404  403  403  403  403  403', { id: (w) => w.captured(), fresh: true, body: () => ({ score: 5, comment: '数据质量高' }) }),

  // claims: the payee (here the provider) claims; the enterprise, a party but not the payee, is refused
  // 403, a stranger 404; a claim is the claimant's record, so the enterprise does not read it
  r('POST /api/claims',                               '401 403  404  ok   404  403  403  403', { id: (w) => w.captured(), fresh: true, body: (_, id) => ({ redemptionIds: [id], evidence: freshEvidence() }) }),
  r('GET /api/claims',                                '401 ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/claims/{id}',                           '401 404  404  ok   404  ok   404  ok', { id: (w) => w.claimId }),
  r('POST /api/claims/{id}/approve',                  '401 403  403  403  403  ok   403  403', { id: (w) => w.claim(), fresh: true, body: () => ({}) }),
  r('POST /api/claims/{id}/reject',                   '401 403  403  403  403  ok   403  403', { id: (w) => w.claim(), fresh: true, body: reason }),

  // settlement batches: the bureaus and the platform; a payee reads the batches with a line for it (here the provider),
  // and only its line; the treasury file is the bureau's. The batch was created by the second Anhui reviewer, so
  // bureau-ah may pay it (its creator may not: dual control)
  r('POST /api/settlements',                          '401 403  403  403  403  ok   403  403', { id: (w) => w.approvedClaim(), fresh: true, body: () => ({ regionCode: '340000' }) }),
  r('GET /api/settlements',                           '401 ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/settlements/{id}',                      '401 404  404  ok   404  ok   404  ok', { id: (w) => w.settlementId }),
  r('GET /api/settlements/{id}/statement',            '401 404  404  ok   404  ok   404  ok', { id: (w) => w.settlementId }),
  r('GET /api/settlements/{id}/lines.csv',            '401 403  403  403  403  ok   404  ok', { id: (w) => w.settlementId }),
  r('POST /api/settlements/{id}/pay',                 '401 403  403  403  403  ok   403  403', { id: (w) => w.settlement(), fresh: true, body: () => ({ paymentRef: 'TREASURY-1' }) }),
  r('POST /api/settlements/{id}/void',                '401 403  403  403  403  ok   403  403', { id: (w) => w.settlement(), fresh: true, body: () => ({ reason: '期间填错' }) }),
  r('GET /api/clearing',                              '401 403  403  403  403  403  403  ok', { query: (w) => `from=${w.year}-01-01&to=${w.year}-12-31` }),
  // recorded clearing runs: the platform records and reads them whole; every bureau reads its province's position in each
  r('POST /api/clearing-runs',                        '401 403  403  403  403  403  403  ok', { body: () => ({ from: `${clock.year()}-01-01`, to: clock.today() }) }),
  r('GET /api/clearing-runs',                         '401 403  403  403  403  ok   ok   ok'),
  r('GET /api/clearing-runs/preview',                 '401 403  403  403  403  403  403  ok', { query: () => `from=${clock.year()}-01-01&to=${clock.today()}` }),
  // proposals (two-person recording) are the platform's: no bureau reads one, of its province (bureau) or not (other)
  r('GET /api/clearing-runs/proposals',               '401 403  403  403  403  403  403  ok', { query: () => 'status=proposed' }),
  r('GET /api/clearing-runs/proposals/{id}',          '401 403  403  403  403  403  403  ok', { id: clearingRunProposedByAnother }),
  r('GET /api/clearing-runs/{id}',                    '401 403  403  403  403  ok   ok   ok', { id: clearingRun }),
  r('POST /api/clearing-runs/{id}/void',               '401 403  403  403  403  403  403  ok', { id: clearingRunByAnother, fresh: true, body: () => ({ reason: '期间填错' }) }),
  // two-person recording: another platform person confirms a proposal (its proposer is 403, clearing-two-person)
  r('POST /api/clearing-runs/{id}/confirm',            '401 403  403  403  403  403  403  ok', { id: clearingRunProposedByAnother, fresh: true }),
  r('GET /api/clearing-runs/{id}/entries.csv',        '401 403  403  403  403  403  403  ok', { id: clearingRun }),
  r('GET /api/clearing-runs/{id}/report.pdf',         '401 403  403  403  403  403  403  ok', { id: clearingRun }),
  // a province's bureau reads its own lines of a run it takes part in; a province with no part in it 404
  r('GET /api/clearing-runs/{id}/lines.csv',          '401 403  403  403  403  ok   404  ok', { id: clearingRunOfAnhui }),
  r('GET /api/clearing-runs/{id}/notice.pdf',         '401 403  403  403  403  ok   403  ok', { id: clearingRunOfAnhui, query: () => 'province=340000' }),

  // oversight: any bureau records a sanction (it binds every province); only the recording bureau lifts it
  r('POST /api/sanctions',                            '401 403  403  403  403  ok   ok   403', { body: newCreditCode }),
  r('GET /api/sanctions',                             '401 ok   ok   ok   ok   ok   ok   ok'),
  // relations a bureau found: any bureau records one (binding everywhere), bureaus and the platform read them
  r('POST /api/relations',                            '401 403  403  403  403  ok   ok   403', { body: () => ({ creditCodeA: creditCodeIn('340100'), creditCodeB: creditCodeIn('310000'), reason: '法定代表人为同一人' }) }),
  r('GET /api/relations',                             '401 403  403  403  403  ok   ok   ok'),
  r('POST /api/sanctions/{id}/lift',                  '401 403  403  403  403  ok   403  403', { id: (w) => w.sanction(), fresh: true }),
  // API.md names the platform and bureaus; the oversight module also shows an organization the
  // entries about itself (scoped, tested in oversight.e2e-spec.ts): kept
  r('GET /api/audit',                                 '401 ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/audit/verify',                          '401 403  403  403  403  403  403  ok'),
  // API.md: the platform and bureaus read the signed checkpoints; the key that verifies them is public
  r('GET /api/audit/checkpoints',                     '401 403  403  403  403  ok   ok   ok'),
  r('GET /api/audit/public-key',                      'ok  ok   ok   ok   ok   ok   ok   ok'),
  r('GET /api/ledger/check',                          '401 403  403  403  403  403  403  ok'),
  // statistics are for bureaus and the platform; another province's figures are refused (not a record)
  r('GET /api/stats/regions/{code}',                  '401 403  403  403  403  ok   403  ok', { id: () => '340000' }),
  r('GET /api/stats/flows',                           '401 403  403  403  403  ok   ok   ok'),
  // the annual report: the bureau of the region (or its province) and the platform; another province's bureau is refused
  r('GET /api/reports/annual',                        '401 403  403  403  403  ok   403  ok', { query: (w) => `regionCode=340000&year=${w.year}` }),

  // domain events: everyone signed in reads the feed, scoped like the records (events.e2e-spec.ts)
  r('GET /api/events',                                '401 ok   ok   ok   ok   ok   ok   ok'),
  // webhooks and API keys belong to an organization or bureau, managed by its admins (every actor here is one); another
  // group's subscription or key is 404
  r('POST /api/webhooks',                             '401 ok   ok   ok   ok   ok   ok   ok', { body: () => ({ url: 'https://192.0.2.1/hooks', events: ['*'] }) }),
  r('GET /api/webhooks',                              '401 ok   ok   ok   ok   ok   ok   ok'),
  r('DELETE /api/webhooks/{id}',                      '401 ok   404  404  404  404  404  404', { id: webhookOf, fresh: true }),
  r('GET /api/webhooks/{id}/deliveries',              '401 ok   404  404  404  404  404  404', { id: webhookOf }),
  r('POST /api/webhooks/{id}/deliveries/{deliveryId}/redeliver', '401 ok 404 404 404 404 404 404', { id: deliveryOf }),
  // an owner keeps at most 10 live webhooks, all made by the rows above: these act on one of them
  r('POST /api/webhooks/{id}/rotate-secret',          '401 ok   404  404  404  404  404  404', { id: liveWebhookOf }),
  r('POST /api/webhooks/{id}/redeliver',              '401 ok   404  404  404  404  404  404', { id: liveWebhookOf, body: () => ({ from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }) }),
  // notifications: each user its own; another user's is 404
  r('GET /api/notifications',                         '401 ok   ok   ok   ok   ok   ok   ok'),
  r('POST /api/notifications/{id}/read',              '401 ok   404  404  404  404  404  404', { id: notificationOf }),
  // mail preferences: each person its own (an API key, 403, in notifications.e2e-spec.ts)
  r('GET /api/notifications/preferences',             '401 ok   ok   ok   ok   ok   ok   ok'),
  r('PUT /api/notifications/preferences',             '401 ok   ok   ok   ok   ok   ok   ok', { body: () => ({ mailOff: ['budget_low'] }) }),
  r('POST /api/api-keys',                             '401 ok   ok   ok   ok   ok   ok   ok', { body: () => ({ name: '省级平台', readOnly: true }) }),
  r('GET /api/api-keys',                              '401 ok   ok   ok   ok   ok   ok   ok'),
  r('DELETE /api/api-keys/{id}',                      '401 ok   404  404  404  404  404  404', { id: apiKeyOf, fresh: true }),

  // accounts: everyone signed in reads itself; each organization and bureau has an admin (its first user, the seeded
  // bureau users), who manages its own group: another group's user is 404 to it
  r('GET /api/auth/me',                               '401 ok   ok   ok   ok   ok   ok   ok'),
  r('POST /api/auth/refresh',                         'ok  ok   ok   ok   ok   ok   ok   ok', { ownSession: true }),
  r('GET /api/users',                                 '401 ok   ok   ok   ok   ok   ok   ok'),
  r('POST /api/users',                                '401 ok   ok   ok   ok   ok   ok   ok', { body: () => ({ username: `staff-${randomBytes(5).toString('hex')}`, password: PASSWORD }) }),
  r('POST /api/users/{id}/disable',                   '401 404  404  404  404  ok   404  404', { id: (w) => w.bureauUser(), fresh: true }),
  // an organization's or bureau's admin resets its own group's users; the platform anyone's
  r('POST /api/users/{id}/reset-sign-in',             '401 404  404  404  404  ok   404  ok', { id: (w) => w.activatedBureauUser(), fresh: true }),
  // its holder sets the first password with the activator's setup code: no session needed
  r('POST /api/auth/setup',                           'ok  ok   ok   ok   ok   ok   ok   ok', { id: (w) => w.setupCode(), fresh: true, body: (_, id) => ({ username: id!.split('|')[0], setupCode: id!.split('|')[1], newPassword: 'Holder-Own-Pass-2026' }) }),
  // a bureau user made by the bureau's admin: a second person activates it, never its maker
  r('GET /api/users/awaiting-activation',             '401 403  403  403  403  ok   ok   ok'),
  r('POST /api/users/{id}/activate',                  '401 403  403  403  403  403  404  ok', { id: (w) => w.bureauUser(), fresh: true }),
  // the caller's own address: set (none: unchanged), a code sent again for an unconfirmed one, confirmed with its code
  r('PUT /api/auth/email',                            '401 ok   ok   ok   ok   ok   ok   ok', { ownSession: true, bodyFor: async (c) => ({ email: null, currentPassword: c.password }) }),
  r('POST /api/auth/email/code',                      '401 ok   ok   ok   ok   ok   ok   ok', { ownSession: true, bodyFor: async (c) => (await newAddress(c), {}) }),
  r('POST /api/auth/email/verify',                    '401 ok   ok   ok   ok   ok   ok   ok', { ownSession: true, bodyFor: async (c) => ({ code: await newAddress(c) }) }),
  r('POST /api/auth/logout',                          '401 ok   ok   ok   ok   ok   ok   ok', { ownSession: true }),
  r('POST /api/auth/password',                        '401 ok   ok   ok   ok   ok   ok   ok', { ownSession: true, bodyFor: async (c) => ({ currentPassword: c.password, newPassword: c.password }) }),
  // last: once enabled, two-factor is asked at every login
  r('POST /api/auth/mfa/setup',                       '401 ok   ok   ok   ok   ok   ok   ok', { ownSession: true }),
  r('POST /api/auth/mfa/enable',                      '401 ok   ok   ok   ok   ok   ok   ok', { ownSession: true, bodyFor: enrolment }),
];

/** A webhook subscription of the enterprise, each to a URL of its own (an owner has one subscription per URL). */
async function webhookOf(w: World): Promise<string> {
  const body = { url: `https://192.0.2.1/hooks/${randomBytes(5).toString('hex')}`, events: ['redemption.held'] };
  return (await w.t.http.post('/api/webhooks').set(auth(w.enterprise.token)).send(body).expect(201)).body.id;
}

/** A live webhook subscription of the enterprise, already made. */
async function liveWebhookOf(w: World): Promise<string> {
  return (await w.t.http.get('/api/webhooks').set(auth(w.enterprise.token)).expect(200)).body.items[0].id;
}

/** `subscription|delivery`: a delivery of a fresh enterprise subscription (a hold made after it, the feed read to number it). */
async function deliveryOf(w: World): Promise<string> {
  const id = await webhookOf(w);
  await w.hold();
  await w.t.http.get('/api/events').set(auth(w.enterprise.token)).expect(200);
  const deliveries = await w.t.http.get(`/api/webhooks/${id}/deliveries`).set(auth(w.enterprise.token)).expect(200);
  return `${id}|${deliveries.body.items[0].id}`;
}

/** A notification of the enterprise's user (its application was decided when the world was built). */
async function notificationOf(w: World): Promise<string> {
  await w.t.http.get('/api/events').set(auth(w.enterprise.token)).expect(200); // numbers the events, which notify
  return (await w.t.http.get('/api/notifications').set(auth(w.enterprise.token)).expect(200)).body.items[0].id;
}

/** An API key of the enterprise. */
async function apiKeyOf(w: World): Promise<string> {
  return (await w.t.http.post('/api/api-keys').set(auth(w.enterprise.token)).send({ name: 'ERP' }).expect(201)).body.id;
}

/** A first code for a fresh two-factor secret of the cell's user. */
async function enrolment(cell: { token: string }, t = current.t): Promise<object> {
  const setup = await t.http.post('/api/auth/mfa/setup').set(auth(cell.token)).send({});
  return { otp: setup.status === 200 ? totp(setup.body.secret) : '000000' };
}
/** A new unconfirmed address of the cell's user, and a code for it (its hash put in place of the one mailed, which is not kept). */
async function newAddress(cell: { password: string; token: string }, t = current.t): Promise<string> {
  const changed = await t.http
    .put('/api/auth/email')
    .set(auth(cell.token))
    .send({ email: `m${randomBytes(5).toString('hex')}@matrix.example.cn`, currentPassword: cell.password });
  const code = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  await t.dataSource.query(`UPDATE app_user SET email_code_hash = ? WHERE id = ?`, [sha256(code), changed.body.id]);
  return code;
}
const current = {} as { t: TestApp };

const ERROR_CODE: Record<string, string> = { '401': 'UNAUTHENTICATED', '403': 'FORBIDDEN', '404': 'NOT_FOUND' };

/** The username and password of each kind of caller (anonymous refreshes the enterprise's session). */
function credentialsOf(w: World, actor: Actor): { username: string; password: string } {
  const staff: Partial<Record<Actor, string>> = { bureau: 'bureau-ah', otherBureau: 'bureau-js', platform: 'platform' };
  if (staff[actor]) return { username: staff[actor], password: DEMO_PASSWORD };
  const orgs = {
    anonymous: w.enterprise,
    enterprise: w.enterprise,
    otherEnterprise: w.otherEnterprise,
    provider: w.provider,
    otherProvider: w.otherProvider,
  };
  return { username: orgs[actor as keyof typeof orgs].username, password: PASSWORD };
}

describe('authorization matrix', () => {
  let t: TestApp;
  let w: World;
  const tokens = {} as Record<Actor, string | undefined>;

  beforeAll(async () => {
    // No webhook deliveries in the background: a redelivery cell would find its delivery being attempted (409).
    t = await TestApp.start({ WEBHOOK_POLL_MS: '0' });
    current.t = t;
    w = await World.build(t);
    Object.assign(tokens, {
      anonymous: undefined,
      enterprise: w.enterprise.token,
      otherEnterprise: w.otherEnterprise.token,
      provider: w.provider.token,
      otherProvider: w.otherProvider.token,
      bureau: await t.token('bureau-ah'),
      otherBureau: await t.token('bureau-js'),
      platform: await t.token('platform'),
    });
  });
  afterAll(() => t?.close());

  /** A session of the actor's own for one cell. */
  async function ownSession(actor: Actor) {
    const { username, password } = credentialsOf(w, actor);
    return { ...(await t.login(username, password)), password };
  }

  it('lists every operation of /docs-json, and only those', async () => {
    const documented = operations((await t.http.get('/docs-json').expect(200)).body as OpenApiDoc)
      .map(routeKey)
      .sort();
    expect(MATRIX.map((row) => row.route).sort()).toEqual(documented);
  });

  it.each(MATRIX.map((row) => [row.route, row] as const))('%s', async (_, row) => {
    const outcomes = row.expect.trim().split(/\s+/);
    expect(outcomes).toHaveLength(ACTORS.length);
    const [method, template] = row.route.split(' ');
    const shared = row.id && !row.fresh ? await row.id(w) : undefined;
    const answers: string[] = [];
    for (const actor of ACTORS) {
      const id = row.fresh ? await row.id!(w) : shared;
      const own = row.ownSession ? await ownSession(actor) : undefined;
      const token = own ? (actor === 'anonymous' ? undefined : own.accessToken) : tokens[actor];
      const path = template
        .replace('{regionCode}', '340000')
        .replace('{year}', String(w.year))
        .replace(/\{(id|code|feed)\}/, id?.split('|')[0] ?? '')
        .replace('{deliveryId}', id?.split('|')[1] ?? '');
      let req = t.http[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path + (row.query ? `?${row.query(w)}` : ''));
      if (token) req = req.set(auth(token));
      const body = row.bodyFor && own ? await row.bodyFor({ password: own.password, token: own.accessToken }) : row.body?.(w, id);
      const refresh = own && row.route === 'POST /api/auth/refresh' ? { refreshToken: own.refreshToken } : undefined;
      const res = method === 'GET' ? await req : await req.send(refresh ?? body ?? {});
      const outcome = res.status >= 200 && res.status < 300 ? 'ok' : String(res.status);
      const codeOk = outcome === 'ok' || res.body?.code === ERROR_CODE[outcome];
      answers.push(codeOk ? outcome : `${outcome} ${JSON.stringify(res.body)}`);
    }
    // compared whole, so a failure shows the row as the table writes it
    expect(answers.join(' ')).toBe(outcomes.join(' '));
  });
});
