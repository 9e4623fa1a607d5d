import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { parseRefreshToken, RefreshTokens } from '../../src/auth/tokens';
import type { AuthConfig } from '../../src/config/configuration';

const SESSION = '0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b';
const tokensUnder = (jwtSecret: string) => new RefreshTokens({ jwtSecret } as AuthConfig);

describe('refresh tokens: one this service issued is told from a forged one, at any rotation', () => {
  const tokens = tokensUnder(randomBytes(32).toString('hex'));

  it('a token names its session and rotation; the stored hash is its secret’s', () => {
    const issued = tokens.issue(SESSION, 7);
    const parsed = parseRefreshToken(issued.token)!;
    expect(parsed).toMatchObject({ sessionId: SESSION, generation: 7, hash: issued.hash });
    expect(tokens.issued(parsed)).toBe(true);
  });

  it('every rotation’s token is this service’s, however far back; any other secret, or another key’s, is not', () => {
    const elsewhere = tokensUnder(randomBytes(32).toString('hex'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (generation, other) => {
        expect(tokens.issued(parseRefreshToken(tokens.issue(SESSION, generation).token)!)).toBe(true);
        const forged = parseRefreshToken(`yrdr_${SESSION}.${generation}.${Buffer.from(other).toString('base64url')}`)!;
        expect(tokens.issued(forged)).toBe(false);
        expect(tokens.issued(parseRefreshToken(elsewhere.issue(SESSION, generation).token)!)).toBe(false);
        // a rotation's secret is no other rotation's, nor another session's
        expect(tokens.issued({ ...forged, secret: parseRefreshToken(tokens.issue(SESSION, generation + 1).token)!.secret })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('a token of the version before (no rotation in it) parses, and is never taken as one this service issued', () => {
    const legacy = parseRefreshToken(`yrdr_${SESSION}.${randomBytes(32).toString('base64url')}`)!;
    expect(legacy.generation).toBeNull();
    expect(tokens.issued(legacy)).toBe(false);
  });
});
