import fc from 'fast-check';
import { passwordProblem } from '../../src/auth/password.rules';
import {
  admitAttempt,
  admitSliding,
  afterFailure,
  afterHit,
  afterRefusal,
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
    ['shorter than 10 characters', 'Ab1!xyz', 'tooShort'],
    ['one class only', 'aaaaaaaaaaaa', 'tooFewClasses'],
    ['two classes only', 'abcdefghij12', 'tooFewClasses'],
    ['the username inside', 'Hefei-Lab-2026!', 'containsUsername'],
    ['a common password', 'Password123!', 'tooCommon'],
  ])('refuses %s', (_, password, reason) => {
    expect(passwordProblem(password, 'hefei-lab')).toBe(reason);
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

describe('a sliding window of hits', () => {
  it('admits at most max in any window, across what a fixed window would call two, and says when the oldest leaves', () => {
    let recent: string[] = [];
    for (let i = 0; i < 3; i++) recent = admitSliding(recent, at(50 + i), 3600, 3).recent!;
    // A fixed hour begun at minute 0 would have ended at 60 and admitted three more here.
    expect(admitSliding(recent, at(61), 3600, 3)).toEqual({ refusedForSec: 49 * 60 });
    expect(admitSliding(recent, at(110), 3600, 3).recent).toEqual([at(51), at(52), at(110)]);
  });

  it('admits exactly when fewer than max admitted hits fall in the window; a refusal names when one would be admitted', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), (minutes, max) => {
        const times = [...minutes].sort((a, b) => a - b);
        const admitted: number[] = [];
        let recent: string[] = [];
        for (const m of times) {
          const inWindow = admitted.filter((a) => a > m - 60).length;
          const r = admitSliding(recent, at(m), 3600, max);
          if ((r.refusedForSec === undefined) !== inWindow < max) return false;
          if (r.refusedForSec !== undefined) {
            // Retried when told, it is admitted; a second earlier, it is not.
            const later = m + r.refusedForSec / 60;
            if (admitSliding(recent, at(later), 3600, max).refusedForSec !== undefined) return false;
            if (r.refusedForSec > 1 && admitSliding(recent, at(later - 1 / 60), 3600, max).refusedForSec === undefined) return false;
            continue;
          }
          admitted.push(m);
          recent = r.recent;
          if (recent.length > max) return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
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
    expect(settleAttempt(after, 'a4', 'succeeded', at(0), POLICY)).toEqual({ attempts: none, lockedUntil: null, admittedAt: at(0) });
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
    expect(withoutHit(w, at(0), at(0.5), 60)).toEqual({ windowStart: at(0), hits: 1 });
    expect(withoutHit(w, at(0), at(2), 60)).toEqual(w);
    expect(withoutHit({ windowStart: at(0), hits: 0 }, at(0), at(0.5), 60).hits).toBe(0);
  });

  it('an attempt admitted in one minute and answered in the next takes nothing from the next minute’s count', () => {
    // admitted at 08:00:50 in the minute from 08:00:00; another attempt opens the minute from 08:01:05
    const first = afterHit(afterHit({ windowStart: null, hits: 0 }, at(0), 60), at(50 / 60), 60);
    const next = afterHit(first, at(65 / 60), 60);
    expect(next).toEqual({ windowStart: at(65 / 60), hits: 1 });
    expect(withoutHit(next, at(50 / 60), at(70 / 60), 60)).toEqual(next);
    // in its own minute it is taken back; no longer pending (no instant), nothing is
    expect(withoutHit(first, at(50 / 60), at(55 / 60), 60)).toEqual({ windowStart: at(0), hits: 1 });
    expect(withoutHit(first, null, at(55 / 60), 60)).toEqual(first);
  });

  it('settles with the instant its attempt was admitted, and none for an attempt no longer pending', () => {
    const s = admitAttempt(none, 'a0', at(0.5), POLICY).admitted!;
    expect(settleAttempt(s, 'a0', 'neither', at(1.2), POLICY).admittedAt).toBe(at(0.5));
    expect(settleAttempt(s, 'gone', 'neither', at(1.2), POLICY).admittedAt).toBeNull();
  });

  /** Admissions and answers at rising instants, seconds apart, so that minutes roll over between them. */
  const addressSteps = fc.array(fc.record({ step: fc.constantFrom('admit', 'fail', 'other'), target: fc.nat(30), afterSec: fc.nat(45) }), {
    maxLength: 80,
  });

  it('settling never lowers a minute’s count below the hits that other attempts put there, and never below zero', () => {
    fc.assert(
      fc.property(addressSteps, (steps) => {
        let w: { windowStart: string | null; hits: number } = { windowStart: null, hits: 0 };
        // each attempt's minute (the window it was counted in), and whether its hit still stands there
        const attempts: { countedAt: string; minute: string; standing: boolean; open: boolean }[] = [];
        let sec = 0;
        for (const { step, target, afterSec } of steps) {
          sec += afterSec;
          const now = at(sec / 60);
          if (step === 'admit') {
            w = afterHit(w, now, 60);
            attempts.push({ countedAt: now, minute: w.windowStart!, standing: true, open: true });
            continue;
          }
          const open = attempts.filter((a) => a.open);
          if (open.length === 0) continue;
          const a = open[target % open.length];
          a.open = false;
          if (step === 'fail') continue; // a failure's hit stays
          const before = w;
          w = withoutHit(w, a.countedAt, now, 60);
          if (w.hits < before.hits) a.standing = false;
          // only ever from the minute it was counted in
          if (w.hits < before.hits) expect(a.minute).toBe(before.windowStart);
          expect(w.hits).toBeGreaterThanOrEqual(0);
          const standing = attempts.filter((x) => x.minute === w.windowStart && x.standing).length;
          expect(w.hits).toBe(standing);
        }
      }),
    );
  });

  it('pending counts never go negative and an attempt leaves them once, however answers and admissions interleave', () => {
    fc.assert(
      fc.property(addressSteps, (steps) => {
        let s = none;
        let n = 0;
        let sec = 0;
        for (const { step, target, afterSec } of steps) {
          sec += afterSec;
          const now = at(sec / 60);
          if (step === 'admit') {
            const next = admitAttempt(s, `a${n++}`, now, POLICY);
            if (next.admitted) s = next.admitted;
            continue;
          }
          const id = `a${target % Math.max(1, n)}`; // sometimes one answered already, or never admitted
          const wasPending = s.pending.some((a) => a.id === id);
          const settled = settleAttempt(s, id, step === 'fail' ? 'failed' : 'neither', now, POLICY);
          expect(settled.admittedAt !== null).toBe(wasPending);
          expect(settled.attempts.pending.length).toBe(s.pending.length - (wasPending ? 1 : 0));
          s = settled.attempts;
        }
      }),
    );
  });
});

describe('refused logins counted, audited once a minute', () => {
  const none = { refusedSince: null, refusals: 0 };

  it('audits the first refusal of a minute only, and carries the count of the minute before into the next one', () => {
    let c = afterRefusal(none, at(0), 60);
    expect(c).toEqual({ count: { refusedSince: at(0), refusals: 1 }, first: true, previous: null });
    for (let i = 0; i < 299; i++) {
      c = afterRefusal(c.count, at(0.5), 60);
      expect(c.first).toBe(false);
    }
    expect(c.count).toEqual({ refusedSince: at(0), refusals: 300 });
    expect(afterRefusal(c.count, at(1), 60)).toEqual({
      count: { refusedSince: at(1), refusals: 1 },
      first: true,
      previous: { since: at(0), refusals: 300 },
    });
  });

  it('audits exactly one refusal per minute that has any, and the entries and the row account for every refusal', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100), { minLength: 1, maxLength: 200 }), (gapsSec) => {
        let c: { refusedSince: string | null; refusals: number } = none;
        let sec = 0;
        let audited = 0;
        let told = 0; // refusals of earlier minutes, as the entries carry them
        const minutes = new Set<string>();
        for (const gap of gapsSec) {
          sec += gap;
          const next = afterRefusal(c, at(sec / 60), 60);
          if (next.first) audited++;
          told += next.previous?.refusals ?? 0;
          minutes.add(next.count.refusedSince);
          c = next.count;
        }
        expect(audited).toBe(minutes.size);
        expect(told + c.refusals).toBe(gapsSec.length);
      }),
    );
  });
});
