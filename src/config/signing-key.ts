import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { projectRoot } from '../common/paths';

const GENERATE = 'openssl genpkey -algorithm ed25519';

/**
 * The audit signing key from its PEM text: an Ed25519 private key in PKCS#8 PEM. `\n` may stand for the line breaks,
 * since one-line settings (systemd's Environment=, many .env tools) cannot hold them. Errors name the setting, never
 * the key.
 */
export function parseSigningKey(pem: string, source = 'AUDIT_SIGNING_KEY'): KeyObject {
  const text = pem.replace(/\\n/g, '\n').trim();
  if (!text.startsWith('-----BEGIN PRIVATE KEY-----')) {
    throw new Error(
      `Invalid configuration: ${source} must be an Ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----): ${GENERATE}`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (e) {
    throw new Error(`Invalid configuration: ${source} is not a readable PKCS#8 PEM private key (${(e as Error).message}): ${GENERATE}`, {
      cause: e,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `Invalid configuration: ${source} is an ${key.asymmetricKeyType} key; audit checkpoints are signed with Ed25519: ${GENERATE}`,
    );
  }
  return key;
}

/**
 * The public keys of earlier audit signing keys (AUDIT_PREVIOUS_PUBLIC_KEYS): Ed25519 SPKI PEM blocks, oldest first, one
 * after the other (`\n` may stand for the line breaks). Errors name the setting and the block, never the key.
 */
export function parsePublicKeys(pem: string | undefined, source = 'AUDIT_PREVIOUS_PUBLIC_KEYS'): KeyObject[] {
  const text = (pem ?? '').replace(/\\n/g, '\n').trim();
  if (!text) return [];
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0 || text.replace(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g, '').trim() !== '') {
    throw new Error(
      `Invalid configuration: ${source} must hold Ed25519 public keys in SPKI PEM (-----BEGIN PUBLIC KEY-----), one after the other: openssl pkey -pubout`,
    );
  }
  return blocks.map((block, i) => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: block, format: 'pem' });
    } catch (e) {
      throw new Error(`Invalid configuration: public key ${i + 1} of ${source} is not a readable SPKI PEM (${(e as Error).message})`, {
        cause: e,
      });
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new Error(
        `Invalid configuration: public key ${i + 1} of ${source} is an ${key.asymmetricKeyType} key; audit checkpoints are signed with Ed25519`,
      );
    }
    return key;
  });
}

const newKeyPem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/** Where development keeps the key it generated: beside the SQLite database, whose checkpoints it signed. */
export const developmentKeyFile = (dbPath: string) => join(dirname(resolve(projectRoot, dbPath)), 'audit-signing-key.pem');

/**
 * The signing key's PEM when AUDIT_SIGNING_KEY is unset, which validation allows outside production only. Tests get a
 * new key in memory. Development keeps the key it generates in a file (0600) and reuses it, so the checkpoints of a
 * developer's database still verify after a restart.
 */
export function unsetSigningKey(env: { NODE_ENV: string; DB_PATH: string }): { pem: string; warning?: string } {
  if (env.NODE_ENV === 'test') return { pem: newKeyPem() };
  const file = developmentKeyFile(env.DB_PATH);
  let made = true;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, newKeyPem(), { mode: 0o600, flag: 'wx' }); // wx: a key already there is kept
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    made = false;
  }
  const pem = readFileSync(file, 'utf8');
  parseSigningKey(pem, file);
  const what = made ? 'generated an Ed25519 key for audit checkpoints, kept in' : 'signing audit checkpoints with the development key in';
  return { pem, warning: `AUDIT_SIGNING_KEY is not set: ${what} ${file} (set AUDIT_SIGNING_KEY in production)` };
}
