import { entryHash } from '../../src/audit/audit-chain';
import { AuditCheckpoint, AuditEntry } from '../../src/audit/audit-entry.entity';
import { AuditSealer } from '../../src/audit/audit-sealer';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { TestApp } from '../support/test-app';

/**
 * An auditor's verification of a chain someone with database access tampered with, one way at a time: each is found,
 * and the reason, in Chinese for a Chinese reader, names where.
 */
describe('audit verification after tampering, as a Chinese-reading auditor sees it', () => {
  let t: TestApp;
  let keyId: string;

  beforeAll(async () => {
    // No seal on a timer after a commit: one racing a restore of the rows below would chain onto a half-restored table.
    // Every verification seals first anyway.
    t = await TestApp.start({ AUDIT_SEAL_DELAY_MS: '60000' });
    keyId = (await t.http.get('/api/audit/public-key').expect(200)).body.keyId;
    // 1,500 entries: a checkpoint at the first seal (300), one at the 1,000th since (1,300), and entries after it.
    const uow = t.get(UnitOfWork);
    for (let batch = 0; batch < 5; batch++) {
      await uow.run(async () => {
        for (let i = 0; i < 300; i++)
          uow.record({ action: 'test.step', entityType: 'test', entityId: `step-${batch}-${i}`, summary: { i } });
      });
      await t.get(AuditSealer).sealAll();
    }
    await t.as('platform'); // its login is an entry too: sealed by the first verification
    expect(await verify()).toEqual({ valid: true, entries: await headSeq() });
  });
  afterAll(() => t.close());

  const verify = async (from?: 'checkpoint', lang?: string) => {
    const req = t.http
      .get('/api/audit/verify')
      .query(from ? { from } : {})
      .set(await t.as('platform'));
    if (lang) req.set('Accept-Language', lang);
    const { fromCheckpoint: _, ...answer } = (await req.expect(200)).body;
    return answer;
  };
  const inChinese = (from?: 'checkpoint') => verify(from, 'zh-CN,zh;q=0.9,en;q=0.5');
  const headSeq = async () => Number((await t.dataSource.query('SELECT seq FROM audit_head WHERE id = 1'))[0].seq);
  const entries = () => t.dataSource.getRepository(AuditEntry);
  const checkpoints = () => t.dataSource.getRepository(AuditCheckpoint);
  /** Runs `tamper`, checks, and puts every row back as it was; the chain verifies again after. */
  const tampered = async (tamper: () => Promise<unknown>, check: () => Promise<void>) => {
    const [rows, cps, [head]] = await Promise.all([
      entries().find({ order: { seq: 'ASC' } }),
      checkpoints().find(),
      t.dataSource.query('SELECT seq, hash FROM audit_head WHERE id = 1'),
    ]);
    await tamper();
    try {
      await check();
    } finally {
      await t.dataSource.query('DELETE FROM audit_entry');
      await t.dataSource.query('DELETE FROM audit_checkpoint');
      for (let i = 0; i < rows.length; i += 200) await entries().insert(rows.slice(i, i + 200));
      await checkpoints().insert(cps);
      await t.dataSource.query('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [head.seq, head.hash]);
    }
    expect(await verify()).toEqual({ valid: true, entries: await headSeq() });
  };

  it('an entry edited: named by its seq', async () => {
    await tampered(
      () => t.dataSource.query('UPDATE audit_entry SET summary = ? WHERE seq = 500', ['{"i":"改过"}']),
      async () => {
        const zh = { valid: false, entries: 499, firstBrokenId: '500', reason: '第 500 条审计记录与其哈希不符：入链后被修改过' };
        expect(await inChinese()).toEqual(zh);
        expect(await verify()).toEqual({ ...zh, reason: 'entry 500 does not match its hash: it was changed after it was chained' });
      },
    );
  });

  it('an entry deleted: the missing seq named, and the two it leaves apart', async () => {
    await tampered(
      () => entries().delete({ seq: 600 }),
      async () =>
        expect(await inChinese()).toEqual({
          valid: false,
          entries: 599,
          firstBrokenId: '601',
          reason: '第 600 条审计记录缺失：链从第 599 条直接跳到第 601 条',
        }),
    );
  });

  it('two entries swapped in place, and one replaced by a forged entry with a correct hash: the first that does not link', async () => {
    await tampered(
      async () => {
        const [a, b] = await entries().find({ where: [{ seq: 700 }, { seq: 701 }], order: { seq: 'ASC' } });
        await entries().save({ ...b, seq: 700 });
        await entries().save({ ...a, seq: 701 });
      },
      async () =>
        expect(await inChinese()).toEqual({
          valid: false,
          entries: 699,
          firstBrokenId: '700',
          reason: '第 700 条审计记录未接在第 699 条之后：它记载的前一条哈希与该条不符（有记录被插入、替换或调换顺序）',
        }),
    );
    await tampered(
      async () => {
        const original = await entries().findOneByOrFail({ seq: 800 });
        const forged = { ...original, prevHash: '0'.repeat(64), summary: '{"i":"伪造"}' };
        await entries().save({ ...forged, hash: entryHash(forged) });
      },
      async () =>
        expect((await inChinese()).reason).toBe(
          '第 800 条审计记录未接在第 799 条之后：它记载的前一条哈希与该条不符（有记录被插入、替换或调换顺序）',
        ),
    );
  });

  it('an entry written past the head with a correct link, the head left alone: found by both verifications', async () => {
    await tampered(
      async () => {
        const head = await headSeq();
        const last = await entries().findOneByOrFail({ seq: head });
        const forged = { ...last, seq: head + 1, prevHash: last.hash, action: 'settlement.paid', summary: '{"amountFen":100000000}' };
        await entries().insert({ ...forged, hash: entryHash(forged) });
        return head;
      },
      async () => {
        const head = await headSeq();
        const zh = {
          valid: false,
          entries: head,
          firstBrokenId: String(head + 1),
          reason: `第 ${head + 1} 条至第 ${head + 1} 条审计记录位于链头（第 ${head} 条）之后：是绕过审计链直接写入数据表的，从未入链`,
        };
        expect(await inChinese()).toEqual(zh);
        expect(await inChinese('checkpoint')).toEqual(zh);
        // The entry the sealer would chain next collides with the forged one: verification still answers.
        await t.login('bureau-sh');
        expect((await inChinese()).reason).toBe(zh.reason);
      },
    );
  });

  it('a checkpoint’s signature altered, all checkpoints deleted, or the tail cut with the head moved back: each said in Chinese', async () => {
    const [first, second] = await checkpoints().find({ order: { seq: 'ASC' } });
    await tampered(
      () => t.dataSource.query('UPDATE audit_checkpoint SET signature = ? WHERE seq = ?', [first.signature, second.seq]),
      async () =>
        expect(await inChinese()).toEqual({
          valid: false,
          entries: first.seq,
          firstBrokenId: String(first.seq + 1),
          reason: `第 ${second.seq} 号检查点的签名无法用审计密钥 ${keyId} 验证`,
        }),
    );
    await tampered(
      () => t.dataSource.query('DELETE FROM audit_checkpoint'),
      async () =>
        expect(await inChinese()).toEqual({
          valid: false,
          entries: 0,
          firstBrokenId: '1',
          reason: '第 0 条之后的审计记录没有检查点签署，而检查点至少每 1000 条签署一次',
        }),
    );
    await tampered(
      async () => {
        const cut = second.seq - 1;
        await t.dataSource.query('DELETE FROM audit_entry WHERE seq > ?', [cut]);
        const last = await entries().findOneByOrFail({ seq: cut });
        await t.dataSource.query('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [cut, last.hash]);
      },
      async () => {
        const newest = (await checkpoints().find({ order: { seq: 'DESC' }, take: 1 }))[0];
        expect((await inChinese('checkpoint')).reason).toBe(
          `第 ${newest.seq} 号检查点签署的记录超出了链头（第 ${second.seq - 1} 条）：链尾的记录被删除`,
        );
        expect((await inChinese()).reason).toBe(
          `第 ${newest.seq} 号检查点签署的记录超出了链头（第 ${second.seq - 1} 条）：链尾的记录被删除`,
        );
      },
    );
  });
});
