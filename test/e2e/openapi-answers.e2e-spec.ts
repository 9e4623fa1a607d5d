import { EVENT_TYPES } from '../../src/events/event-types';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, paySettlement } from '../support/fixtures';
import { answerSchema, departures, OpenApiDoc, resolve, Schema } from '../support/openapi';
import { auth, OrgSession, TestApp } from '../support/test-app';

/**
 * Real answers read against the OpenAPI document the service serves, as an integrator's JSON Schema validator reads
 * them (OpenAPI 3.0 semantics): a provincial platform that validates what it receives must not refuse
 * what the service answers, and must find every field it is given described.
 */
describe('answers conform to the served OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDoc;
  let lab: OrgSession;
  let enterprise: OrgSession;

  const conforms = async (token: string | undefined, method: 'get' | 'post', url: string, path: string, status: number, body?: object) => {
    const req = method === 'get' ? t.http.get(url) : t.http.post(url).send(body ?? {});
    const res = await (token ? req.set(auth(token)) : req);
    expect(res.status).toBe(status);
    const schema = answerSchema(doc, method, path, status);
    expect(schema).toBeDefined();
    expect(departures(doc, schema!, res.body)).toEqual([]);
    return res.body;
  };

  beforeAll(async () => {
    t = await TestApp.start();
    doc = (await t.http.get('/docs-json').expect(200)).body;
    await openRegion(t, '340100');
    lab = await t.registerProvider('310000');
    enterprise = await t.registerEnterprise('340100');
  });
  afterAll(() => t?.close());

  it('a provider, whose kind is null, reads as its OrganizationView (a nullable enum lists null)', async () => {
    const provider = await conforms(lab.token, 'get', `/api/organizations/${lab.organizationId}`, '/api/organizations/{id}', 200);
    expect(provider.kind).toBeNull();
    const me = await conforms(lab.token, 'get', '/api/auth/me', '/api/auth/me', 200);
    expect(me.organization.kind).toBeNull();
  });

  it('a payee’s settlement list, whose items carry its own line, is described with those lines', async () => {
    const facilityId = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '检测机时', category: 'testing', unit: 'hour', unitPriceFen: 80_000 })
        .expect(201)
    ).body.id;
    const voucher = await issueVoucher(t, enterprise.token, 1_000_000);
    const hold = await t.http
      .post('/api/redemptions')
      .set(auth(enterprise.token))
      .send({ voucherId: voucher.id, facilityId, quantity: 1 })
      .expect(201);
    await captureConfirmed(t, lab.token, enterprise.token, hold.body.id, 1);
    const claim = await t.http
      .post('/api/claims')
      .set(auth(lab.token))
      .send({ redemptionIds: [hold.body.id], evidence: freshEvidence() })
      .expect(201);
    await t.http
      .post(`/api/claims/${claim.body.id}/approve`)
      .set(await t.as('bureau-ah'))
      .send({})
      .expect(200);
    const batch = await t.http
      .post('/api/settlements')
      .set(await t.as('bureau-ah'))
      .send({ regionCode: '340100' })
      .expect(201);
    await paySettlement(t, '340100', batch.body.id);

    const payees = await conforms(lab.token, 'get', '/api/settlements', '/api/settlements', 200);
    expect(payees.items[0].lines).toEqual([expect.objectContaining({ payeeId: lab.organizationId, amountFen: 40_000 })]);
    const bureaus = await conforms(await t.token('bureau-ah'), 'get', '/api/settlements', '/api/settlements', 200);
    expect(bureaus.items[0].lines).toBeUndefined();
    const events = await conforms(lab.token, 'get', '/api/events?limit=500', '/api/events', 200);
    expect(events.items.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['redemption.usage_confirmed', 'settlement.paid']),
    );
  });

  it('a comparison of policies, null where a region has none in force, reads as documented', async () => {
    const compared = await conforms(
      await t.token('bureau-ah'),
      'get',
      '/api/policies/compare?regionCodes=340100,340200',
      '/api/policies/compare',
      200,
    );
    expect(compared.policies['340200']).toBeNull();
    expect(compared.policies['340100']).toMatchObject({ regionCode: '340100' });
  });

  it('names every event type a subscription may take, and types money and ratios as integers', () => {
    const eventType = resolve(doc, doc.components.schemas.EventView).properties!.type;
    expect(eventType.enum).toEqual([...EVENT_TYPES]);
    const subscribed = resolve(doc, doc.components.schemas.CreateWebhookInput).properties!.events.items!;
    expect(subscribed.enum).toEqual(['*', ...EVENT_TYPES]);

    const notIntegers: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (!node || typeof node !== 'object') return;
      const properties = (node as Schema).properties ?? {};
      for (const [name, property] of Object.entries(properties)) {
        if (/(Fen|Bp)$/.test(name) && property.type && property.type !== 'integer') notIntegers.push(`${at}.${name}`);
      }
      for (const [key, child] of Object.entries(node)) visit(child, `${at}/${key}`);
    };
    visit(doc.components.schemas, '#');
    expect(notIntegers).toEqual([]);
  });
});
