import { clock } from '../../src/common/clock';
import { until } from '../support/service-process';
import { auth, OrgSession, TestApp } from '../support/test-app';

/** The business clock held at an instant: a relative travel drifts past 23:59:59.999 while a request runs. */
let held: jest.SpyInstance | undefined;
const at = (iso: string) => {
  held?.mockRestore();
  held = jest.spyOn(clock, 'now').mockImplementation(() => new Date(iso));
};
const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, '');

/**
 * A public notice (公示) is counted in Beijing days: the notices page names its last day, and the provider stays in
 * notice to the end of that day, so an objection made on it is in time.
 */
describe('public notice: the last day the page names is a day of notice', () => {
  let t: TestApp;
  let providerId: string;
  let lab: OrgSession;
  const status = async () =>
    (
      await t.http
        .get(`/api/organizations/${providerId}`)
        .set(await t.as('bureau-js'))
        .expect(200)
    ).body.status;
  const noticeLine = async () =>
    /苏州公示边界检测有限公司.*?公示期：(\d{4}年\d+月\d+日)至(\d{4}年\d+月\d+日)/
      .exec(text((await t.http.get('/notices').expect(200)).text))
      ?.slice(1);

  beforeAll(async () => {
    t = await TestApp.start();
    at('2027-01-05T16:00:00.000Z'); // 00:00 on 6 January in Beijing
    lab = await t.registerProvider('320500', { name: '苏州公示边界检测有限公司' }, false);
    providerId = lab.organizationId;
  });
  afterAll(async () => {
    held?.mockRestore();
    await t.close();
  });

  it('a 7-day notice begun at 00:00 on 6 January runs through 13 January, as the page says, and ends at midnight', async () => {
    const admitted = await t.http
      .post(`/api/providers/${providerId}/admit`)
      .set(await t.as('bureau-js'))
      .send({ noticeDays: 7 })
      .expect(200);
    expect(admitted.body).toMatchObject({ status: 'public_notice', noticeEndsAt: '2027-01-13T16:00:00.000Z' });
    expect(await noticeLine()).toEqual(['2027年1月6日', '2027年1月13日']);
    // The lab hears of its admission, and of the same last day of its notice.
    const admission = await until(
      'the admission told',
      async () => {
        const items = (await t.http.get('/api/notifications').set(auth(lab.token)).expect(200)).body.items as {
          kind: string;
          body: string;
        }[];
        return items.find((n) => n.kind === 'provider_admitted');
      },
      10_000,
    );
    expect(admission.body).toContain('江苏省科学技术厅已于 2027年1月6日 准予贵单位入库');
    expect(admission.body).toContain('现进入公示，公示期至 2027年1月13日（北京时间）');
    at('2027-01-13T15:59:59.999Z'); // 23:59:59.999 on the last day
    expect(await status()).toBe('public_notice');
    expect(await noticeLine()).toEqual(['2027年1月6日', '2027年1月13日']);
    at('2027-01-13T16:00:00.000Z'); // 00:00 on 14 January
    expect(await status()).toBe('active');
    // Listed by the status it is shown with, before the sweep rewrites its row: a bureau looking for active labs finds it.
    const listed = async (wanted: string) =>
      (
        await t.http
          .get(`/api/organizations?type=provider&status=${wanted}&limit=100`)
          .set(await t.as('bureau-js'))
          .expect(200)
      ).body.items.map((o: { id: string; status: string }) => [o.id, o.status]);
    expect(await listed('active')).toContainEqual([providerId, 'active']);
    expect((await listed('public_notice')).map(([id]: string[]) => id)).not.toContain(providerId);
    expect(text((await t.http.get('/notices').expect(200)).text)).toMatch(/苏州公示边界检测有限公司江苏省苏州市·入库日期：2027年1月14日/);
  });

  it('suspended after its notice ended but before the sweep came, the provider’s activation is in the audit log and the feed', async () => {
    await t.http
      .post(`/api/providers/${providerId}/suspend`)
      .set(await t.as('bureau-js'))
      .send({ reason: '公示期内收到异议，核查中' })
      .expect(200);
    const entries = (
      await t.http
        .get(`/api/audit?entityId=${providerId}`)
        .set(await t.as('platform'))
        .expect(200)
    ).body.items.map((e: { action: string; summary: Record<string, unknown> }) => [e.action, e.summary.noticeEndedAt ?? e.summary.from]);
    // newest first: active from the notice's end, then suspended from active
    expect(entries.slice(0, 3)).toEqual([
      ['provider.suspended', 'active'],
      ['provider.activated', '2027-01-13T16:00:00.000Z'],
      ['provider.admitted', 'applied'],
    ]);
    const events = (
      await t.http
        .get('/api/events?limit=100')
        .set(await t.as('bureau-sh'))
        .expect(200)
    ).body.items.map((e: { type: string }) => e.type);
    expect(events).toEqual(expect.arrayContaining(['provider.admitted', 'provider.activated', 'provider.suspended']));
  });
});
