import { Logger } from '@nestjs/common';
import { createPublicKey, generateKeyPairSync, KeyObject, sign, verify as verifySignature } from 'node:crypto';
import { AuditSealer } from '../../src/audit/audit-sealer';
import { clock } from '../../src/common/clock';
import { UnitOfWork } from '../../src/common/persistence/unit-of-work';
import { TestApp } from '../support/test-app';

const MINUTE = 60_000;

const newKey = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey,
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
};

interface CheckpointBody {
  seq: number;
  hash: string;
  signature: string;
  keyId: string;
}

/** An operator replaces AUDIT_SIGNING_KEY; an auditor keeps verifying the checkpoints signed before and after. */
describe('rotating the audit signing key', () => {
  let t: TestApp;
  const first = newKey();
  const second = newKey();

  beforeAll(async () => {
    t = await TestApp.start({ AUDIT_SIGNING_KEY: first.pem });
  });
  afterAll(async () => {
    clock.reset();
    await t.close();
  });

  const write = async (n: number) => {
    const uow = t.get(UnitOfWork);
    await uow.run(async () => {
      for (let i = 0; i < n; i++) uow.record({ action: 'test.step', entityType: 'test', entityId: `step-${i}`, summary: { i } });
    });
    await t.get(AuditSealer).sealAll();
  };
  const verify = async (query: Record<string, string> = {}) =>
    (
      await t.http
        .get('/api/audit/verify')
        .query(query)
        .set(await t.as('platform'))
        .expect(200)
    ).body;
  const checkpoints = async (): Promise<CheckpointBody[]> =>
    (
      await t.http
        .get('/api/audit/checkpoints?limit=500')
        .set(await t.as('platform'))
        .expect(200)
    ).body.items.reverse();

  it('keeps the checkpoints of the replaced key verifying when its public key is named, says which key signed which, and publishes both', async () => {
    await write(1_200); // checkpoints at the first seal and 1,000 entries later, signed by the first key
    const before = await checkpoints();
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect((await verify()).valid).toBe(true);

    // The new key alone: the earlier checkpoints are by a key the service does not know, and it says so.
    await t.restart({ AUDIT_SIGNING_KEY: second.pem });
    const unknown = await verify();
    expect(unknown).toMatchObject({ valid: false, entries: 0, firstBrokenId: '1' });
    expect(unknown.reason).toMatch(new RegExp(`^checkpoint ${before[0].seq} is signed by an unknown key ${before[0].keyId}`));

    // With the replaced key's public half, both verifications hold, before and after the new key signs.
    await t.restart({ AUDIT_SIGNING_KEY: second.pem, AUDIT_PREVIOUS_PUBLIC_KEYS: first.publicPem.replace(/\n/g, '\\n') });
    expect((await verify()).valid).toBe(true);
    expect((await verify({ from: 'checkpoint' })).valid).toBe(true);
    clock.travel(10 * MINUTE);
    await write(3);
    const after = await checkpoints();
    expect(after.length).toBe(before.length + 1);
    expect((await verify()).valid).toBe(true);
    expect((await verify({ from: 'checkpoint' })).valid).toBe(true);

    // What an auditor verifies offline: each checkpoint under the published key its keyId names.
    const published = (await t.http.get('/api/audit/public-key').expect(200)).body;
    expect(published.previousKeys).toEqual([{ keyId: before[0].keyId, publicKeyPem: first.publicPem }]);
    expect(published.publicKeyPem).toBe(second.publicPem);
    const keys = new Map<string, KeyObject>(
      [published, ...published.previousKeys].map((k: { keyId: string; publicKeyPem: string }) => [
        k.keyId,
        createPublicKey(k.publicKeyPem),
      ]),
    );
    expect(after.map((cp) => cp.keyId)).toEqual([...before.map(() => before[0].keyId), published.keyId]);
    for (const cp of after) {
      const message = Buffer.from(`yrd-audit-checkpoint:${cp.seq}:${cp.hash}`, 'utf8');
      expect(verifySignature(null, message, keys.get(cp.keyId)!, Buffer.from(cp.signature, 'base64'))).toBe(true);
    }
  });

  it('refuses a checkpoint signed by the replaced key after one signed by the new key: whoever kept the old key signs nothing new', async () => {
    clock.travel(10 * MINUTE);
    await write(3);
    const newest = (await checkpoints()).at(-1)!;
    const byNewKey = (await checkpoints()).at(-2)!;
    const oldKeyId = (await checkpoints())[0].keyId;
    expect(newest.keyId).toBe(byNewKey.keyId);
    // The newest checkpoint signed again with the replaced key, correctly, as someone who kept it could.
    const forged = sign(null, Buffer.from(`yrd-audit-checkpoint:${newest.seq}:${newest.hash}`, 'utf8'), first.privateKey).toString(
      'base64',
    );
    await t.dataSource.query('UPDATE audit_checkpoint SET signature = ?, key_id = ? WHERE seq = ?', [forged, oldKeyId, newest.seq]);
    try {
      const reason = `checkpoint ${newest.seq} is signed by the key ${oldKeyId}, which was replaced before the key ${byNewKey.keyId} that signed the earlier checkpoint ${byNewKey.seq}`;
      expect(await verify()).toMatchObject({ valid: false, entries: byNewKey.seq, reason });
      expect(await verify({ from: 'checkpoint' })).toMatchObject({ valid: false, reason });
    } finally {
      await t.dataSource.query('UPDATE audit_checkpoint SET signature = ?, key_id = ? WHERE seq = ?', [
        newest.signature,
        newest.keyId,
        newest.seq,
      ]);
    }
    expect((await verify()).valid).toBe(true);
  });

  it('refuses at start-up public keys that are not Ed25519 SPKI PEM, naming the setting and never the key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    await expect(t.restart({ AUDIT_PREVIOUS_PUBLIC_KEYS: 'not a key' })).rejects.toThrow(
      /AUDIT_PREVIOUS_PUBLIC_KEYS must hold Ed25519 public keys/,
    );
    await expect(t.restart({ AUDIT_PREVIOUS_PUBLIC_KEYS: rsa })).rejects.toThrow(
      /public key 1 of AUDIT_PREVIOUS_PUBLIC_KEYS is an rsa key/,
    );
    await t.restart({ AUDIT_SIGNING_KEY: second.pem, AUDIT_PREVIOUS_PUBLIC_KEYS: first.publicPem });
    expect((await verify()).valid).toBe(true);
  });

  it('says at start-up when the newest checkpoint is signed by a key the node does not know (nodes with different keys)', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const newestKeyId = (await checkpoints()).at(-1)!.keyId;
      await t.restart({ AUDIT_SIGNING_KEY: newKey().pem, AUDIT_PREVIOUS_PUBLIC_KEYS: '' });
      expect(errors.mock.calls.map(([message]) => String(message))).toContainEqual(
        expect.stringMatching(
          new RegExp(`^the newest audit checkpoint \\(\\d+\\) is signed by the key ${newestKeyId}, which this node does not know`),
        ),
      );
      errors.mockClear();
      await t.restart({ AUDIT_SIGNING_KEY: second.pem, AUDIT_PREVIOUS_PUBLIC_KEYS: first.publicPem });
      expect(errors).not.toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
    expect((await verify()).valid).toBe(true);
  });
});
