// A throw-away 3-node MariaDB Galera cluster on 127.0.0.1 for cluster tests (see STACK.md, "A Galera cluster
// on one machine"). Uses the machine's mariadbd, galera-4 and rsync; never touches the system server on 3306.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as mysql from 'mysql2/promise';

export interface GaleraNode {
  host: string;
  port: number;
  pid: number;
}
export interface GaleraCluster {
  nodes: GaleraNode[];
  dir: string;
  /** The last lines of each node's error log, for a failing test to show what the servers saw. */
  logTails(lines?: number): string;
  /** Kills node `i` (0-based) with the signal (SIGKILL: a crash); SIGSTOP freezes it as a lost machine would look. */
  kill(i: number, signal?: NodeJS.Signals): void;
  /** Starts node `i` again after a kill; it rejoins (IST or SST) and resolves once all three are Synced. */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}
export interface GaleraOptions {
  /** How long each node may take to reach Synced. */
  timeoutMs?: number;
  log?: (line: string) => void;
  /** SQL port of node 1, the others following (GALERA_FIRST_PORT, else 3331); Galera's ports move 10 × as far (3341:
   * 4667, 4677, 4687), so two runs on one machine do not meet. */
  firstPort?: number;
}

const HOST = '127.0.0.1';
const PROVIDER = '/usr/lib/galera/libgalera_smm.so';
// Every run's directory starts with this prefix and holds owner.pid, so a later run can recognise what a crashed run left.
const PREFIX = '/tmp/yrd-galera-';
type NodeSpec = { n: number; port: number; gmcast: number };
/** 3331-3333 with Galera on 4567, 4577, 4587 (IST +1, SST +2) unless told another first port. */
const nodeSpecs = (firstPort = 3331): NodeSpec[] =>
  [1, 2, 3].map((n) => ({ n, port: firstPort - 1 + n, gmcast: 4557 + 10 * n + 10 * (firstPort - 3331) }));
const gcomm = (nodes: NodeSpec[]) => `gcomm://${nodes.map((x) => `${HOST}:${x.gmcast}`).join(',')}`;

// The wrapper ties each mariadbd to our stdin pipe: when this process ends in any way (SIGKILL, a Jest run
// interrupted, Ctrl-C) or stop() closes the pipe, `read` sees EOF and the node gets SIGTERM. A node still starting
// (joining, in SST) ignores SIGTERM, so after 20 s the wrapper's whole process group (mariadbd and the SST script
// with its rsync daemon) gets SIGKILL. Node's exit/signal hooks could not do this: inside Jest `process` is a
// sandbox copy whose 'exit' listeners never fire, and nothing runs after a SIGKILL. Once mariadbd has exited, the
// wrapper ends its group too, so that neither the watcher nor an SST helper outlives it.
const WRAPPER = `exec 3<&0; "$@" </dev/null 3<&- & pid=$!
{ read -r _ <&3; kill -TERM $pid; n=0; while kill -0 $pid && [ $n -lt 20 ]; do sleep 1; n=$((n+1)); done
  kill -0 $pid && kill -KILL 0; } 2>/dev/null &
wait $pid; kill -KILL 0`;

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin'];
  return dirs.map((d) => join(d, cmd)).find((p) => existsSync(p));
}

/** Fails with the apt packages to install when a piece is missing. */
export function checkPackages(): { mariadbd: string; installDb: string } {
  const mariadbd = which('mariadbd');
  const installDb = which('mariadb-install-db');
  const missing = [
    !mariadbd || !installDb ? 'mariadb-server' : '',
    existsSync(PROVIDER) ? '' : 'galera-4',
    which('rsync') ? '' : 'rsync',
    which('ss') || which('lsof') ? '' : 'iproute2', // wsrep_sst_rsync looks for the rsync daemon's port with ss or lsof
  ].filter(Boolean);
  if (missing.length)
    throw new Error(`Galera cluster tests need: apt-get install -y ${missing.join(' ')} (or test/cluster/install-packages.sh)`);
  return { mariadbd: mariadbd!, installDb: installDb! };
}

/** A zombie counts as dead: it holds no port and only its parent (here init) can reap it. */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0] !== 'Z';
  } catch {
    return false;
  }
}

const runDirs = () =>
  readdirSync('/tmp')
    .map((f) => `/tmp/${f}`)
    .filter((d) => d.startsWith(PREFIX));

function ownerOf(dir: string): number | undefined {
  try {
    return Number(readFileSync(join(dir, 'owner.pid'), 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}

/** Kills the mariadbd (and rsync) processes of earlier runs whose owner died, and removes their directories. */
async function reapStale(log: (line: string) => void): Promise<void> {
  for (const dir of runDirs()) {
    const owner = ownerOf(dir);
    // A live run's cluster (the port check names it if it is in our way), or one so new it has no owner.pid yet
    if (owner ? alive(owner) : Date.now() - statSync(dir).mtimeMs < 60_000) continue;
    const pids = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .map(Number)
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dir}/`);
        } catch {
          return false; // gone meanwhile
        }
      });
    log(`removing ${dir} of a dead run${pids.length ? `, killing its processes ${pids.join(' ')}` : ''}`);
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    while (pids.some(alive)) await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

async function checkPorts(specs: NodeSpec[]): Promise<void> {
  const ports = specs.flatMap((x) => [x.port, x.gmcast, x.gmcast + 1, x.gmcast + 2]);
  const busy = [];
  for (const port of ports) if (!(await portFree(port))) busy.push(port);
  if (!busy.length) return;
  const owners = runDirs().map(ownerOf).filter(Boolean);
  throw new Error(
    `Galera test ports busy on ${HOST}: ${busy.join(', ')}. ` +
      (owners.length ? `A cluster of a running process (pid ${owners.join(', ')}) holds them: stop it first. ` : '') +
      `See: ss -ltnp; pgrep -a mariadbd`,
  );
}

function config(dir: string, x: NodeSpec, nodes: NodeSpec[]): string {
  const g = x.gmcast;
  return `[mysqld]
datadir=${dir}/data
socket=${dir}/mysqld.sock
pid-file=${dir}/mysqld.pid
# Not the shared /tmp: three install-db bootstraps at once there once failed removing a temporary table
tmpdir=${dir}/tmp
port=${x.port}
bind-address=${HOST}
# root@127.0.0.1 (no password) exists after install-db --auth-root-authentication-method=normal; no DNS look-ups
skip-name-resolve
# Small and quiet: 2 shared cores, three servers, data thrown away afterwards
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
key_buffer_size=4M
aria_pagecache_buffer_size=4M
performance_schema=OFF
max_connections=50
# Galera's requirements
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=${PROVIDER}
wsrep_cluster_name=yrd-test
wsrep_cluster_address=${gcomm(nodes)}
wsrep_node_name=node${x.n}
wsrep_node_address=${HOST}
wsrep_provider_options="gmcast.listen_addr=tcp://${HOST}:${g};ist.recv_addr=${HOST}:${g + 1};gcache.size=32M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=${HOST}:${g + 2}
wsrep_slave_threads=1
# How long a replicated write (the applier) waits for a local transaction's row lock before it tries again to abort
# it. The abort can miss (CI, 2026-12-01: "BF lock wait long" for an INSERT INTO redemption whose foreign-key check
# waited on a hold's voucher lock); the applier then stalled the node for the server's default 50 s, longer than a
# unit of work's retry budget, and units on both API nodes answered 503. A deployment sets the same (README).
innodb_lock_wait_timeout=5
`;
}

function mysqlUser(): { uid: number; gid: number } {
  if (process.getuid?.() !== 0) throw new Error('Galera tests run as root: mariadbd --user=mysql and install-db --user=mysql need it');
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('mysql:'));
  if (!line) throw new Error('no mysql user on this machine (apt-get install -y mariadb-server)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  done: boolean;
  synced: boolean;
}

function startNode(bin: string, nodeDir: string, bootstrap: boolean): Proc {
  const logFd = openSync(join(nodeDir, 'error.log'), 'a');
  const args = [bin, `--defaults-file=${nodeDir}/my.cnf`, '--user=mysql', ...(bootstrap ? ['--wsrep-new-cluster'] : [])];
  // detached: its own process group, so a terminal's Ctrl-C reaches only us and we decide the shutdown order.
  const child = spawn('sh', ['-c', WRAPPER, 'galera-node', ...args], { stdio: ['pipe', logFd, logFd], detached: true });
  closeSync(logFd);
  const proc: Proc = { child, done: false, synced: false, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  void proc.exited.then(() => (proc.done = true));
  return proc;
}

function tail(nodeDir: string, lines = 25): string {
  const text = existsSync(join(nodeDir, 'error.log')) ? readFileSync(join(nodeDir, 'error.log'), 'utf8') : '';
  return text.split('\n').slice(-lines).join('\n');
}

async function status(port: number): Promise<Record<string, string> | undefined> {
  const conn = await mysql.createConnection({ host: HOST, port, user: 'root', password: '', connectTimeout: 2000 }).catch(() => undefined);
  if (!conn) return undefined;
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready')",
    );
    return Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
  } finally {
    await conn.end();
  }
}

/** Polls until every started node is Synced in a cluster of procs.length; fails early with the log if a node exits. */
async function waitSynced(procs: Proc[], dir: string, timeoutMs: number, specs: NodeSpec[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = (i: number) => `${dir}/node${i + 1}/error.log ends:\n${tail(join(dir, `node${i + 1}`))}`;
  for (;;) {
    const states = await Promise.all(procs.map((_, i) => status(specs[i].port)));
    procs.forEach((p, i) => {
      if (p.done) throw new Error(`node ${i + 1} exited during start-up; ${log(i)}`);
      const st = states[i];
      p.synced = st?.wsrep_local_state_comment === 'Synced' && st.wsrep_ready === 'ON' && Number(st.wsrep_cluster_size) === procs.length;
    });
    if (procs.every((p) => p.synced)) return;
    if (Date.now() > deadline) {
      const seen = states.map(
        (st, i) => `node ${i + 1}: ${st ? `${st.wsrep_local_state_comment}, size ${st.wsrep_cluster_size}` : 'no answer'}`,
      );
      throw new Error(`no Synced cluster of ${procs.length} after ${timeoutMs} ms (${seen.join('; ')}); ${log(procs.length - 1)}`);
    }
    await sleep(500);
  }
}

/** Closing stdin makes the wrapper SIGTERM mariadbd (a clean shutdown); a node that never got Synced (it would ignore
 * SIGTERM) or hangs in shutdown is killed with its whole process group. */
async function shutdown(proc: Proc, timeoutMs = 60_000): Promise<void> {
  proc.child.stdin?.end();
  if (proc.done) return;
  const timer = new Promise((resolve) => setTimeout(resolve, proc.synced ? timeoutMs : 0).unref());
  if ((await Promise.race([proc.exited.then(() => 'exited'), timer])) === 'exited') return;
  try {
    process.kill(-proc.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  await proc.exited;
}

export async function startGalera(opts: GaleraOptions = {}): Promise<GaleraCluster> {
  const { timeoutMs = 120_000, log = () => undefined } = opts;
  const specs = nodeSpecs(opts.firstPort ?? (Number(process.env.GALERA_FIRST_PORT) || undefined));
  const bin = checkPackages();
  const owner = mysqlUser();
  await reapStale(log);
  await checkPorts(specs);

  const dir = mkdtempSync(PREFIX);
  writeFileSync(join(dir, 'owner.pid'), `${process.pid}\n`);
  const procs: Proc[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // One at a time, last joiner first: nodes leaving together each wait evs.suspect_timeout (5 s) for the others.
      for (const p of [...procs].reverse()) await shutdown(p);
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    chownSync(dir, owner.uid, owner.gid);
    for (const x of specs) {
      const nodeDir = join(dir, `node${x.n}`);
      mkdirSync(join(nodeDir, 'tmp'), { recursive: true });
      // mariadbd (as mysql) writes its socket, pid file and temporary files here
      [nodeDir, join(nodeDir, 'tmp')].forEach((d) => chownSync(d, owner.uid, owner.gid));
      writeFileSync(join(nodeDir, 'my.cnf'), config(nodeDir, x, specs));
    }
    // Every datadir is initialised although SST overwrites 2 and 3: the three run in parallel, under a second in all.
    await Promise.all(
      specs.map((x) =>
        run(bin.installDb, [
          `--defaults-file=${dir}/node${x.n}/my.cnf`,
          '--user=mysql',
          `--datadir=${dir}/node${x.n}/data`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
        ]),
      ),
    );
    log(`datadirs initialised in ${dir}`);

    // Node 1 bootstraps; the others join one at a time (each gets a full rsync SST from a donor). Two joiners at once
    // were no faster on 2 cores: the second waits for the donor anyway, and the load made group membership flap.
    for (const [i, x] of specs.entries()) {
      procs.push(startNode(bin.mariadbd, join(dir, `node${x.n}`), i === 0));
      await waitSynced(procs, dir, timeoutMs, specs);
      log(`node ${x.n} ${i === 0 ? 'bootstrapped the cluster' : 'joined'}: ${HOST}:${x.port}, cluster size ${i + 1}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const nodes = specs.map((x) => ({ host: HOST, port: x.port, pid: Number(readFileSync(join(dir, `node${x.n}`, 'mysqld.pid'), 'utf8')) }));
  const logTails = (lines = 40) => specs.map((x) => `node ${x.n}'s error log ends:\n${tail(join(dir, `node${x.n}`), lines)}`).join('\n');
  const kill = (i: number, signal: NodeJS.Signals = 'SIGKILL') =>
    process.kill(Number(readFileSync(join(dir, `node${i + 1}`, 'mysqld.pid'), 'utf8')), signal);
  const restart = async (i: number) => {
    await procs[i].exited;
    procs[i] = startNode(bin.mariadbd, join(dir, `node${i + 1}`), false);
    await waitSynced(procs, dir, timeoutMs, specs);
    nodes[i].pid = Number(readFileSync(join(dir, `node${i + 1}`, 'mysqld.pid'), 'utf8'));
  };
  return { nodes, dir, logTails, kill, restart, stop };
}
