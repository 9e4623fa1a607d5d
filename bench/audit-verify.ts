import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createConnection } from 'mysql2/promise';
import { generateKeyPairSync, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keyIdOf } from '../src/audit/audit-checkpoint';
import type { AuditPending } from '../src/audit/audit-entry.entity';
import { AuditLog } from '../src/audit/audit-log';
import { newId } from '../src/common/ids';
import { AppModule } from '../src/app.module';
import { createDatabase, mariaConnection } from '../test/support/app-under-test';
import { sealAuditBatch } from './lib/audit-seal';
import { runMain } from './lib/cli';

const BATCH = 5_000;
const INSERT_ROWS = 1_000;

/**
 * `npm run build && node --max-old-space-size=256 dist/bench/audit-verify.js --entries 1000000 [--database NAME] [--runs 3]`
 *
 * Times the audit verification alone, in this process, on a MariaDB database of `--entries` chained and signed entries:
 * written once (and kept, with its signing key beside it in the temp folder) so that runs before and after a change read
 * the same rows. `--drop` removes the database afterwards.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      entries: { type: 'string', default: '1000000' },
      database: { type: 'string' },
      runs: { type: 'string', default: '3' },
      drop: { type: 'boolean', default: false },
    },
  });
  let database = values.database;
  let drop: (() => Promise<void>) | undefined;
  if (!database) {
    const created = await createDatabase('mariadb', 'audit_verify');
    database = created.dbName;
    drop = created.drop;
    writeFileSync(keyFile(database), generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  } else {
    Object.assign(process.env, { NODE_ENV: 'test', SEED_DEMO: 'never', LOG_LEVEL: 'silent', SWEEP_INTERVAL_SEC: '0', DB_TYPE: 'mariadb' });
    process.env.DB_NAME = database;
  }
  if (!existsSync(keyFile(database))) throw new Error(`no signing key for ${database} at ${keyFile(database)}`);
  const signingKeyPem = readFileSync(keyFile(database), 'utf8');
  process.env.AUDIT_SIGNING_KEY = signingKeyPem;
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  try {
    if (!values.database) {
      const t = performance.now();
      await fill(database, Number(values.entries), signingKeyPem);
      console.log(`[audit-verify] wrote ${values.entries} entries into ${database} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const auditLog = app.get(AuditLog);
    for (let run = 1; run <= Number(values.runs); run++) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const result = await auditLog.verify();
      const sec = (performance.now() - t) / 1000;
      const { user, system } = process.cpuUsage(cpu);
      if (!result.valid) throw new Error(`verification failed: ${JSON.stringify(result)}`);
      console.log(
        `[audit-verify] full, run ${run}: ${result.entries} entries in ${sec.toFixed(2)} s = ${Math.round(result.entries / sec)} entries/s, this process's CPU ${((user + system) / result.entries).toFixed(1)} µs per entry; peak RSS ${maxRssMb()} MB`,
      );
    }
    const t = performance.now();
    const fromCheckpoint = await auditLog.verifyFromCheckpoint();
    const ms = performance.now() - t;
    if (!fromCheckpoint.valid) throw new Error(`verification from the checkpoint failed: ${JSON.stringify(fromCheckpoint)}`);
    console.log(
      `[audit-verify] from checkpoint ${fromCheckpoint.fromCheckpoint?.seq} to entry ${fromCheckpoint.entries}: ${ms.toFixed(1)} ms`,
    );
    console.log(`[audit-verify] database ${database} kept${values.drop ? ' … dropping it' : ''}`);
  } finally {
    await app.close();
    if (values.drop) await (drop ?? dropDatabase(database))();
  }
}

const keyFile = (database: string) => join(tmpdir(), `${database}.pem`);
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const dropDatabase = (database: string) => async () => {
  const c = await createConnection(mariaConnection());
  await c.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await c.end();
};

/** Appends `count` entries shaped like the service's (a hold's summary) to the chain, with a checkpoint every 1,000. */
async function fill(database: string, count: number, signingKeyPem: string): Promise<void> {
  const conn = await createConnection({ ...mariaConnection(), database });
  const privateKey = createPrivateKey(signingKeyPem);
  const keyId = keyIdOf(createPublicKey(privateKey));
  try {
    for (let written = 0; written < count;) {
      const n = Math.min(BATCH, count - written);
      const pending: AuditPending[] = Array.from({ length: n }, (_, i) => ({
        id: '',
        at: new Date(Date.UTC(2026, 0, 1) + (written + i) * 1_000).toISOString(),
        actorId: newId(),
        actorRole: 'enterprise',
        action: 'redemption.held',
        entityType: 'redemption',
        entityId: newId(),
        regionCode: '320500',
        organizationId: newId(),
        summary: JSON.stringify({
          serial: `JS2026${String(written + i).padStart(8, '0')}`,
          facilityId: newId(),
          mode: 'enterprise_redeemed',
          quantity: 1 + (i % 4),
          feeFen: 120_000,
          ratioBp: 5_000,
          subsidyFen: 60_000,
          crossProvince: i % 3 === 0,
        }),
      }));
      await sealAuditBatch(conn, pending, { privateKey, keyId }, async (table, columns, rows) => {
        for (let i = 0; i < rows.length; i += INSERT_ROWS)
          await conn.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [rows.slice(i, i + INSERT_ROWS)]);
      });
      written += n;
    }
  } finally {
    await conn.end();
  }
}

runMain(main);
