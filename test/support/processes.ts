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
