import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });

/** A file under /proc/<pid>, or null once the process has exited. */
export const readProc = (pid: number, file: string): string | null => {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
};

/** The direct children of a process (Linux). */
export const childPids = (pid: number): number[] =>
  (readProc(pid, `task/${pid}/children`) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);

/** Until /api/health answers (with workers, the first one listening), failing early if the process exits. */
export async function waitUntilServing(baseUrl: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  while (
    !(await fetch(`${baseUrl}/api/health`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (exited !== null) throw new Error(`the service exited with ${exited} before serving`);
    if (Date.now() > deadline) throw new Error('the service did not answer /api/health within 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** SIGTERM, and SIGKILL if it has not exited 15 s later. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
