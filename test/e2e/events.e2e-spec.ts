import { setTimeout as sleep } from 'node:timers/promises';
import type { components } from '../../client';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { authConfig, AuthConfig } from '../../src/config/configuration';
import { EventCursors } from '../../src/events/event-cursor';
import { EventOutbox } from '../../src/events/event-outbox';
import { EVERY_BUREAU_TYPES } from '../../src/events/event-types';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, paySettlement, submittedClaim } from '../support/fixtures';
import { describeOnServer } from '../support/races';
import { auth, creditCodeIn, OrgSession, TestApp } from '../support/test-app';

type FeedEvent = components['schemas']['EventView'];

/** The app's own cursors (its key), to write a cursor as the feed would. */
const cursorsOf = (t: TestApp) => new EventCursors(t.app.get<AuthConfig>(authConfig.KEY).mfaKey);

/** Every event the token may read, paged through with the cursor `limit` at a time, by the typed client over HTTP. */
async function readAll(t: TestApp, token: string, limit = 50, after = ''): Promise<{ events: FeedEvent[]; cursor: string }> {
  const cursors = cursorsOf(t);
  const api = await t.client(token);
  const events: FeedEvent[] = [];
  let cursor = after;
  for (;;) {
    const { data, response } = await api.GET('/api/events', { params: { query: { limit, ...(cursor ? { after: cursor } : {}) } } });
    expect(response.status).toBe(200);
    events.push(...data!.items);
    expect(typeof data!.nextCursor).toBe('string');
    if (data!.items.length === 0) {
      expect(data!.nextCursor).toBe(cursor || cursors.encode(0));
      return { events, cursor: data!.nextCursor };
    }
    cursor = data!.nextCursor;
  }
}

describe('domain events: the transactional outbox and the feed', () => {
  let t: TestApp;
  let enterprise: OrgSession;
  let otherEnterprise: OrgSession;
  let provider: OrgSession;
  let jsEnterprise: OrgSession;

  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, '340000');
    await openRegion(t, '320000');
    [enterprise, otherEnterprise, provider, jsEnterprise] = await Promise.all([
      t.registerEnterprise('340100'),
      t.registerEnterprise('340100'),
      t.registerProvider('340100'),
      t.registerEnterprise('320500'),
    ]);
  });

  afterAll(() => t?.close());

  it('writes one event per state change through a voucher’s whole life, in order, with the contract’s types', async () => {
    const bureau = await t.token('bureau-ah');
    const start = (await readAll(t, bureau)).cursor;
    const facilityId = (
      await t.http
        .post('/api/facilities')
        .set(auth(provider.token))
        .send({ name: 'X 射线衍射仪机时', category: 'testing', unit: 'hour', unitPriceFen: 60_000 })
        .expect(201)
    ).body.id;
    const voucher = await issueVoucher(t, enterprise.token, 2_000_000);
    const hold = async () =>
      (
        await t.http
          .post('/api/redemptions')
          .set(auth(enterprise.token))
          .send({ voucherId: voucher.id, facilityId, quantity: 2 })
          .expect(201)
      ).body.id as string;
    const cancelled = await hold();
    await t.http.post(`/api/redemptions/${cancelled}/cancel`).set(auth(enterprise.token)).expect(200);
    const captured = await hold();
    await captureConfirmed(t, provider.token, enterprise.token, captured, 2);
    const claim = await t.http
      .post('/api/claims')
      .set(auth(provider.token))
      .send({ redemptionIds: [captured], evidence: freshEvidence() })
      .expect(201);
    await t.http.post(`/api/claims/${claim.body.id}/approve`).set(auth(bureau)).send({}).expect(200);
    const settlement = await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: '340000' }).expect(201);
    await paySettlement(t, '340000', settlement.body.id);

    const { events } = await readAll(t, bureau, 3, start);
    const types = events.map((e) => e.type);
    expect(types).toEqual([
      'facility.created',
      // an auto-approved application: one transaction, its events in the order its changes were made
      'application.submitted',
      'voucher.issued',
      'application.decided',
      'redemption.held',
      'redemption.cancelled',
      'redemption.held',
      'redemption.captured',
      'redemption.usage_confirmed',
      'claim.submitted',
      'claim.decided',
      'settlement.created',
      'settlement.paid',
    ]);
    const decided = events.find((e) => e.type === 'application.decided')!;
    expect(decided.data).toMatchObject({ decision: 'approved', organizationId: enterprise.organizationId, regionCode: '340000' });
    const capturedEvent = events.find((e) => e.type === 'redemption.captured')!;
    expect(capturedEvent.data).toMatchObject({ redemptionId: captured, counterpartyId: provider.organizationId });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    for (const e of events) expect(Date.parse(e.occurredAt)).not.toBeNaN();
  });

  it('tells the enterprise of every movement on its vouchers from its own events: a cut per redemption, an annulment, a dispute at zero, a rule’s refusal', async () => {
    const bureau = await t.token('bureau-ah');
    const [buyer, lab] = await Promise.all([t.registerEnterprise('340100'), t.registerProvider('340100')]);
    const start = (await readAll(t, buyer.token)).cursor;
    const refused = await t.http
      .post('/api/voucher-applications')
      .set(auth(buyer.token))
      .send({ amountFen: 40_000_000, purpose: '检测' })
      .expect(201);
    expect(refused.body.status).toBe('rejected');
    const [v1, v2] = [await issueVoucher(t, buyer.token, 1_000_000), await issueVoucher(t, buyer.token, 1_000_000)];
    const facilityId = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '场发射扫描电镜机时', category: 'testing', unit: 'hour', unitPriceFen: 30_000 })
        .expect(201)
    ).body.id as string;
    const captured = async (voucherId: string, hours: number) => {
      const held = await t.http
        .post('/api/redemptions')
        .set(auth(buyer.token))
        .send({ voucherId, facilityId, quantity: hours })
        .expect(201);
      await t.http.post(`/api/redemptions/${held.body.id}/capture`).set(auth(lab.token)).send({ actualQuantity: hours }).expect(200);
      return held.body.id as string;
    };
    const claimOf = async (...ids: string[]) => {
      for (const id of ids) await t.http.post(`/api/redemptions/${id}/confirm`).set(auth(buyer.token)).expect(200);
      return (await t.http.post('/api/claims').set(auth(lab.token)).send({ redemptionIds: ids, evidence: freshEvidence() }).expect(201))
        .body;
    };
    // A claim over both vouchers (30,000 + 45,000 fen of subsidy) approved at 20,000, spread in order: the cut reaches both.
    const [r1, r2] = [await captured(v1.id, 2), await captured(v2.id, 3)];
    const cutClaim = await claimOf(r1, r2);
    expect(cutClaim.claimedFen).toBe(75_000);
    await t.http.post(`/api/claims/${cutClaim.id}/approve`).set(auth(bureau)).send({ approvedFen: 20_000 }).expect(200);
    // A claim rejected for good: its subsidy goes back to the open voucher.
    const r3 = await captured(v1.id, 1);
    const rejected = await claimOf(r3);
    await t.http.post(`/api/claims/${rejected.id}/reject`).set(auth(bureau)).send({ reason: '发票与服务不符', final: true }).expect(200);
    // A dispute the bureau resolves at zero annuls the capture.
    const r4 = await captured(v2.id, 2);
    await t.http.post(`/api/redemptions/${r4}/dispute`).set(auth(buyer.token)).send({ reason: '未提供服务' }).expect(200);
    await t.http.post(`/api/redemptions/${r4}/resolve`).set(auth(bureau)).send({ actualQuantity: 0 }).expect(200);

    const { events } = await readAll(t, buyer.token, 50, start);
    const decided = events.filter((e) => e.type === 'application.decided');
    expect(decided[0].data).toMatchObject({
      decision: 'rejected',
      automatic: true,
      reasonCode: 'VOUCHER_CAP_EXCEEDED',
      voucherApplicationId: refused.body.id,
    });
    expect(decided.slice(1).map((e) => e.data.decision)).toEqual(['approved', 'approved']);

    const reduced = events.filter((e) => e.type === 'redemption.reduced');
    expect(reduced.map((e) => e.data.redemptionId).sort()).toEqual([r1, r2].sort());
    expect(reduced.reduce((sum, e) => sum + (e.data.returnedFen as number), 0)).toBe(55_000);
    for (const e of reduced) {
      const read = (
        await t.http
          .get(`/api/redemptions/${e.data.redemptionId as string}`)
          .set(auth(buyer.token))
          .expect(200)
      ).body;
      expect(e.data).toMatchObject({
        claimId: cutClaim.id,
        voucherId: read.voucherId,
        approvedFen: read.approvedFen,
        returnedTo: 'budget',
      });
      expect((e.data.capturedFen as number) - (e.data.approvedFen as number)).toBe(e.data.returnedFen);
    }
    const annulled = events.filter((e) => e.type === 'redemption.annulled');
    expect(annulled.map((e) => e.data)).toEqual([
      expect.objectContaining({
        redemptionId: r3,
        voucherId: v1.id,
        claimId: rejected.id,
        status: 'cancelled',
        returnedFen: 15_000,
        returnedTo: 'voucher',
      }),
    ]);
    const resolved = events.find((e) => e.type === 'redemption.dispute_resolved')!;
    expect(resolved.data).toMatchObject({
      redemptionId: r4,
      voucherId: v2.id,
      status: 'cancelled',
      capturedFen: 0,
      capturedFeeFen: 0,
      returnedFen: 30_000,
      returnedTo: 'voucher',
    });

    // The books the enterprise keeps from its events alone agree with the vouchers' reads, to the fen.
    const spent = new Map<string, number>();
    const add = (voucherId: unknown, fen: number) => spent.set(voucherId as string, (spent.get(voucherId as string) ?? 0) + fen);
    for (const e of events) {
      if (e.type === 'redemption.captured') add(e.data.voucherId, e.data.capturedFen as number);
      if (e.type === 'redemption.reduced' || e.type === 'redemption.annulled' || e.type === 'redemption.dispute_resolved')
        add(e.data.voucherId, -(e.data.returnedFen as number));
    }
    for (const v of [v1, v2]) {
      const read = (await t.http.get(`/api/vouchers/${v.id}`).set(auth(buyer.token)).expect(200)).body;
      expect(spent.get(v.id)).toBe(read.spentFen);
    }

    // A voucher revoked with a hold open: its balance and then the hold's subsidy go to the budget, and the events say so.
    const v3 = await issueVoucher(t, buyer.token, 1_000_000);
    const held = await t.http
      .post('/api/redemptions')
      .set(auth(buyer.token))
      .send({ voucherId: v3.id, facilityId, quantity: 2 })
      .expect(201);
    const before = (await readAll(t, buyer.token)).cursor;
    await t.http.post(`/api/vouchers/${v3.id}/revoke`).set(auth(bureau)).send({ reason: '企业申请材料造假' }).expect(200);
    const closing = (await readAll(t, buyer.token, 50, before)).events;
    expect(closing.find((e) => e.type === 'voucher.revoked')!.data).toMatchObject({
      voucherId: v3.id,
      releasedFen: 1_000_000 - held.body.subsidyFen,
      heldFen: held.body.subsidyFen,
    });
    expect(closing.find((e) => e.type === 'redemption.cancelled')!.data).toMatchObject({
      redemptionId: held.body.id,
      voucherId: v3.id,
      releasedFen: held.body.subsidyFen,
      returnedTo: 'budget',
    });
  });

  it('writes the event in the change’s transaction: a change that rolls back leaves none, a refused request none', async () => {
    const platform = await t.token('platform');
    const before = (await readAll(t, platform)).cursor;
    const uow = t.get(UnitOfWork);
    const draft = { action: 'sanction.recorded', entityType: 'sanction', entityId: '00000000-0000-7000-8000-000000000001', summary: {} };
    await expect(
      uow.run(async () => {
        uow.record(draft);
        throw new Error('the change fails after its audit entry');
      }),
    ).rejects.toThrow('the change fails');
    // A hold on a revoked voucher is refused: no state change, no event.
    const voucher = await issueVoucher(t, otherEnterprise.token, 10_000);
    await t.http
      .post(`/api/vouchers/${voucher.id}/revoke`)
      .set(auth(await t.token('bureau-ah')))
      .send({ reason: '材料不实' })
      .expect(200);
    const facilityId = (
      await t.http
        .post('/api/facilities')
        .set(auth(provider.token))
        .send({ name: '质谱仪机时', category: 'testing', unit: 'hour', unitPriceFen: 10_000_000 })
        .expect(201)
    ).body.id;
    const afterSetup = (await readAll(t, platform, 50, before)).cursor;
    const refused = await t.http
      .post('/api/redemptions')
      .set(auth(otherEnterprise.token))
      .send({ voucherId: voucher.id, facilityId, quantity: 5 });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('VOUCHER_NOT_ACTIVE');
    expect((await readAll(t, platform, 50, afterSetup)).events).toEqual([]);
    // The same draft committed is one event.
    await uow.run(async () => uow.record(draft));
    const { events } = await readAll(t, platform, 50, afterSetup);
    expect(events.map((e) => e.type)).toEqual(['sanction.recorded']);
    expect((await readAll(t, platform, 50, before)).events.filter((e) => e.data.sanctionId === draft.entityId)).toHaveLength(1);
  });

  it('scopes the feed like the records: an organization its own, a bureau its region, the platform all', async () => {
    await issueVoucher(t, jsEnterprise.token, 500_000);
    const all = (await readAll(t, await t.token('platform'))).events;
    const ah = (await readAll(t, await t.token('bureau-ah'))).events;
    const js = (await readAll(t, await t.token('bureau-js'))).events;
    const mine = (await readAll(t, enterprise.token)).events;
    const theirs = (await readAll(t, otherEnterprise.token)).events;
    const providers = (await readAll(t, provider.token)).events;
    expect(all.length).toBeGreaterThan(ah.length);
    // Beside the credit list, which every bureau reads wherever it was recorded.
    const regional = (events: FeedEvent[]) => events.filter((e) => !EVERY_BUREAU_TYPES.includes(e.type));
    expect(regional(ah).every((e) => ((e.data.regionCode as string | undefined) ?? '').startsWith('34'))).toBe(true);
    expect(regional(js).every((e) => ((e.data.regionCode as string | undefined) ?? '').startsWith('32'))).toBe(true);
    expect(js.some((e) => e.type === 'voucher.issued' && e.data.organizationId === jsEnterprise.organizationId)).toBe(true);
    expect(ah.some((e) => e.data.organizationId === jsEnterprise.organizationId)).toBe(false);
    expect(mine.length).toBeGreaterThan(0);
    expect(
      mine.every((e) => e.data.organizationId === enterprise.organizationId || e.data.counterpartyId === enterprise.organizationId),
    ).toBe(true);
    expect(theirs.some((e) => e.data.organizationId === enterprise.organizationId)).toBe(false);
    // The provider reads the redemptions at its facilities although the enterprise is their organization.
    expect(providers.filter((e) => e.type === 'redemption.captured')).toHaveLength(1);
    // Platform paging with a small page finds the same events as one big page.
    expect((await readAll(t, await t.token('platform'), 7)).events.map((e) => e.id)).toEqual(all.map((e) => e.id));
  });

  it('answers 400 naming `after` for a cursor it did not hand out, and 401 without a token', async () => {
    const bureau = await t.client(await t.token('bureau-ah'));
    const cursor = cursorsOf(t).encode(1);
    const readable = Buffer.from('e1:1').toString('base64url'); // the readable form of earlier builds
    for (const bad of ['abc', cursor.slice(0, -1) + '!', readable, Buffer.alloc(16).toString('base64url'), 'x'.repeat(80)]) {
      const { response, error } = await bureau.GET('/api/events', { params: { query: { after: bad } } });
      expect(response.status).toBe(400);
      expect(error?.code).toBe('VALIDATION_FAILED');
      expect(error?.message).toContain('after');
    }
    expect((await bureau.GET('/api/events', { params: { query: { limit: 0 } } })).response.status).toBe(400);
    expect((await (await t.client()).GET('/api/events')).response.status).toBe(401);
  });

  it('answers an empty page with the very cursor it was asked with; a cursor tells nothing of the platform’s count of events', async () => {
    const bureau = await t.token('bureau-ah');
    const cursors = cursorsOf(t);
    const last = (await readAll(t, bureau)).cursor;
    const empty = await t.http.get('/api/events').query({ after: last }).set(auth(bureau)).expect(200);
    expect(empty.body).toEqual({ items: [], nextCursor: last });
    // A cursor is sealed: its number is not in it, and a tenant cannot write one of a number it chose.
    expect(Buffer.from(last, 'base64url').toString('latin1')).not.toContain(String(cursors.decode(last)));
    // A number beyond the newest event (a database restored to before it, say) would skip every event up to it once they
    // are written; base64url's spare bits spell one cursor many ways, and only the feed's own spelling is taken.
    // the last character's lowest bit is one of the spare ones: flipped, the text spells the very same 16 bytes
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = last.slice(0, -1) + alphabet[alphabet.indexOf(last.at(-1)!) ^ 1];
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(last, 'base64url'));
    for (const bad of [cursors.encode(cursors.decode(last) + 1_000), respelled]) {
      const res = await t.http.get('/api/events').query({ after: bad }).set(auth(bureau)).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message).toMatch(/^after: /);
    }
    const zh = await t.http.get('/api/events').query({ after: 'abc' }).set(auth(bureau)).set('Accept-Language', 'zh-CN').expect(400);
    expect(zh.body.message).toMatch(/^after：不是本事件流给出的游标/);
  });

  it('sends each payee its own line of a settlement batch (created and paid), never another payee’s; the bureau reads the batch once', async () => {
    const bureau = await t.token('bureau-ah');
    const start = (await readAll(t, bureau)).cursor;
    const [labA, labB, labC, buyer] = await Promise.all([
      t.registerProvider('340100'),
      t.registerProvider('340100'),
      t.registerProvider('340100'),
      t.registerEnterprise('340100'),
    ]);
    const voucher = await issueVoucher(t, buyer.token, 2_000_000);
    const claimed = async (lab: OrgSession, hours: number) => {
      const claimId = await submittedClaim(t, lab.token, buyer.token, voucher.id, { name: '扫描电镜机时', unitPriceFen: 30_000, hours });
      await t.http.post(`/api/claims/${claimId}/approve`).set(auth(bureau)).send({}).expect(200);
    };
    await claimed(labA, 1);
    await claimed(labB, 3);
    await claimed(labC, 2);
    const batch = (await t.http.post('/api/settlements').set(auth(bureau)).send({ regionCode: '340000' }).expect(201)).body;
    // Sanctioned after the batch was made: its line is held back at payment, and it hears so.
    await t.http.post('/api/sanctions').set(auth(bureau)).send({ creditCode: labC.creditCode, reason: '虚报机时' }).expect(201);
    await paySettlement(t, '340000', batch.id, 'TREASURY-2026-0042');
    const lineOf = (lab: OrgSession) => batch.lines.find((l: { payeeId: string }) => l.payeeId === lab.organizationId).amountFen;
    expect(lineOf(labA)).not.toBe(lineOf(labB));

    for (const [lab, other] of [
      [labA, labB],
      [labB, labA],
    ]) {
      const mine = (await readAll(t, lab.token)).events.filter((e) => e.data.settlementId === batch.id);
      expect(mine.map((e) => e.type)).toEqual(['settlement.created', 'settlement.paid']);
      expect(mine[0].data).toEqual({
        settlementId: batch.id,
        organizationId: lab.organizationId,
        batchNo: batch.batchNo,
        periodLabel: batch.periodLabel,
        periodEnd: null,
        amountFen: lineOf(lab),
      });
      expect(mine[1].data).toEqual({
        settlementId: batch.id,
        organizationId: lab.organizationId,
        batchNo: batch.batchNo,
        paymentRef: 'TREASURY-2026-0042',
        amountFen: lineOf(lab),
      });
      expect(JSON.stringify(mine)).not.toContain(other.organizationId);
      expect(JSON.stringify(mine)).not.toContain(labC.organizationId);
    }
    // Held back, its line left the batch, which it reads no more (404): its settlement.paid names the batch by number only.
    const heldBack = (await readAll(t, labC.token)).events.filter(
      (e) => e.type.startsWith('settlement.') && (e.data.settlementId === batch.id || e.data.batchNo === batch.batchNo),
    );
    expect(heldBack.map((e) => [e.type, e.data.settlementId])).toEqual([
      ['settlement.created', batch.id],
      ['settlement.paid', undefined],
    ]);
    await t.http.get(`/api/settlements/${batch.id}`).set(auth(labC.token)).expect(404);
    expect(heldBack[1].data).toEqual({
      organizationId: labC.organizationId,
      batchNo: batch.batchNo,
      heldBack: true,
      amountFen: lineOf(labC),
    });
    const bureaus = (await readAll(t, bureau, 50, start)).events.filter((e) => e.data.settlementId === batch.id);
    expect(bureaus.map((e) => e.type)).toEqual(['settlement.created', 'settlement.paid']);
    expect(bureaus.map((e) => e.data.totalFen)).toEqual([batch.totalFen, batch.totalFen - lineOf(labC)]);
  });

  it('sends a sanction (and a related party, a lab’s suspension) recorded by one province to every bureau, the platform and the organization', async () => {
    const [js, ah, zj, platform] = await Promise.all(['bureau-js', 'bureau-ah', 'bureau-zj', 'platform'].map((u) => t.token(u)));
    const starts = await Promise.all([ah, zj, platform].map(async (token) => (await readAll(t, token)).cursor));
    const sanctioned = await t.registerEnterprise('340100');
    const sanction = (
      await t.http.post('/api/sanctions').set(auth(js)).send({ creditCode: sanctioned.creditCode, reason: '伪造检测报告' }).expect(201)
    ).body;
    await t.http.post(`/api/sanctions/${sanction.id}/lift`).set(auth(js)).expect(200);
    const relation = (
      await t.http
        .post('/api/relations')
        .set(auth(js))
        .send({ creditCodeA: sanctioned.creditCode, creditCodeB: creditCodeIn('340100'), reason: '法定代表人为同一人' })
        .expect(201)
    ).body;
    const lab = await t.registerProvider('320500');
    await t.http.post(`/api/providers/${lab.organizationId}/suspend`).set(auth(js)).send({ reason: '检测报告造假' }).expect(200);
    await t.http.post(`/api/providers/${lab.organizationId}/admit`).set(auth(js)).send({ noticeDays: 0 }).expect(200);
    for (const [i, token] of [ah, zj, platform].entries()) {
      const events = (await readAll(t, token, 50, starts[i])).events;
      expect(events.filter((e) => e.data.sanctionId === sanction.id).map((e) => e.type)).toEqual(['sanction.recorded', 'sanction.lifted']);
      expect(events.filter((e) => e.data.partyRelationId === relation.id).map((e) => e.type)).toEqual(['relation.recorded']);
      // the other provinces' bureaus hear of the lab's admission, suspension and readmission; the platform reads all of it
      const admissions = ['provider.admitted', 'provider.suspended', 'provider.admitted'];
      expect(events.filter((e) => e.data.organizationId === lab.organizationId).map((e) => e.type)).toEqual(
        token === platform ? ['organization.registered', ...admissions] : admissions,
      );
    }
    const own = (await readAll(t, sanctioned.token)).events.filter((e) => e.data.sanctionId === sanction.id);
    expect(own.map((e) => e.type)).toEqual(['sanction.recorded', 'sanction.lifted']);
    expect((await readAll(t, otherEnterprise.token)).events.some((e) => e.data.sanctionId === sanction.id)).toBe(false);
  });

  it('never names the bureau’s first approver (maker-checker) in the decisions the enterprise and the lab receive; the audit log does', async () => {
    await openRegion(t, '330000', { policy: { dualControlFen: 1_000, autoApproveMaxFen: 0 } });
    const [zj, zj2] = await Promise.all([t.token('bureau-zj'), t.token('bureau-zj-2')]);
    const [buyer, lab] = await Promise.all([t.registerEnterprise('330100'), t.registerProvider('330100')]);
    const application = (
      await t.http.post('/api/voucher-applications').set(auth(buyer.token)).send({ amountFen: 500_000, purpose: '检测' }).expect(201)
    ).body;
    await t.http.post(`/api/voucher-applications/${application.id}/approve`).set(auth(zj)).send({}).expect(202);
    const voucher = (await t.http.post(`/api/voucher-applications/${application.id}/approve`).set(auth(zj2)).send({}).expect(200)).body
      .voucher;
    const claimId = await submittedClaim(t, lab.token, buyer.token, voucher.id, { name: '拉曼光谱仪机时', unitPriceFen: 20_000, hours: 2 });
    await t.http.post(`/api/claims/${claimId}/approve`).set(auth(zj)).send({}).expect(202);
    await t.http.post(`/api/claims/${claimId}/approve`).set(auth(zj2)).send({}).expect(200);

    const decided = (events: FeedEvent[]) => events.filter((e) => e.type === 'application.decided' || e.type === 'claim.decided');
    for (const token of [buyer.token, lab.token, zj]) {
      const events = decided((await readAll(t, token)).events).filter(
        (e) => e.data.voucherApplicationId === application.id || e.data.claimId === claimId,
      );
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) expect(e.data).not.toHaveProperty('firstApprovedBy');
    }
    const audit: { summary: string }[] = await t.dataSource.query(
      `SELECT summary FROM audit_entry WHERE action = 'claim.approved' AND entity_id = ?
       UNION ALL SELECT summary FROM audit_pending WHERE action = 'claim.approved' AND entity_id = ?`,
      [claimId, claimId],
    );
    expect(audit.map((a) => JSON.parse(a.summary).firstApprovedBy)).toEqual([expect.any(String)]);
  });

  describeOnServer('paging under concurrent writes', 'on SQLite transactions take turns, so no commit can come late', () => {
    it('hands out an event committed late after those committed before it: no gap, no repeat, while others write', async () => {
      const platform = await t.token('platform');
      const start = (await readAll(t, platform)).cursor;
      const uow = t.get(UnitOfWork);
      const outbox = t.get(EventOutbox);
      // A transaction that has written its event and then waits before committing, as a slow commit on a busy server.
      let slow = true;
      uow.onFlush(async (state) => {
        if (slow && state.audit.some((d) => d.entityId === 'late-commit-000000000000000000000000'.slice(0, 36))) await sleep(1500);
      });
      const late = uow.run(async () =>
        uow.record({
          action: 'sanction.lifted',
          entityType: 'sanction',
          entityId: 'late-commit-000000000000000000000000'.slice(0, 36),
          summary: {},
        }),
      );
      await sleep(200);
      // Meanwhile: 30 writes over 10 enterprises, and a reader paging through the feed all along.
      const enterprises = await Promise.all(Array.from({ length: 10 }, () => t.registerEnterprise('340100')));
      const writes = Promise.all(
        enterprises.flatMap((e) =>
          [1, 2, 3].map(() => t.http.post('/api/voucher-applications').set(auth(e.token)).send({ amountFen: 10_000, purpose: '检测' })),
        ),
      );
      const seen: FeedEvent[] = [];
      let cursor = start;
      let writing = true;
      void writes.finally(() => (writing = false));
      const feed = await t.client(platform);
      while (writing || seen.length === 0) {
        const { data, response } = await feed.GET('/api/events', { params: { query: { limit: 5, after: cursor } } });
        expect(response.status).toBe(200);
        seen.push(...data!.items);
        cursor = data!.nextCursor;
        await sleep(10);
      }
      await late;
      slow = false;
      for (const res of await writes) expect(res.status).toBe(201);
      await outbox.sequenceAll();
      seen.push(...(await readAll(t, platform, 5, cursor)).events);
      const ids = seen.map((e) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      const everything = (await readAll(t, platform, 500, start)).events.map((e) => e.id);
      expect(ids).toEqual(everything);
      expect(seen.filter((e) => e.type === 'sanction.lifted')).toHaveLength(1);
      // 10 registrations, 10 verifications, and 30 applications each submitted, issued and decided
      expect(seen.filter((e) => e.type === 'voucher.issued')).toHaveLength(30);
    });
  });
});
