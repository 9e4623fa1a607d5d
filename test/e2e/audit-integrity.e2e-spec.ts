import { createHash, createPublicKey, generateKeyPairSync, KeyObject, sign, verify as verifySignature } from 'node:crypto';
import { entryHash, followChain, GENESIS_HASH } from '../../src/audit/audit-chain';
import { AuditCheckpoint, AuditEntry } from '../../src/audit/audit-entry.entity';
import { AuditSealer } from '../../src/audit/audit-sealer';
import { clock } from '../../src/common/clock';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { Sweeps } from '../../src/common/sweeps';
import { auth, TestApp } from '../support/test-app';

const MINUTE = 60_000;

interface CheckpointBody {
  seq: number;
  hash: string;
  hashAlg: string;
  signedAt: string;
  signature: string;
  keyId: string;
}

/** The contract's check of a checkpoint (API.md, "Audit integrity"), with node:crypto alone. */
const signatureHolds = (publicKey: KeyObject, cp: CheckpointBody) =>
  verifySignature(null, Buffer.from(`yrd-audit-checkpoint:${cp.seq}:${cp.hash}`, 'utf8'), publicKey, Buffer.from(cp.signature, 'base64'));

/** What the app under test signs and verifies with, and its chain, read as an outsider would. */
function auditOf(t: TestApp) {
  const a = {
    verify: async () =>
      (
        await t.http
          .get('/api/audit/verify')
          .set(await t.as('platform'))
          .expect(200)
      ).body,
    verifyFromCheckpoint: async () =>
      (
        await t.http
          .get('/api/audit/verify?from=checkpoint')
          .set(await t.as('platform'))
          .expect(200)
      ).body,
    /** Every checkpoint, oldest first. */
    checkpoints: async (): Promise<CheckpointBody[]> =>
      (
        await t.http
          .get('/api/audit/checkpoints?limit=500')
          .set(await t.as('bureau-sh'))
          .expect(200)
      ).body.items.reverse(),
    newestCheckpoint: async () => (await a.checkpoints()).at(-1)!,
    publicKey: async () => {
      const { keyId, publicKeyPem } = (await t.http.get('/api/audit/public-key').expect(200)).body;
      return { keyId: keyId as string, key: createPublicKey(publicKeyPem) };
    },
    entries: () => t.dataSource.getRepository(AuditEntry).find({ order: { seq: 'ASC' } }),
    head: async () => {
      const [row] = await t.dataSource.query('SELECT seq, hash FROM audit_head WHERE id = 1');
      return { seq: Number(row.seq), hash: row.hash as string };
    },
    /** `n` entries written by one unit of work, then sealed. */
    write: async (n: number) => {
      const uow = t.get(UnitOfWork);
      await uow.run(async () => {
        for (let i = 0; i < n; i++) uow.record({ action: 'test.step', entityType: 'test', entityId: `step-${i}`, summary: { i } });
      });
      await t.get(AuditSealer).sealAll();
    },
    sweep: async () => (await t.get(Sweeps).runAll())['audit-checkpoint'],
    /** Verification holds over the whole chain (the head read after it: verifying seals the caller's own login first). */
    expectValid: async () => expect(await a.verify()).toEqual({ valid: true, entries: (await a.head()).seq }),
  };
  return a;
}

describe('audit checkpoints', () => {
  let t: TestApp;
  let audit: ReturnType<typeof auditOf>;
  beforeAll(async () => {
    t = await TestApp.start();
    audit = auditOf(t);
  });
  afterAll(() => t.close());

  const setSignature = (seq: number, signature: string, keyId: string) =>
    t.dataSource.query('UPDATE audit_checkpoint SET signature = ?, key_id = ? WHERE seq = ?', [signature, keyId, seq]);

  it('publishes, to anyone, the Ed25519 key that verifies the checkpoints, with its id', async () => {
    const res = await t.http.get('/api/audit/public-key').expect(200);
    expect(res.body).toEqual({
      keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
      publicKeyPem: expect.stringContaining('-----BEGIN PUBLIC KEY-----'),
    });
    const key = createPublicKey(res.body.publicKeyPem);
    expect(key.asymmetricKeyType).toBe('ed25519');
    const spkiSha256 = createHash('sha256')
      .update(key.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    expect(res.body.keyId).toBe(spkiSha256.slice(0, 16));
  });

  it('lets the platform and bureaus read the checkpoints, nobody else', async () => {
    const enterprise = await t.registerEnterprise('340100');
    await t.http.get('/api/audit/checkpoints').set(auth(enterprise.token)).expect(403);
    await t.http.get('/api/audit/checkpoints').expect(401);
    for (const reader of ['platform', 'bureau-ah']) {
      await t.http
        .get('/api/audit/checkpoints')
        .set(await t.as(reader))
        .expect(200);
    }
    const res = await t.http
      .get('/api/audit/checkpoints?limit=0')
      .set(await t.as('platform'))
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
  });

  it('signs the head at the first seal; each signature verifies with node:crypto over the contract’s message', async () => {
    await audit.write(3);
    const { keyId, key } = await audit.publicKey();
    const checkpoints = await audit.checkpoints();
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const entries = await audit.entries();
    for (const cp of checkpoints) {
      expect(cp).toEqual({
        seq: expect.any(Number),
        hash: entries[cp.seq - 1].hash,
        hashAlg: 'sha256',
        signedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        signature: expect.any(String),
        keyId,
      });
      expect(signatureHolds(key, cp)).toBe(true);
      expect(signatureHolds(key, { ...cp, seq: cp.seq + 1 })).toBe(false);
    }
    await audit.expectValid();
  });

  it('signs a checkpoint every 1,000 entries', async () => {
    const before = await audit.newestCheckpoint();
    await audit.write(2_100);
    const after = (await audit.checkpoints()).filter((cp) => cp.seq > before.seq);
    expect(after.map((cp) => cp.seq)).toEqual([before.seq + 1_000, before.seq + 2_000]);
    const { key } = await audit.publicKey();
    expect(after.every((cp) => signatureHolds(key, cp))).toBe(true);
    await audit.expectValid();
  });

  it('signs the moved head once the last checkpoint is 10 minutes old: in the sweep, or in the seal that moves it', async () => {
    await audit.write(1);
    expect(await audit.sweep()).toBe(0); // the last checkpoint is recent

    clock.travel(10 * MINUTE);
    expect(await audit.sweep()).toBe(1);
    const byTime = await audit.newestCheckpoint();
    expect(byTime.seq).toBe((await audit.head()).seq);
    expect(Date.parse(byTime.signedAt)).toBeGreaterThanOrEqual(clock.now().getTime() - MINUTE);
    expect(await audit.sweep()).toBe(0); // signed already

    clock.travel(10 * MINUTE);
    expect(await audit.sweep()).toBe(0); // the head has not moved
    await audit.write(2);
    expect((await audit.newestCheckpoint()).seq).toBe((await audit.head()).seq);
    await audit.expectValid();
  });

  it('signs each head once, however many sealers and sweeps race (as on several API nodes)', async () => {
    await audit.write(1);
    const before = await audit.newestCheckpoint();
    const uow = t.get(UnitOfWork);
    await uow.run(async () => {
      for (let i = 0; i < 1_500; i++) uow.record({ action: 'test.race', entityType: 'test', entityId: `race-${i}`, summary: { i } });
    });
    clock.travel(10 * MINUTE);
    const sealer = t.get(AuditSealer);
    const byTime = await Promise.all([
      ...Array.from({ length: 10 }, () => sealer.checkpointIfDue()),
      ...Array.from({ length: 10 }, async () => (await sealer.sealAll(), 0)),
    ]);
    expect(byTime.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1);
    const signed = (await audit.checkpoints()).filter((cp) => cp.seq > before.seq);
    const seqs = signed.map((cp) => cp.seq);
    // One by time (in a sweep or a seal, whichever came first) and those by count: in order, never 1,000 apart.
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(seqs.length).toBeLessThanOrEqual(3);
    const points = [before.seq, ...seqs, (await audit.head()).seq];
    const gaps = points.slice(1).map((seq, i) => seq - points[i]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_000);
    const { key } = await audit.publicKey();
    expect(signed.every((cp) => signatureHolds(key, cp))).toBe(true);
    await audit.expectValid();
  });

  it('reports a chain rewritten with correct SHA-256 links by someone who can write to the database but lacks the key', async () => {
    const checkpoints = await audit.checkpoints();
    const [trusted, broken] = checkpoints;
    const edited = broken.seq - 10;
    expect(edited).toBeGreaterThan(trusted.seq);
    const originals = (await audit.entries()).filter((e) => e.seq >= edited);
    const originalHead = await audit.head();

    // The insider edits one summary, then recomputes every later link and the head, as the verifier computes them.
    let prevHash = (await audit.entries()).find((e) => e.seq === edited - 1)!.hash;
    const rewritten = originals.map((e) => {
      const entry = { ...e, prevHash, summary: e.seq === edited ? JSON.stringify({ rewritten: true }) : e.summary };
      entry.hash = prevHash = entryHash(entry);
      return entry;
    });
    const write = (rows: AuditEntry[], head: { hash: string }) =>
      t.dataSource.transaction(async (em) => {
        for (const e of rows) {
          await em.query('UPDATE audit_entry SET summary = ?, prev_hash = ?, hash = ? WHERE seq = ?', [
            e.summary,
            e.prevHash,
            e.hash,
            e.seq,
          ]);
        }
        await em.query('UPDATE audit_head SET hash = ? WHERE id = 1', [head.hash]);
      });
    await write(rewritten, rewritten.at(-1)!);
    try {
      // Recomputing the links alone, as verification did before checkpoints, finds nothing wrong.
      const chain = followChain({ seq: 0, hash: GENESIS_HASH }, await audit.entries());
      expect(chain).toEqual({ reached: { seq: originalHead.seq, hash: rewritten.at(-1)!.hash } });

      expect(await audit.verify()).toEqual({
        valid: false,
        entries: trusted.seq,
        firstBrokenId: String(trusted.seq + 1),
        reason: `checkpoint ${broken.seq} signed the sha256 hash ${broken.hash}, but entry ${broken.seq} has the sha256 hash ${rewritten.find((e) => e.seq === broken.seq)!.hash}`,
      });

      // Deleting the checkpoints that give it away leaves the head more than 1,000 entries past the last one.
      const removed = (await t.dataSource.getRepository(AuditCheckpoint).find()).filter((cp) => cp.seq >= edited);
      await t.dataSource.query('DELETE FROM audit_checkpoint WHERE seq >= ?', [edited]);
      try {
        expect(await audit.verify()).toEqual({
          valid: false,
          entries: trusted.seq,
          firstBrokenId: String(trusted.seq + 1),
          reason: `no checkpoint signs the chain after entry ${trusted.seq}, though one is signed at least every 1000 entries`,
        });
      } finally {
        await t.dataSource.getRepository(AuditCheckpoint).insert(removed);
      }
    } finally {
      await write(originals, originalHead);
    }
    await audit.expectValid();
  });

  it('catches a forged signature, and a checkpoint signed by a key other than the audit key', async () => {
    const [, previous, cp] = (await audit.checkpoints()).slice(-3);
    const { keyId } = await audit.publicKey();
    const forger = generateKeyPairSync('ed25519');
    const forged = sign(null, Buffer.from(`yrd-audit-checkpoint:${cp.seq}:${cp.hash}`, 'utf8'), forger.privateKey).toString('base64');
    const forgerKeyId = createHash('sha256')
      .update(forger.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex')
      .slice(0, 16);
    const invalid = (reason: string) => ({ valid: false, entries: previous.seq, firstBrokenId: String(previous.seq + 1), reason });
    try {
      await setSignature(cp.seq, forged, keyId);
      expect(await audit.verify()).toEqual(invalid(`the signature of checkpoint ${cp.seq} does not verify under the audit key ${keyId}`));
      await setSignature(cp.seq, forged, forgerKeyId);
      expect(await audit.verify()).toEqual(
        invalid(`checkpoint ${cp.seq} is signed by an unknown key ${forgerKeyId} (the audit key is ${keyId})`),
      );
      await setSignature(cp.seq, 'not base64 at all', keyId);
      expect((await audit.verify()).valid).toBe(false);
    } finally {
      await setSignature(cp.seq, cp.signature, cp.keyId);
    }
    await audit.expectValid();
  });

  it('reports an entry deleted from the middle of the chain at its seq, whichever page it falls in', async () => {
    const head = await audit.head();
    const entries = t.dataSource.getRepository(AuditEntry);
    for (const seq of [1_000, 1_001, head.seq - 3]) {
      const removed = await entries.findOneByOrFail({ seq });
      await entries.delete({ seq });
      try {
        expect(await audit.verify()).toMatchObject({ valid: false, entries: seq - 1, firstBrokenId: String(seq + 1) });
      } finally {
        await entries.insert(removed);
      }
    }
    await audit.expectValid();
  });

  it('verifies from the newest checkpoint: its signature, then the entries after it; a rewritten entry or a bad signature is reported', async () => {
    await audit.write(5); // within 10 minutes of the last checkpoint and fewer than 1,000: not signed yet
    const cp = await audit.newestCheckpoint();
    const head = await audit.head();
    expect(head.seq).toBeGreaterThan(cp.seq);
    const fromCheckpoint = { seq: cp.seq, hash: cp.hash, signedAt: cp.signedAt, keyId: cp.keyId };
    // Verifying seals the caller's own login first, so the head is read again after.
    const valid = await audit.verifyFromCheckpoint();
    expect(valid).toEqual({ valid: true, entries: (await audit.head()).seq, fromCheckpoint });

    const edited = cp.seq + 2;
    const [original] = await t.dataSource.query('SELECT summary FROM audit_entry WHERE seq = ?', [edited]);
    await t.dataSource.query('UPDATE audit_entry SET summary = ? WHERE seq = ?', [JSON.stringify({ rewritten: true }), edited]);
    try {
      expect(await audit.verifyFromCheckpoint()).toEqual({
        valid: false,
        entries: edited - 1,
        firstBrokenId: String(edited),
        reason: `entry ${edited} does not match its hash: it was changed after it was chained`,
        fromCheckpoint,
      });
    } finally {
      await t.dataSource.query('UPDATE audit_entry SET summary = ? WHERE seq = ?', [original.summary, edited]);
    }

    const { keyId } = await audit.publicKey();
    const forged = sign(null, Buffer.from(`yrd-audit-checkpoint:${cp.seq}:${cp.hash}`, 'utf8'), generateKeyPairSync('ed25519').privateKey);
    await setSignature(cp.seq, forged.toString('base64'), keyId);
    try {
      expect(await audit.verifyFromCheckpoint()).toEqual({
        valid: false,
        entries: 0,
        firstBrokenId: '1',
        reason: `the signature of checkpoint ${cp.seq} does not verify under the audit key ${keyId}`,
        fromCheckpoint,
      });
    } finally {
      await setSignature(cp.seq, cp.signature, cp.keyId);
    }
    expect((await audit.verifyFromCheckpoint()).valid).toBe(true);
    await audit.expectValid();
  });

  it('recomputes the checkpoint’s own entry when verifying from it: an edit that keeps the signed hash is caught', async () => {
    const cp = await audit.newestCheckpoint();
    const [original] = await t.dataSource.query('SELECT action FROM audit_entry WHERE seq = ?', [cp.seq]);
    await t.dataSource.query('UPDATE audit_entry SET action = ? WHERE seq = ?', ['test.rewritten', cp.seq]);
    try {
      expect(await audit.verifyFromCheckpoint()).toMatchObject({
        valid: false,
        entries: cp.seq - 1,
        firstBrokenId: String(cp.seq),
        fromCheckpoint: { seq: cp.seq },
      });
    } finally {
      await t.dataSource.query('UPDATE audit_entry SET action = ? WHERE seq = ?', [original.action, cp.seq]);
    }
    await t.http
      .get('/api/audit/verify?from=yesterday')
      .set(await t.as('platform'))
      .expect(400);
    const enterprise = await t.registerEnterprise('310000');
    await t.http.get('/api/audit/verify?from=checkpoint').set(auth(enterprise.token)).expect(403);
  });

  it('catches entries cut from the end together with the head, by the checkpoint past the new head', async () => {
    // The earlier tests' entries sealed first: otherwise the seal their commits scheduled can chain them after the
    // clock moves, sign them by time, and leave this test's entry past that checkpoint.
    await t.get(AuditSealer).sealAll();
    clock.travel(10 * MINUTE);
    await audit.write(1); // signed: its checkpoint is the newest
    const head = await audit.head();
    expect((await audit.newestCheckpoint()).seq).toBe(head.seq);
    const [previousCheckpoint] = (await audit.checkpoints()).slice(-2);
    const entries = t.dataSource.getRepository(AuditEntry);
    const last = await entries.findOneByOrFail({ seq: head.seq });
    const before = await entries.findOneByOrFail({ seq: head.seq - 1 });
    await entries.delete({ seq: head.seq });
    await t.dataSource.query('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [before.seq, before.hash]);
    try {
      expect(await audit.verify()).toEqual({
        valid: false,
        entries: previousCheckpoint.seq,
        firstBrokenId: String(previousCheckpoint.seq + 1),
        reason: `checkpoint ${head.seq} signed entries past the head (${head.seq - 1}): entries were removed from the end`,
      });
    } finally {
      await entries.insert(last);
      await t.dataSource.query('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [head.seq, head.hash]);
    }
    await audit.expectValid();
  });
});

describe('audit hash algorithms', () => {
  /** The entry's fields as the chain hashes them, with SM3 computed here rather than by the service. */
  const sm3Of = (e: AuditEntry) =>
    createHash('sm3')
      .update(
        JSON.stringify([
          e.seq,
          e.prevHash,
          e.at,
          e.actorId,
          e.actorRole,
          e.action,
          e.entityType,
          e.entityId,
          e.regionCode,
          e.organizationId,
          e.summary,
        ]),
      )
      .digest('hex');

  it('chains with SM3 when started with AUDIT_HASH=sm3, signs and verifies', async () => {
    const t = await TestApp.start({ AUDIT_HASH: 'sm3' });
    try {
      const audit = auditOf(t);
      const enterprise = await t.registerEnterprise('320500');
      await audit.write(5);
      const entries = await audit.entries();
      expect(entries.length).toBeGreaterThan(5);
      for (const e of entries) {
        expect(e.hashAlg).toBe('sm3');
        expect(e.hash).toBe(sm3Of(e));
      }
      const shown = await t.http.get('/api/audit?limit=1').set(auth(enterprise.token)).expect(200);
      expect(shown.body.items[0]).toMatchObject({ hashAlg: 'sm3' });

      const { key } = await audit.publicKey();
      const checkpoints = await audit.checkpoints();
      expect(checkpoints.length).toBeGreaterThan(0);
      expect(checkpoints.every((cp) => cp.hashAlg === 'sm3' && signatureHolds(key, cp))).toBe(true);
      await audit.expectValid();
    } finally {
      await t.close();
    }
  });

  it('keeps verifying a chain of sha256 entries continued with sm3 after a restart with AUDIT_HASH=sm3', async () => {
    // The same key across the restart, as in production; a key generated at each start would not verify the old checkpoints.
    const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const t = await TestApp.start({ AUDIT_SIGNING_KEY: key });
    try {
      const audit = auditOf(t);
      await audit.write(3);
      const sha256Count = (await audit.head()).seq;
      // As right after the upgrade's migration: a chain and no checkpoint. The start signs the chain as it stands.
      await t.dataSource.query('DELETE FROM audit_checkpoint');
      await t.restart({ AUDIT_HASH: 'sm3' });
      expect((await audit.checkpoints()).map((cp) => [cp.seq, cp.hashAlg])).toEqual([[sha256Count, 'sha256']]);

      await audit.write(3);
      clock.travel(10 * MINUTE);
      expect(await audit.sweep()).toBe(1);
      const entries = await audit.entries();
      expect(entries.map((e) => e.hashAlg)).toEqual([
        ...Array(sha256Count).fill('sha256'),
        ...Array(entries.length - sha256Count).fill('sm3'),
      ]);
      expect(entries.slice(sha256Count).every((e) => e.hash === sm3Of(e))).toBe(true);
      const checkpoints = await audit.checkpoints();
      expect(checkpoints.at(-1)).toMatchObject({ seq: entries.length, hashAlg: 'sm3' });
      await audit.expectValid();
    } finally {
      await t.close();
    }
  });
});
