import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { databaseConfig } from '../../src/config/configuration';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { isMaria } from '../support/test-app';

/** The one migration set runs, reverts fully and runs again, leaving no drift against the entities. */
describe('migrations', () => {
  const name = `vt_mig_${process.pid}_${randomBytes(3).toString('hex')}`;
  const file = join(tmpdir(), `${name}.db`);
  const conn = { host: process.env.DB_HOST ?? '127.0.0.1', port: Number(process.env.DB_PORT ?? 3306), user: process.env.DB_USER ?? 'root', password: process.env.DB_PASSWORD ?? '' };
  let dataSource: DataSource;

  beforeAll(async () => {
    if (isMaria()) {
      const admin = await createConnection(conn);
      await admin.query(`CREATE DATABASE \`${name}\``);
      await admin.end();
    }
    Object.assign(process.env, isMaria() ? { DB_NAME: name } : { DB_PATH: file });
    dataSource = await new DataSource(dataSourceOptions(databaseConfig())).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    if (isMaria()) {
      const admin = await createConnection(conn);
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    } else {
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    }
  });

  /** The entities' tables that exist right now. */
  const tables = async () => {
    const runner = dataSource.createQueryRunner();
    const present = [];
    for (const { tableName } of dataSource.entityMetadatas) if (await runner.hasTable(tableName)) present.push(tableName);
    await runner.release();
    return present;
  };

  it('runs, reverts completely, and runs again with no schema drift', async () => {
    const ran = await dataSource.runMigrations();
    expect(ran.length).toBeGreaterThan(0);
    expect(await tables()).toHaveLength(dataSource.entityMetadatas.length);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);

    for (let i = 0; i < ran.length; i++) await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);

    await dataSource.runMigrations();
    expect(await tables()).toHaveLength(dataSource.entityMetadatas.length);
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });
});
