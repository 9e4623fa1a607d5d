import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

// One of OWASP's equivalent argon2id settings (7 MiB, 5 passes): as strong as 19 MiB × 2, and a burst of logins costs
// the server far less memory.
const HASH_OPTIONS = { type: argon2.argon2id as 2, raw: false as const, memoryCost: 7_168, timeCost: 5, parallelism: 1 };

/** Password hashing with argon2id. */
@Injectable()
export class Credentials {
  private dummy?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, HASH_OPTIONS);
  }

  /** A real hash of a secret no one knows: a withdrawn password checks like a wrong one, in the same time. */
  unusable(): Promise<string> {
    return this.hash(randomBytes(32).toString('base64url'));
  }

  /** Verifies against a dummy hash when there is no user, so timing does not reveal which usernames exist. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const against = hash ?? (await (this.dummy ??= argon2.hash('not-a-password', HASH_OPTIONS)));
    return argon2.verify(against, password).catch(() => false);
  }
}
