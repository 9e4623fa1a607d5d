// `npm run cluster:up`: a 3-node Galera cluster on 127.0.0.1:3331-3333 for manual experiments, torn down on Ctrl-C.
import { readFileSync } from 'node:fs';
import { startGalera } from './galera';

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function up(): Promise<void> {
  const log = (line: string) => console.log(`[galera] ${line}`);
  let t = Date.now();
  const cluster = await startGalera({ log });
  log(`up in ${((Date.now() - t) / 1000).toFixed(1)} s, data in ${cluster.dir}`);
  for (const n of cluster.nodes) log(`mariadb -h ${n.host} -P ${n.port} -u root    (pid ${n.pid}, RSS ${rssMiB(n.pid).toFixed(0)} MiB)`);
  log('Ctrl-C to stop');
  const down = async (signal: string) => {
    log(`${signal}: stopping`);
    t = Date.now();
    await cluster.stop();
    log(`down in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    process.exit(0);
  };
  process.once('SIGINT', () => void down('SIGINT'));
  process.once('SIGTERM', () => void down('SIGTERM'));
}

if (process.argv[2] !== 'up') {
  console.error('usage: galera-cli up');
  process.exit(2);
}
up().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
