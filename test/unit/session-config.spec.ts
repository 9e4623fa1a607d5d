import 'reflect-metadata';
import fc from 'fast-check';
import { validateEnvironment } from '../../src/config/env.validation';

const settings = (jwtTtl: number, idle: number, max: number) => ({
  JWT_TTL: String(jwtTtl),
  SESSION_IDLE_SEC: String(idle),
  SESSION_MAX_SEC: String(max),
});

describe('session settings at start-up', () => {
  it('refuses an idle limit shorter than an access token lives: idleness is judged at refresh', () => {
    expect(() => validateEnvironment(settings(900, 600, 43200))).toThrow(
      'Invalid configuration: SESSION_IDLE_SEC must be at least JWT_TTL (an access token outlived the idle limit)',
    );
    expect(() => validateEnvironment(settings(600, 600, 43200))).not.toThrow();
    expect(() => validateEnvironment(settings(900, 1800, 900))).toThrow(
      'Invalid configuration: SESSION_MAX_SEC must be at least SESSION_IDLE_SEC',
    );
  });

  it('accepts exactly the settings in which no access token outlives the idle limit nor the session', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 60, max: 900 }),
        fc.integer({ min: 60, max: 86400 }),
        fc.integer({ min: 300, max: 604800 }),
        (ttl, idle, max) => {
          const accepted = (() => {
            try {
              validateEnvironment(settings(ttl, idle, max));
              return true;
            } catch {
              return false;
            }
          })();
          expect(accepted).toBe(idle >= ttl && max >= idle);
        },
      ),
    );
  });
});
