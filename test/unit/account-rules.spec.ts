import fc from 'fast-check';
import { passwordProblem } from '../../src/auth/password.rules';
import {
  admitAttempt,
  afterFailure,
  afterHit,
  LoginAttempts,
  parseAttempts,
  PENDING_SEC,
  secondsUntil,
  settleAttempt,
  windowUse,
  withoutHit,
} from '../../src/auth/throttle.rules';

const at = (min: number) => new Date(Date.UTC(2026, 10, 30, 8, 0, 0) + min * 60_000).toISOString();
const POLICY = { failures: 5, windowSec: 900, lockSec: 900 };

describe('password rule', () => {
  it.each([
    ['shorter than 10 characters', 'Ab1!xyz', 'at least 10'],
    ['one class only', 'aaaaaaaaaaaa', '3 of'],
    ['two classes only', 'abcdefghij12', '3 of'],
    ['the username inside', 'Hefei-Lab-2026!', 'username'],
    ['a common password', 'Password123!', 'common'],
  ])('refuses %s', (_, password, reason) => {
    expect(passwordProblem(password, 'hefei-lab')).toContain(reason);
  });

  it.each(['demo-pass-2026', 'Correct-Horse-2026', 'Tui8#kqLw2', '量子Lab-Pass-2026'])('accepts %s', (password) => {
    expect(passwordProblem(password, 'someone')).toBeNull();
  });

  it('never accepts a password shorter than 10 characters or missing two classes, whatever else it has', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 9 }), (p) => passwordProblem(p, 'user') !== null),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{10,30}$/), (p) => passwordProblem(p, 'user') !== null),
      { numRuns: 300 },
    );
  });
});

describe('lockout and rate rules', () => {
  it('locks at the 5th failure within 15 minutes, for 15 minutes, and forgets the failures it locked on', () => {
    let recent: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = afterFailure(recent, at(i * 3), POLICY);
      expect(r.lockedUntil).toBeNull();
      recent = r.recent;
    }
    const fifth = afterFailure(recent, at(12), POLICY);
    expect(fifth).toEqual({ recent: [], lockedUntil: at(27) });
  });

  it('locks exactly when 5 failures since the last lock fall within 15 minutes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 24 * 60 }), { maxLength: 60 }), (minutes) => {
        const times = [...new Set(minutes)].sort((a, b) => a - b);
        let recent: string[] = [];
        let lastLock = -1;
        for (let i = 0; i < times.length; i++) {
          const inWindow = times.filter((m, j) => j > lastLock && j <= i && m > times[i] - 15).length;
          const r = afterFailure(recent, at(times[i]), POLICY);
          if ((r.lockedUntil !== null) !== inWindow >= 5) return false;
          if (r.lockedUntil !== null) lastLock = i;
          recent = r.recent;
        }
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('counts hits in fixed windows and reports the seconds to the window’s end', () => {
    let w = { windowStart: null as string | null, hits: 0 };
    for (let i = 0; i < 3; i++) w = afterHit(w, at(0), 60);
    expect(w).toEqual({ windowStart: at(0), hits: 3 });
    expect(windowUse(w, at(0.5), 60)).toEqual({ hits: 3, resetsInSec: 30 });
    expect(windowUse(w, at(1), 60)).toEqual({ hits: 0, resetsInSec: 0 });
    expect(afterHit(w, at(2), 60)).toEqual({ windowStart: at(2), hits: 1 });
    expect(secondsUntil(at(1), at(0))).toBe(60);
    expect(secondsUntil(null, at(0))).toBe(0);
  });
});

describe('admitting login attempts before their password is checked', () => {
  const none: LoginAttempts = { failures: [], pending: [] };

  it('admits as many attempts at once as failures lock, then refuses until one is answered or frees', () => {
    let s = none;
    for (let i = 0; i < 5; i++) s = admitAttempt(s, `a${i}`, at(0), POLICY).admitted!;
    const refused = admitAttempt(s, 'a5', at(0), POLICY);
    expect(refused.refusedForSec).toBe(PENDING_SEC);
    // answered: four failures and a success leave nothing counted; four failures and a fifth lock
    let after = s;
    for (let i = 0; i < 4; i++) after = settleAttempt(after, `a${i}`, 'failed', at(0), POLICY).attempts;
    expect(settleAttempt(after, 'a4', 'succeeded', at(0), POLICY)).toEqual({ attempts: none, lockedUntil: null });
    expect(settleAttempt(after, 'a4', 'failed', at(0), POLICY).lockedUntil).toBe(at(15));
    expect(settleAttempt(after, 'a4', 'neither', at(0), POLICY).attempts).toEqual({ failures: after.failures, pending: [] });
    // an attempt whose node died frees its place after PENDING_SEC
    expect(admitAttempt(s, 'a5', at(1.01), POLICY).admitted).toBeDefined();
  });

  it('reads the plain arrays of failures stored before', () => {
    expect(parseAttempts(JSON.stringify([at(0)]))).toEqual({ failures: [at(0)], pending: [] });
    expect(parseAttempts(null)).toEqual(none);
  });

  it('never admits more unanswered attempts and recent failures together than the limit, however they interleave', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('admit', 'fail', 'succeed', 'neither'), fc.nat(20)), { maxLength: 60 }), (steps) => {
        let s = none;
        let n = 0;
        for (const [step, target] of steps) {
          if (step === 'admit') {
            const next = admitAttempt(s, `a${n++}`, at(0), POLICY);
            if (next.admitted) s = next.admitted;
          } else if (s.pending.length > 0) {
            const id = s.pending[target % s.pending.length].id;
            const settled = settleAttempt(s, id, step === 'fail' ? 'failed' : step === 'succeed' ? 'succeeded' : 'neither', at(0), POLICY);
            s = settled.attempts;
          }
          expect(s.failures.length + s.pending.length).toBeLessThanOrEqual(POLICY.failures);
        }
      }),
    );
  });

  it('takes back an address hit in its own window only', () => {
    const w = afterHit(afterHit({ windowStart: null, hits: 0 }, at(0), 60), at(0), 60);
    expect(withoutHit(w, at(0.5), 60)).toEqual({ windowStart: at(0), hits: 1 });
    expect(withoutHit(w, at(2), 60)).toEqual(w);
    expect(withoutHit({ windowStart: at(0), hits: 0 }, at(0.5), 60).hits).toBe(0);
  });
});
