import { Connection, createConnection, RowDataPacket } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Database } from '../../src/common/persistence/database';
import { sql } from '../../src/common/persistence/sql';
import { mariaConnection } from '../support/app-under-test';
import { openRegion } from '../support/fixtures';
import { describeOnServer } from '../support/races';
import { buildService, ServiceNode, startServiceNode, until } from '../support/service-process';
import { auth, OrgSession, TestApp } from '../support/test-app';

const REGION = '340100';

/**
 * What the database server does to a request from outside the service: an operator's KILL QUERY, and a node that
 * freezes (a paused VM, a machine lost without a FIN reaching the server) in the middle of a transaction. Another
 * client holds the region's budget row so that the request is caught waiting in its transaction.
 */
describeOnServer(
  'the database server ending or outliving a request',
  'SQLite has no server to kill a statement, hold a lock for a frozen process or refuse as a Galera node',
  () => {
    let t: TestApp;
    let locker: Connection;
    let admin: Connection;
    let e: OrgSession;
    let other: OrgSession;
    let node: ServiceNode | undefined;

    beforeAll(async () => {
      buildService();
      t = await TestApp.start({ JWT_SECRET: randomBytes(32).toString('hex') });
      await openRegion(t, REGION);
      e = await t.registerEnterprise(REGION);
      other = await t.registerEnterprise(REGION);
      locker = await createConnection({ ...mariaConnection(), database: process.env.DB_NAME });
      admin = await createConnection({ ...mariaConnection(), database: process.env.DB_NAME });
    }, 180_000);
    afterAll(async () => {
      node?.process.kill('SIGCONT');
      node?.process.kill('SIGKILL');
      await locker?.end();
      await admin?.end();
      await t?.close();
    });

    const apply = (who: OrgSession, key: string) =>
      t.http
        .post('/api/voucher-applications')
        .set(auth(who.token))
        .set('Idempotency-Key', key)
        .send({ amountFen: 100_000, purpose: 'XRD' });
    const applicationsOf = async (who: OrgSession) =>
      Number(
        (
          await t
            .get(Database)
            .rows<{ n: unknown }>(sql`SELECT COUNT(*) AS n FROM voucher_application WHERE enterprise_id = ${who.organizationId}`)
        )[0].n,
      );
    const lockBudget = async () => {
      await locker.query('START TRANSACTION');
      await locker.query('SELECT region_code FROM budget WHERE region_code = ? FOR UPDATE', [REGION]);
    };
    /** The connection of the request now waiting for the budget row's lock. */
    const waiting = () =>
      until('the request to wait for the budget row', async () => {
        const [rows] = await admin.query<RowDataPacket[]>(
          `SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID NOT IN (CONNECTION_ID(), ?) AND INFO LIKE '%budget%FOR UPDATE%'`,
          [process.env.DB_NAME, locker.threadId],
        );
        return rows[0]?.ID as number | undefined;
      });

    it('answers 503 to a statement killed by an operator (KILL QUERY), never 500, and the key then runs once', async () => {
      await lockBudget();
      const pending = apply(e, 'killed-query').then((r) => r);
      await admin.query(`KILL QUERY ${await waiting()}`);
      const killed = await pending;
      await locker.query('ROLLBACK');

      expect(killed.status).toBe(503);
      expect(killed.body).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(killed.headers['retry-after']).toBeDefined();
      expect(await applicationsOf(e)).toBe(0); // its transaction rolled back with the statement
      const retried = await apply(e, 'killed-query').expect(201);
      expect((await apply(e, 'killed-query').expect(201)).body.id).toBe(retried.body.id);
      expect(await applicationsOf(e)).toBe(1);
    });

    it.each([
      [1047, 'WSREP has not yet prepared node for application use'],
      [1180, 'Error while appending streaming replication fragment(provider status: Not connected to Primary Component)'],
    ])('answers 503 to a Galera node outside the primary component (%i), never 500, and the key then runs once', async (errno, text) => {
      // A node cut off from the cluster (or still joining) refuses statements with 1047 and a COMMIT it cannot replicate
      // with 1180; a trigger says the same here.
      await admin.query(
        `CREATE TRIGGER vt_not_primary BEFORE INSERT ON voucher_application FOR EACH ROW
         SIGNAL SQLSTATE 'HY000' SET MYSQL_ERRNO = ${errno}, MESSAGE_TEXT = '${text}'`,
      );
      const before = await applicationsOf(other);
      let refused;
      try {
        refused = await apply(other, `not-primary-${errno}`);
      } finally {
        await admin.query('DROP TRIGGER vt_not_primary');
      }

      expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(refused.headers['retry-after']).toBe('5');
      expect(await applicationsOf(other)).toBe(before);
      const retried = await apply(other, `not-primary-${errno}`).expect(201);
      expect((await apply(other, `not-primary-${errno}`).expect(201)).body.id).toBe(retried.body.id);
      expect(await applicationsOf(other)).toBe(before + 1);
    });

    it('gives back the locks of a node frozen mid-transaction, so the other node serves its retry and the region', async () => {
      node = await startServiceNode({ DB_IDLE_TRANSACTION_SEC: '2' });
      const before = { e: await applicationsOf(e), other: await applicationsOf(other) };
      await lockBudget();
      const onFrozen = fetch(`${node.baseUrl}/api/voucher-applications`, {
        method: 'POST',
        headers: { ...auth(e.token), 'content-type': 'application/json', 'idempotency-key': 'frozen-node' },
        body: JSON.stringify({ amountFen: 100_000, purpose: 'XRD' }),
      }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as { code?: string } }),
        () => ({ status: 0, body: {} }),
      );
      await waiting();
      // Frozen with its idempotency claim written and the budget row about to be its: the server sees an open connection.
      node.process.kill('SIGSTOP');
      await locker.query('ROLLBACK');
      await sleep(200);

      // Without the server ending the frozen transaction, both wait on its locks past the retry budget: 503 for hours.
      const [retry, neighbour] = await Promise.all([apply(e, 'frozen-node'), apply(other, 'neighbour')]);
      expect([retry.status, neighbour.status]).toEqual([201, 201]);

      node.process.kill('SIGCONT');
      const frozen = await onFrozen;
      expect(frozen.status).toBe(503); // its connection was ended: nothing of it committed
      expect((await apply(e, 'frozen-node').expect(201)).body.id).toBe(retry.body.id);
      expect(await applicationsOf(e)).toBe(before.e + 1);
      expect(await applicationsOf(other)).toBe(before.other + 1);
    }, 60_000);
  },
);
