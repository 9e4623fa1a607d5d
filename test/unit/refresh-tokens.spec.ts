import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { parseRefreshToken, RefreshTokens } from '../../src/auth/tokens';
import type { AuthConfig } from '../../src/config/configuration';

const SESSION = '0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b';
const tokensUnder = (jwtSecret: string) => new RefreshTokens({ jwtSecret } as AuthConfig);

/** A session's refresh tokens after `rotations` refreshes: each one's secret and hash, oldest first. */
function chain(tokens: RefreshTokens, rotations: number) {
  const issued = [tokens.first(SESSION)];
  for (let i = 0; i < rotations; i++) issued.push(tokens.next(SESSION, parseRefreshToken(issued[i].token)!.secret));
  return issued.map((t) => ({ ...parseRefreshToken(t.token)!, stored: t.hash }));
}

describe('refresh tokens: a spent one is told apart from a forged one', () => {
  const tokens = tokensUnder(randomBytes(32).toString('hex'));

  it('a token names its session; the stored hash is its secret’s', () => {
    const [t] = chain(tokens, 0);
    expect(t.sessionId).toBe(SESSION);
    expect(t.hash).toBe(t.stored);
  });

  it('every token a session was issued before the current one is spent; the current one and any other secret are not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (rotations, other) => {
        const issued = chain(tokens, rotations);
        const current = issued[rotations];
        for (const earlier of issued.slice(0, rotations)) expect(tokens.spentBefore(earlier.secret, current.stored)).toBe(true);
        expect(tokens.spentBefore(current.secret, current.stored)).toBe(false);
        expect(tokens.spentBefore(Buffer.from(other).toString('base64url'), current.stored)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it('the chain is the service’s own: under another secret the same first token leads elsewhere', () => {
    const first = tokens.first(SESSION);
    const secret = parseRefreshToken(first.token)!.secret;
    const elsewhere = tokensUnder(randomBytes(32).toString('hex'));
    expect(elsewhere.next(SESSION, secret).hash).not.toBe(tokens.next(SESSION, secret).hash);
    expect(elsewhere.spentBefore(secret, tokens.next(SESSION, secret).hash)).toBe(false);
  });
});
