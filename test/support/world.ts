import { clock } from '../../src/common/clock';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, policyBody } from './fixtures';
import { auth, creditCodeIn, nextBankAccount, OrgSession, TestApp } from './test-app';

/**
 * A small Anhui world for the sweep and the authorization matrix: a Hefei enterprise with a voucher
 * issued by the province (340000 has the policy and the budget), a second Hefei enterprise, two
 * admitted Hefei providers, one with a TEM facility at 800 yuan an hour; records in every state the
 * routes act on. The factories make a fresh record per call, for cells that change state.
 */
export class World {
  readonly year = clock.year();
  enterprise!: OrgSession;
  otherEnterprise!: OrgSession;
  provider!: OrgSession;
  otherProvider!: OrgSession;
  facilityId!: string;
  voucher!: { id: string; verificationCode: string };
  applicationId!: string;
  heldId!: string;
  capturedId!: string;
  claimId!: string;
  sanctionId!: string;
  settlementId!: string;
  /** A TEM with a booking calendar open around the clock, no notice; a booking of it. */
  calendarFacilityId!: string;
  bookingId!: string;
  private slots = 0;

  private constructor(readonly t: TestApp) {}

  static async build(t: TestApp): Promise<World> {
    const w = new World(t);
    await openRegion(t, '340000', { budgetFen: 1_000_000_000 });
    [w.enterprise, w.otherEnterprise, w.provider, w.otherProvider] = await Promise.all([
      t.registerEnterprise('340100'),
      t.registerEnterprise('340100'),
      t.registerProvider('340100'),
      t.registerProvider('340100'),
    ]);
    w.facilityId = await w.facility();
    w.voucher = await issueVoucher(t, w.enterprise.token, 5_000_000);
    w.applicationId = (await t.http.get('/api/voucher-applications').set(auth(w.enterprise.token)).expect(200)).body.items[0].id;
    w.heldId = await w.hold();
    w.capturedId = await w.captured();
    w.claimId = await w.claim();
    w.sanctionId = await w.sanction();
    w.settlementId = await w.settlement();
    w.calendarFacilityId = await w.facility();
    await t.http.put(`/api/facilities/${w.calendarFacilityId}/calendar`).set(auth(w.provider.token)).send(World.calendar()).expect(200);
    w.bookingId = await w.booking();
    return w;
  }

  private bureau(): Promise<string> {
    return this.t.token('bureau-ah');
  }

  async facility(): Promise<string> {
    const body = { name: '透射电子显微镜 (TEM) 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 };
    return (await this.t.http.post('/api/facilities').set(auth(this.provider.token)).send(body).expect(201)).body.id;
  }

  /** Every day around the clock, no notice, a year ahead. */
  static calendar() {
    return {
      openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, from: '00:00', to: '24:00' })),
      minNoticeHours: 0,
      maxAdvanceDays: 366,
      freeCancellationHours: 24,
      lateCancellationFeeBp: 5000,
      requiresQualification: false,
    };
  }

  /** A booking request for the next hour nobody asked for yet (an hour later each call). */
  nextBooking() {
    const hour = 3_600_000;
    const start = (Math.floor(clock.now().getTime() / hour) + 2 + this.slots++) * hour;
    return {
      facilityId: this.calendarFacilityId,
      voucherId: this.voucher.id,
      start: new Date(start).toISOString(),
      end: new Date(start + hour).toISOString(),
    };
  }

  /** The secret file name of a new feed of the enterprise (replacing its last one). */
  async feedFile(): Promise<string> {
    const feed = await this.t.http.post('/api/calendar/feed').set(auth(this.enterprise.token)).send({}).expect(201);
    return new URL(feed.body.url).pathname.split('/').pop()!;
  }

  /** A fresh one-hour booking of the calendar TEM. */
  async booking(): Promise<string> {
    return (await this.t.http.post('/api/bookings').set(auth(this.enterprise.token)).send(this.nextBooking()).expect(201)).body.id;
  }

  /** A fresh booking whose hour has passed (usage is recorded once the hours have): business time moves past its end. */
  async pastBooking(): Promise<string> {
    const id = await this.booking();
    const { body } = await this.t.http.get(`/api/bookings/${id}`).set(auth(this.enterprise.token)).expect(200);
    clock.travel(Date.parse(body.end) - clock.now().getTime() + 60_000);
    return id;
  }

  /** A hold of one TEM hour: 40,000 fen of subsidy. */
  async hold(): Promise<string> {
    const body = { voucherId: this.voucher.id, facilityId: this.facilityId, quantity: 1 };
    return (await this.t.http.post('/api/redemptions').set(auth(this.enterprise.token)).send(body).expect(201)).body.id;
  }

  /** A captured hold whose usage the enterprise has not answered yet. */
  async capturedPending(): Promise<string> {
    const id = await this.hold();
    await this.t.http.post(`/api/redemptions/${id}/capture`).set(auth(this.provider.token)).send({ actualQuantity: 1 }).expect(200);
    return id;
  }

  /** A captured hold whose usage the enterprise confirmed: claimable. */
  async captured(): Promise<string> {
    const id = await this.hold();
    await captureConfirmed(this.t, this.provider.token, this.enterprise.token, id, 1);
    return id;
  }

  /** A captured hold whose usage the enterprise disputed. */
  async disputed(): Promise<string> {
    const id = await this.capturedPending();
    await this.t.http.post(`/api/redemptions/${id}/dispute`).set(auth(this.enterprise.token)).send({ reason: '只用了半小时' }).expect(200);
    return id;
  }

  /** A claim the provider submitted for a fresh captured redemption. */
  async claim(): Promise<string> {
    const body = { redemptionIds: [await this.captured()], evidence: freshEvidence() };
    return (await this.t.http.post('/api/claims').set(auth(this.provider.token)).send(body).expect(201)).body.id;
  }

  async approvedClaim(): Promise<string> {
    const id = await this.claim();
    await this.t.http
      .post(`/api/claims/${id}/approve`)
      .set(auth(await this.bureau()))
      .send({})
      .expect(200);
    return id;
  }

  /** An open settlement of Anhui holding a fresh approved claim, created by the second reviewer (so bureau-ah may pay it). */
  async settlement(): Promise<string> {
    await this.approvedClaim();
    return (
      await this.t.http
        .post('/api/settlements')
        .set(auth(await this.t.token('bureau-ah-2')))
        .send({ regionCode: '340000' })
        .expect(201)
    ).body.id;
  }

  /** An application above the auto-approval threshold, waiting for a reviewer. */
  async pendingApplication(): Promise<string> {
    const res = await this.t.http
      .post('/api/voucher-applications')
      .set(auth(this.enterprise.token))
      .send({ amountFen: 20_000_000, purpose: '扫描电镜表征' })
      .expect(201);
    if (res.body.status !== 'pending_review') throw new Error(`expected a pending application: ${JSON.stringify(res.body)}`);
    return res.body.id;
  }

  /** A small voucher of a fresh enterprise (the world's enterprise has used up its auto-approval for the year). */
  async smallVoucher(): Promise<string> {
    const e = await this.t.registerEnterprise('340100');
    return (await issueVoucher(this.t, e.token, 100_000)).id;
  }

  /** A sanction the Anhui bureau recorded against an unregistered organization. */
  async sanction(): Promise<string> {
    const body = { creditCode: creditCodeIn('340100'), reason: '伪造检测报告' };
    return (
      await this.t.http
        .post('/api/sanctions')
        .set(auth(await this.bureau()))
        .send(body)
        .expect(201)
    ).body.id;
  }

  /** A Hefei enterprise registered and not verified yet. */
  async pendingEnterprise(): Promise<string> {
    return (await this.t.registerEnterprise('340100', {}, false)).organizationId;
  }

  /** A Hefei enterprise whose admin asked to change its bank account: the change waits for its bureau. */
  async pendingBankChange(): Promise<string> {
    const e = await this.t.registerEnterprise('340100');
    await this.t.http
      .patch(`/api/organizations/${e.organizationId}`)
      .set(auth(e.token))
      .send({ bankName: '招商银行合肥分行', bankAccount: nextBankAccount() })
      .expect(200);
    return e.organizationId;
  }

  /** A version of Anhui's policy that takes effect in a year: it can still be withdrawn. */
  async futurePolicy(): Promise<string> {
    const body = policyBody('340000', { effectiveFrom: `${this.year + 1}-01-01` });
    return (
      await this.t.http
        .post('/api/policies')
        .set(auth(await this.bureau()))
        .send(body)
        .expect(201)
    ).body.id;
  }

  async appliedProvider(): Promise<string> {
    return (await this.t.registerProvider('340100', {}, false)).organizationId;
  }

  /** A non-admin bureau user of Anhui, created by its admin: it waits for a second person's activation. */
  async bureauUser(): Promise<string> {
    const body = { username: `ah-staff-${Math.random().toString(36).slice(2, 10)}`, password: 'Review-Anhui-2026' };
    return (
      await this.t.http
        .post('/api/users')
        .set(auth(await this.bureau()))
        .send(body)
        .expect(201)
    ).body.id;
  }

  /** A bureau user made by Anhui's admin and activated by the platform: `username|setupCode` for its holder. */
  async setupCode(): Promise<string> {
    const activated = await this.activated(await this.bureauUser());
    return `${activated.username}|${activated.setupCode}`;
  }

  /** A bureau user made by Anhui's admin and activated by the platform (its holder has a sign-in to reset). */
  async activatedBureauUser(): Promise<string> {
    return (await this.activated(await this.bureauUser())).id;
  }

  private async activated(id: string): Promise<{ id: string; username: string; setupCode: string }> {
    return (
      await this.t.http
        .post(`/api/users/${id}/activate`)
        .set(auth(await this.t.token('platform')))
        .expect(200)
    ).body;
  }

  async activeProvider(): Promise<string> {
    return (await this.t.registerProvider('340100')).organizationId;
  }
}
