import 'reflect-metadata';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEnvironment } from '../../src/config/env.validation';
import { unsetSigningKey } from '../../src/config/signing-key';

const ed25519Pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const production = {
  NODE_ENV: 'production',
  JWT_SECRET: 'x'.repeat(64),
  MFA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('audit settings at start-up', () => {
  it('accepts an Ed25519 key in PKCS#8 PEM, also with \\n standing for its line breaks', () => {
    const pem = ed25519Pem();
    expect(validateEnvironment({ ...production, AUDIT_SIGNING_KEY: pem }).AUDIT_SIGNING_KEY).toBe(pem);
    expect(() => validateEnvironment({ AUDIT_SIGNING_KEY: pem.replace(/\n/g, '\\n') })).not.toThrow();
  });

  it('requires the key in production', () => {
    expect(() => validateEnvironment(production)).toThrow(
      'Invalid configuration: AUDIT_SIGNING_KEY is required when NODE_ENV=production (openssl genpkey -algorithm ed25519)',
    );
  });

  it('refuses a malformed key, naming the setting but never printing the key', () => {
    const broken = ed25519Pem().replace(/[A-Za-z0-9+/]{20}/, 'A');
    const error = () => validateEnvironment({ AUDIT_SIGNING_KEY: broken });
    expect(error).toThrow(/^Invalid configuration: AUDIT_SIGNING_KEY is not a readable PKCS#8 PEM private key/);
    expect(error).not.toThrow(broken.split('\n')[1]);
    expect(() => validateEnvironment({ AUDIT_SIGNING_KEY: 'secret-words' })).toThrow(
      /^Invalid configuration: AUDIT_SIGNING_KEY must be an Ed25519 private key in PKCS#8 PEM/,
    );
    const publicPem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(() => validateEnvironment({ AUDIT_SIGNING_KEY: publicPem })).toThrow(/must be an Ed25519 private key/);
  });

  it('refuses a key of another algorithm', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => validateEnvironment({ AUDIT_SIGNING_KEY: rsa })).toThrow(
      'Invalid configuration: AUDIT_SIGNING_KEY is an rsa key; audit checkpoints are signed with Ed25519: openssl genpkey -algorithm ed25519',
    );
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => validateEnvironment({ AUDIT_SIGNING_KEY: ec })).toThrow(/AUDIT_SIGNING_KEY is an ec key/);
  });

  it('takes AUDIT_HASH sha256 (the default) or sm3, nothing else', () => {
    expect(validateEnvironment({}).AUDIT_HASH).toBe('sha256');
    expect(validateEnvironment({ AUDIT_HASH: 'sm3' }).AUDIT_HASH).toBe('sm3');
    expect(() => validateEnvironment({ AUDIT_HASH: 'md5' })).toThrow(/^Invalid configuration: AUDIT_HASH="md5": AUDIT_HASH must be one of/);
  });
});

describe('the signing key when AUDIT_SIGNING_KEY is unset', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'audit-key-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('development: generates one beside the SQLite database (0600) with a warning, and reuses it on the next start', () => {
    const env = { NODE_ENV: 'development', DB_PATH: join(dir, 'data', 'voucher.db') };
    const first = unsetSigningKey(env);
    const file = join(dir, 'data', 'audit-signing-key.pem');
    expect(first.warning).toBe(
      `AUDIT_SIGNING_KEY is not set: generated an Ed25519 key for audit checkpoints, kept in ${file} (set AUDIT_SIGNING_KEY in production)`,
    );
    expect(readFileSync(file, 'utf8')).toBe(first.pem);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(createPrivateKey(first.pem).asymmetricKeyType).toBe('ed25519');

    const again = unsetSigningKey(env);
    expect(again.pem).toBe(first.pem);
    expect(again.warning).toMatch(/signing audit checkpoints with the development key in/);
  });

  it('tests: a new key in memory each time, nothing written', () => {
    const env = { NODE_ENV: 'test', DB_PATH: join(dir, 'voucher.db') };
    const [a, b] = [unsetSigningKey(env), unsetSigningKey(env)];
    expect(a.pem).not.toBe(b.pem);
    expect(a.warning).toBeUndefined();
    expect(() => statSync(join(dir, 'audit-signing-key.pem'))).toThrow();
  });
});
