import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beijingDate, clock } from '../../src/common/clock';
import { captureConfirmed, freshEvidence, issueVoucher, openRegion, paySettlement } from '../support/fixtures';
import { auth, TestApp } from '../support/test-app';

const HEFEI = '340100';
const SH = '310000';

/** What poppler's pdftotext reads from a PDF answer. */
function pdftotext(pdf: Buffer): string {
  const file = join(mkdtempSync(join(tmpdir(), 'statement-')), 'statement.pdf');
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
}

/**
 * 通用 (enterprise_reimbursed) end to end, as the enterprise lives it: it pays a Shanghai lab the full fee itself, claims
 * the subsidy from its own bureau (Hefei), is paid by Hefei's batch into its own account, and the figures agree to the fen
 * everywhere. Clearing settles what one province's treasury owes another for payees it paid on the other's behalf: Hefei
 * paid an Anhui enterprise, so the reimbursed subsidy crosses no border there, while the flow matrix (where vouchers are
 * spent) still counts it as Anhui → Shanghai.
 */
describe('an Hefei SME reimbursed for Shanghai TEM hours (通用)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await TestApp.start();
    await openRegion(t, HEFEI);
    await openRegion(t, SH);
  });
  afterAll(() => t.close());

  it('pays the subsidy, cut with a reason, to the enterprise; clearing moves nothing for it, the flow matrix counts it', async () => {
    const lab = await t.registerProvider(SH, { name: '上海微观表征公共服务平台' });
    const facilityId = (
      await t.http
        .post('/api/facilities')
        .set(auth(lab.token))
        .send({ name: '透射电子显微镜 (TEM) 机时', category: 'testing', unit: 'hour', unitPriceFen: 80_001 })
        .expect(201)
    ).body.id;
    const e = await t.registerEnterprise(HEFEI, { name: '合肥量子芯科技有限公司', bankAccount: null }); // its account filed below
    const voucherId = (await issueVoucher(t, e.token, 100_000)).id;
    const hold = (mode: string, quantity: number) =>
      t.http.post('/api/redemptions').set(auth(e.token)).send({ voucherId, facilityId, quantity, mode }).expect(201);

    // 3 hours held, 2 used: 160,002 fen paid to the lab by the enterprise, floor(50%) = 80,001 of it subsidised
    const reimbursed = (await hold('enterprise_reimbursed', 3)).body;
    expect(reimbursed).toMatchObject({ payeeId: e.organizationId, feeFen: 240_003, subsidyFen: 100_000, selfPayFen: 140_003 });
    await captureConfirmed(t, lab.token, e.token, reimbursed.id, 2);
    // and an hour in 通兑 on the same voucher, which the lab claims: 19,999 left on the voucher
    const redeemed = (await hold('provider_redeemed', 1)).body;
    await captureConfirmed(t, lab.token, e.token, redeemed.id, 1);

    const claim = (
      await t.http
        .post('/api/claims')
        .set(auth(e.token))
        .send({ redemptionIds: [reimbursed.id], evidence: { ...freshEvidence(), paymentProofRef: 'BANK-20261205-0001' } })
        .expect(201)
    ).body;
    expect(claim).toMatchObject({ claimantId: e.organizationId, issuingRegionCode: HEFEI, claimedFen: 80_001 });
    const labClaim = (
      await t.http
        .post('/api/claims')
        .set(auth(lab.token))
        .send({ redemptionIds: [redeemed.id], evidence: freshEvidence() })
        .expect(201)
    ).body;
    expect(labClaim.claimedFen).toBe(19_999);
    const approved = await t.http
      .post(`/api/claims/${claim.id}/approve`)
      .set(await t.as('bureau-ah'))
      .send({ approvedFen: 79_668, reason: '超出合同约定机时单价' })
      .expect(200);
    expect(approved.body).toMatchObject({ approvedFen: 79_668, reason: '超出合同约定机时单价' });
    await t.http
      .post(`/api/claims/${labClaim.id}/approve`)
      .set(await t.as('bureau-ah'))
      .send({})
      .expect(200);
    expect((await t.http.get(`/api/redemptions/${reimbursed.id}`).set(auth(e.token)).expect(200)).body).toMatchObject({
      capturedFeeFen: 160_002,
      capturedSubsidyFen: 80_001,
      approvedFen: 79_668,
      claimId: claim.id,
    });
    // the cut (333) went back to the budget: face = available + held + spent + released
    expect((await t.http.get(`/api/vouchers/${voucherId}`).set(auth(e.token)).expect(200)).body).toMatchObject({
      faceValueFen: 100_000,
      availableFen: 0,
      heldFen: 0,
      spentFen: 99_667,
      releasedFen: 333,
    });

    await t.http
      .patch(`/api/organizations/${e.organizationId}`)
      .set(auth(e.token))
      .send({ bankName: '中国工商银行合肥科技支行', bankAccount: '1302 0108 0920 0054 321' })
      .expect(200);
    const batch = (
      await t.http
        .post('/api/settlements')
        .set(await t.as('bureau-ah'))
        .send({ regionCode: HEFEI })
        .expect(201)
    ).body;
    expect(batch.totalFen).toBe(99_667);
    expect(batch.lines.find((l: { payeeId: string }) => l.payeeId === e.organizationId)).toMatchObject({
      payeeProvinceCode: '340000',
      issuingProvinceCode: '340000',
      amountFen: 79_668,
      claimIds: [claim.id],
      payeeBankAccount: '1302010809200054321',
    });
    const paidAt: string = (await paySettlement(t, HEFEI, batch.id)).body.paidAt;

    // the enterprise reads its own line only, its account masked, and its own statement
    const own = (await t.http.get(`/api/settlements/${batch.id}`).set(auth(e.token)).expect(200)).body;
    expect(own).toMatchObject({ status: 'paid', totalFen: 79_668 });
    expect(own.lines).toEqual([expect.objectContaining({ amountFen: 79_668, payeeBankAccount: '**** **** 4321' })]);
    await t.http.get(`/api/settlements/${batch.id}/statement?payeeId=${lab.organizationId}`).set(auth(e.token)).expect(404);
    const pdf = await t.http
      .get(`/api/settlements/${batch.id}/statement`)
      .set(auth(e.token))
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const text = pdftotext(pdf.body as Buffer);
    for (const shown of ['合肥量子芯科技有限公司', '796.68', '800.01', '柒佰玖拾陆元陆角捌分', '**** **** 4321'])
      expect(text).toContain(shown);
    expect(text).not.toContain('上海微观表征公共服务平台');

    // statistics: Hefei paid 99,667 and holds nothing; the flow matrix counts both services as spent at a Shanghai lab
    const year = clock.year();
    expect(
      (
        await t.http
          .get(`/api/stats/regions/${HEFEI}?year=${year}`)
          .set(await t.as('bureau-ah'))
          .expect(200)
      ).body,
    ).toMatchObject({
      committedFen: 100_000 - 333,
      voucherAvailableFen: 0,
      heldFen: 0,
      capturedFen: 0,
      paidFen: 99_667,
    });
    expect(
      (
        await t.http
          .get(`/api/stats/flows?year=${year}`)
          .set(await t.as('platform'))
          .expect(200)
      ).body.flows,
    ).toEqual([{ fromProvinceCode: '340000', toProvinceCode: '310000', count: 2, capturedFen: 99_667 }]);
    // clearing: Anhui owes Shanghai the lab's 19,999 only; the 79,668 Hefei paid its own enterprise crosses no border
    const day = beijingDate(paidAt);
    expect(
      (
        await t.http
          .get(`/api/clearing?from=${day}&to=${day}`)
          .set(await t.as('platform'))
          .expect(200)
      ).body,
    ).toEqual({
      from: day,
      to: day,
      gross: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 19_999 }],
      net: [
        { provinceCode: '310000', netFen: 19_999 },
        { provinceCode: '340000', netFen: -19_999 },
      ],
      transfers: [{ fromProvinceCode: '340000', toProvinceCode: '310000', amountFen: 19_999 }],
    });
    expect((await t.ledgerCheck()).violations).toEqual([]);
  });
});
