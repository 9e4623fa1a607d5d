import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { childPids, freePort } from '../support/processes';
import { projectRoot } from '../../src/common/paths';
import { buildService, until } from '../support/service-process';
import { createTestDatabase, DEMO_PASSWORD, isMaria } from '../support/test-app';

/**
 * `node dist/src/main.js` as deployed, with API_WORKERS=2 and no JWT_SECRET or AUDIT_SIGNING_KEY (the primary makes
 * them for all workers).
 */
describe('the service as deployed', () => {
  let dropDatabase: () => Promise<void>;
  let service: ChildProcess;
  let baseUrl: string;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  beforeAll(async () => {
    buildService();
    dropDatabase = await createTestDatabase();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, API_WORKERS: '2', PORT: String(port), SEED_DEMO: 'always', LOG_LEVEL: 'warn' };
    delete env.JWT_SECRET;
    delete env.AUDIT_SIGNING_KEY;
    service = spawn(process.execPath, [join(projectRoot, 'dist', 'src', 'main.js')], { cwd: projectRoot, env, stdio: 'ignore' });
    exited = new Promise((resolve) => service.once('exit', (code, signal) => resolve({ code, signal })));
    await until('the health endpoint', () =>
      fetch(`${baseUrl}/api/health`).then(
        (r) => (r.ok ? true : undefined),
        () => undefined,
      ),
    );
  }, 180_000);

  afterAll(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    await dropDatabase();
  });

  const login = async () => {
    const res = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'platform', password: DEMO_PASSWORD }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  };
  /** 20 authenticated calls spread over the workers: a worker with another secret would answer 401. */
  const statusesWith = async (token: string) =>
    Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${baseUrl}/api/audit/verify`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status),
      ),
    );

  it(
    isMaria()
      ? 'serves with two worker processes that honour one token secret and sign with one audit key'
      : 'serves as one process on SQLite, whatever API_WORKERS says',
    async () => {
      const workers = await until('the workers', () => {
        const children = childPids(service.pid!);
        return children.length === (isMaria() ? 2 : 0) ? children : undefined;
      });
      expect(workers).toHaveLength(isMaria() ? 2 : 0);
      expect(await statusesWith(await login())).toEqual(Array(20).fill(200));
      // Every worker signs audit checkpoints with the one key the primary made.
      const keyIds = await Promise.all(
        Array.from({ length: 20 }, () =>
          fetch(`${baseUrl}/api/audit/public-key`).then(async (r) => ((await r.json()) as { keyId: string }).keyId),
        ),
      );
      expect(new Set(keyIds).size).toBe(1);
    },
  );

  if (isMaria()) {
    it('replaces a worker that dies, and keeps serving', async () => {
      const [victim, survivor] = childPids(service.pid!);
      process.kill(victim, 'SIGKILL');
      const replaced = await until('a new worker', () => {
        const children = childPids(service.pid!);
        return children.length === 2 && !children.includes(victim) ? children : undefined;
      });
      expect(replaced).toContain(survivor);
      await until('the new worker to listen', async () => ((await statusesWith(await login())).every((s) => s === 200) ? true : undefined));
    });
  }

  it('stops gracefully on SIGTERM, workers and all', async () => {
    const children = childPids(service.pid!);
    service.kill('SIGTERM');
    // A supervising primary exits 0 once its workers have; a single node closes and then re-raises the signal (Nest's shutdown hooks).
    expect(await exited).toEqual(isMaria() ? { code: 0, signal: null } : { code: null, signal: 'SIGTERM' });
    for (const pid of children) expect(() => process.kill(pid, 0)).toThrow();
  }, 30_000);
});
