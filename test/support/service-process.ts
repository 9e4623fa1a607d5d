import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/common/paths';
import { freePort } from './processes';

/** Polls `probe` until it gives a value (generous: a slow machine may take a while to start a service). */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `npm run build`, for suites that start the service as deployed (`node dist/src/main.js`). */
export const buildService = () => execFileSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'ignore' });

export interface ServiceNode {
  baseUrl: string;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * A real API process on the database this test process is configured for (DB_* in the environment, set by
 * createTestDatabase), listening on a free port; resolves once it answers its health check.
 */
export async function startServiceNode(env: NodeJS.ProcessEnv = {}): Promise<ServiceNode> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(projectRoot, 'dist', 'src', 'main.js')], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await until('the service to answer its health check', () =>
    fetch(`${baseUrl}/api/health`).then(
      (r) => (r.ok ? true : undefined),
      () => (child.exitCode !== null ? Promise.reject(new Error(`the service exited with ${child.exitCode}`)) : undefined),
    ),
  );
  return { baseUrl, process: child, exited };
}
