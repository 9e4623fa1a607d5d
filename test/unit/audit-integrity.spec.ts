import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { chainEntries, entryHash, followChain, GENESIS_HASH } from '../../src/audit/audit-chain';
import type { HashAlg } from '../../src/audit/audit-entry.entity';
import { auditReason, AuditProblem } from '../../src/audit/audit-problems';
import { checkpointMessage, checkpointProblem, dueByTime, keyIdOf, seqsToSign, signCheckpoint } from '../../src/audit/audit-checkpoint';
import type { AuditCheckpoint, AuditPending } from '../../src/audit/audit-entry.entity';

const entry = (hashAlg: HashAlg) => ({
  seq: 1,
  prevHash: GENESIS_HASH,
  hashAlg,
  at: '2026-01-01T00:00:00.000Z',
  actorId: null,
  actorRole: null,
  action: 'organization.registered',
  entityType: 'organization',
  entityId: 'org-1',
  regionCode: '340100',
  organizationId: 'org-1',
  summary: '{"name":"合肥微纳"}',
});

const pending = (n: number): AuditPending[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    at: '2026-01-01T00:00:00.000Z',
    actorId: null,
    actorRole: null,
    action: 'test.step',
    entityType: 'test',
    entityId: `e${i}`,
    regionCode: null,
    organizationId: null,
    summary: JSON.stringify({ i }),
  }));

describe('audit chain hashing', () => {
  it('hashes sha256 entries exactly as chains written before SM3 were hashed', () => {
    expect(entryHash(entry('sha256'))).toBe('cf0a2e080d5a77fb9ef7b113404effc0b7bced5ba266342f726b065f692ed2ea');
  });

  it('hashes sm3 entries with SM3 over the same fields', () => {
    expect(createHash('sm3').update('abc').digest('hex')).toBe('66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0'); // GB/T 32905 example
    expect(entryHash(entry('sm3'))).toBe('1c498ae18357a6395868680c451ec58f7bab26ddd940421cff9d8d76f5a95a5e');
  });

  it('follows a chain whose entries change algorithm, each hashed with its own', () => {
    const first = chainEntries({ seq: 0, hash: GENESIS_HASH }, pending(3), 'sha256');
    const then = chainEntries(first[2], pending(2), 'sm3');
    const chain = [...first, ...then];
    expect(chain.map((e) => [e.seq, e.hashAlg])).toEqual([
      [1, 'sha256'],
      [2, 'sha256'],
      [3, 'sha256'],
      [4, 'sm3'],
      [5, 'sm3'],
    ]);
    expect(followChain({ seq: 0, hash: GENESIS_HASH }, chain)).toEqual({ reached: { seq: 5, hash: then[1].hash } });
  });

  it('breaks at an entry whose algorithm was changed, or names one it does not know, without throwing', () => {
    const chain = chainEntries({ seq: 0, hash: GENESIS_HASH }, pending(3), 'sha256');
    const relabelled = chain.map((e) => (e.seq === 2 ? { ...e, hashAlg: 'sm3' as const } : e));
    expect(followChain({ seq: 0, hash: GENESIS_HASH }, relabelled)).toEqual({ reached: { seq: 1, hash: chain[0].hash }, broken: 2 });
    const unknown = chain.map((e) => (e.seq === 3 ? { ...e, hashAlg: 'md5' as HashAlg } : e));
    expect(followChain({ seq: 0, hash: GENESIS_HASH }, unknown)).toEqual({ reached: { seq: 2, hash: chain[1].hash }, broken: 3 });
  });
});

describe('audit checkpoints', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const hash = 'ab'.repeat(32);

  it('signs the UTF-8 bytes of yrd-audit-checkpoint:${seq}:${hash}, as node:crypto verifies them', () => {
    expect(checkpointMessage(1000, hash)).toBe(`yrd-audit-checkpoint:1000:${hash}`);
    const signature = signCheckpoint(privateKey, 1000, hash);
    expect(Buffer.from(signature, 'base64')).toHaveLength(64);
    const message = Buffer.from(`yrd-audit-checkpoint:1000:${hash}`, 'utf8');
    expect(verify(null, message, publicKey, Buffer.from(signature, 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(`yrd-audit-checkpoint:1001:${hash}`, 'utf8'), publicKey, Buffer.from(signature, 'base64'))).toBe(false);
  });

  it('names a key by the first 16 hex characters of SHA-256 over its SPKI DER', () => {
    const der = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    expect(keyIdOf(publicKey)).toBe(createHash('sha256').update(der).digest('hex').slice(0, 16));
  });

  describe('when to sign', () => {
    const now = '2026-06-01T12:00:00.000Z';
    const minutesAgo = (m: number) => new Date(Date.parse(now) - m * 60_000).toISOString();
    const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    it('signs each entry 1,000 past the checkpoint before it', () => {
      expect(seqsToSign({ seq: 500, signedAt: minutesAgo(1) }, seqs(501, 1499), now)).toEqual([]);
      expect(seqsToSign({ seq: 500, signedAt: minutesAgo(1) }, seqs(501, 2600), now)).toEqual([1500, 2500]);
      expect(seqsToSign({ seq: 500, signedAt: minutesAgo(1) }, seqs(1400, 1500), now)).toEqual([1500]);
    });

    it('signs the new head when the last checkpoint is 10 minutes old, or there is none', () => {
      expect(seqsToSign({ seq: 500, signedAt: minutesAgo(9) }, [501, 502], now)).toEqual([]);
      expect(seqsToSign({ seq: 500, signedAt: minutesAgo(10) }, [501, 502], now)).toEqual([502]);
      expect(seqsToSign(undefined, [1, 2, 3], now)).toEqual([3]);
      // An upgraded chain without checkpoints: the 1,000th entry, then the head (the one just signed is not 10 minutes old).
      expect(seqsToSign(undefined, seqs(900, 1200), now)).toEqual([1000]);
      expect(seqsToSign({ seq: 1000, signedAt: minutesAgo(11) }, seqs(1001, 2000), now)).toEqual([2000]);
    });

    it('signs by time only when the head has moved', () => {
      expect(dueByTime({ seq: 7, signedAt: minutesAgo(60) }, 7, now)).toBe(false);
      expect(dueByTime({ seq: 7, signedAt: minutesAgo(60) }, 8, now)).toBe(true);
      expect(dueByTime({ seq: 7, signedAt: minutesAgo(5) }, 8, now)).toBe(false);
      expect(dueByTime(undefined, 0, now)).toBe(false);
      expect(dueByTime(undefined, 1, now)).toBe(true);
    });
  });

  describe('what is wrong with a checkpoint', () => {
    const english = (p: AuditProblem | undefined) => p && auditReason('en', p);
    const key = { keyId: keyIdOf(publicKey), publicKey };
    const target = { seq: 42, hash, hashAlg: 'sha256' as const };
    const cp: AuditCheckpoint = {
      ...target,
      signedAt: '2026-06-01T12:00:00.000Z',
      signature: signCheckpoint(privateKey, 42, hash),
      keyId: key.keyId,
    };

    it('nothing, when it signs the entry’s hash under the audit key', () => {
      expect(english(checkpointProblem(cp, target, [key]))).toBeUndefined();
    });

    it('another hash or algorithm than the entry’s', () => {
      expect(english(checkpointProblem(cp, { ...target, hash: 'cd'.repeat(32) }, [key]))).toMatch(
        /^checkpoint 42 signed the sha256 hash ab.*, but entry 42 has/,
      );
      expect(english(checkpointProblem(cp, { ...target, hashAlg: 'sm3' }, [key]))).toMatch(/entry 42 has the sm3 hash/);
    });

    it('an unknown key, or a signature that does not verify', () => {
      const other = generateKeyPairSync('ed25519');
      const otherId = keyIdOf(other.publicKey);
      const byOther = { ...cp, signature: signCheckpoint(other.privateKey, 42, hash), keyId: otherId };
      expect(english(checkpointProblem(byOther, target, [key]))).toBe(
        `checkpoint 42 is signed by an unknown key ${otherId} (the audit key is ${key.keyId})`,
      );
      expect(english(checkpointProblem({ ...byOther, keyId: key.keyId }, target, [key]))).toBe(
        `the signature of checkpoint 42 does not verify under the audit key ${key.keyId}`,
      );
      expect(english(checkpointProblem({ ...cp, signature: '' }, target, [key]))).toMatch(/does not verify/);
    });

    it('a checkpoint signed by an earlier key verifies under that key, when it is among the keys', () => {
      const earlier = generateKeyPairSync('ed25519');
      const earlierKey = { keyId: keyIdOf(earlier.publicKey), publicKey: earlier.publicKey };
      const byEarlier = { ...cp, signature: signCheckpoint(earlier.privateKey, 42, hash), keyId: earlierKey.keyId };
      expect(checkpointProblem(byEarlier, target, [earlierKey, key])).toBeUndefined();
      expect(checkpointProblem(cp, target, [earlierKey, key])).toBeUndefined();
      expect(english(checkpointProblem({ ...byEarlier, signature: cp.signature }, target, [earlierKey, key]))).toBe(
        `the signature of checkpoint 42 does not verify under the audit key ${earlierKey.keyId}`,
      );
    });
  });
});
