// Smoke test of the Galera harness: replication to every node and a cross-node write conflict. `npm run test:cluster`.
import * as mysql from 'mysql2/promise';
import { startGalera, type GaleraCluster } from './galera';

// Progress straight to stderr: Jest's console.log adds a stack location to every line.
const log = (line: string) => process.stderr.write(`[galera] ${line}\n`);

describe('3-node Galera cluster on loopback', () => {
  let cluster: GaleraCluster | undefined;
  const conns: mysql.Connection[] = [];
  const connect = async (node: number) => {
    const { host, port } = cluster!.nodes[node];
    const conn = await mysql.createConnection({ host, port, user: 'root', password: '', database: 'smoke' });
    conns.push(conn);
    return conn;
  };
  const available = async (node: number) => {
    const conn = await connect(node);
    // Without it a read may run before this node has applied another node's write set (STACK.md).
    await conn.query('SET SESSION wsrep_sync_wait = 1');
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT available FROM voucher WHERE id = 1');
    return rows.map((r) => Number(r.available));
  };

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startGalera({ log });
    log(`up in ${Date.now() - started} ms`);
    const { host, port } = cluster.nodes[0];
    const admin = await mysql.createConnection({ host, port, user: 'root', password: '' });
    await admin.query('CREATE DATABASE smoke');
    await admin.end();
  }, 300_000);

  afterAll(async () => {
    await Promise.all(conns.map((c) => c.end().catch(() => undefined)));
    const started = Date.now();
    await cluster?.stop();
    if (cluster) log(`down in ${Date.now() - started} ms`);
  }, 120_000);

  it('replicates a row written on node 1 to nodes 2 and 3', async () => {
    const node1 = await connect(0);
    await node1.query('CREATE TABLE voucher (id INTEGER PRIMARY KEY, available BIGINT NOT NULL)');
    await node1.query('INSERT INTO voucher VALUES (1, 100)');
    expect(await available(1)).toEqual([100]);
    expect(await available(2)).toEqual([100]);
  });

  it('gives every node a short global row-lock wait, which the appliers of replicated writes use', async () => {
    for (const node of [0, 1, 2]) {
      const [rows] = await (await connect(node)).query<mysql.RowDataPacket[]>('SELECT @@GLOBAL.innodb_lock_wait_timeout AS seconds');
      expect(Number(rows[0].seconds)).toBe(5);
    }
  });

  it('fails one of two conflicting transactions on different nodes with 1213', async () => {
    const [a, b] = [await connect(0), await connect(1)];
    // Both update the same row, each on its own node, where no lock of the other is visible yet.
    await a.beginTransaction();
    await b.beginTransaction();
    await a.query('UPDATE voucher SET available = available - 10 WHERE id = 1');
    await b.query('UPDATE voucher SET available = available - 20 WHERE id = 1');
    const results = await Promise.allSettled([a.commit(), b.commit()]);

    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1); // the write set certified first wins
    expect(failed[0].reason).toMatchObject({ errno: 1213, code: 'ER_LOCK_DEADLOCK' });
    const expected = results[0].status === 'fulfilled' ? 90 : 80; // only the winner's change, on every node
    for (const node of [0, 1, 2]) expect(await available(node)).toEqual([expected]);
  });
});
