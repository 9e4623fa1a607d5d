import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { AppModule } from '../../src/app.module';
import { databaseConfig } from '../../src/config/configuration';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, isMaria } from '../support/test-app';

/** The one migration set runs, reverts fully and runs again, leaving no drift against the entities. */
describe('migrations', () => {
  let dataSource: DataSource;
  let dropDatabase: () => Promise<void>;

  beforeAll(async () => {
    dropDatabase = await createTestDatabase('vt_mig_');
    dataSource = await new DataSource(dataSourceOptions(databaseConfig())).initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase();
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

  (isMaria() ? it : it.skip)('on MariaDB a claim keeps room for its batch while it has none, so settlement writes in place', async () => {
    const [table] = await dataSource.query<{ ROW_FORMAT: string }[]>(
      `SELECT ROW_FORMAT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'claim'`,
    );
    const [column] = await dataSource.query<{ COLUMN_TYPE: string; CHARACTER_SET_NAME: string }[]>(
      `SELECT COLUMN_TYPE, CHARACTER_SET_NAME FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'claim' AND COLUMN_NAME = 'settlement_id'`,
    );
    expect([table.ROW_FORMAT, column.COLUMN_TYPE, column.CHARACTER_SET_NAME]).toEqual(['Redundant', 'char(36)', 'ascii']);
  });
});

/** API nodes starting together on an empty database: one migrates, the others wait for it (the migration lease). */
describe('migrations on nodes that start together', () => {
  const maria = isMaria();
  if (!maria) console.info('skipped the concurrent start: SQLite runs one process, so no other node can start on its database');

  (maria ? it : it.skip)('two nodes starting at once on an empty MariaDB database both come up, and each migration ran once', async () => {
    const dropDatabase = await createTestDatabase('vt_mig_start_');
    const nodes: INestApplicationContext[] = [];
    // A node whose migration failed would still come up: TypeOrmModule retries the connection. It logs the failure.
    const errors: string[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      warn: () => undefined,
      error: (message: unknown) => errors.push(String(message)),
    };
    try {
      nodes.push(...(await Promise.all([1, 2].map(() => NestFactory.createApplicationContext(AppModule, { logger })))));
      expect(errors).toEqual([]);
      const ran = await nodes[0]
        .get(DataSource)
        .query<{ name: string; n: string | number }[]>('SELECT name, COUNT(*) AS n FROM migrations GROUP BY name');
      expect(ran.map((m) => [m.name, Number(m.n)]).sort()).toEqual(MIGRATIONS.map((m) => [m.name, 1]).sort());
      const lease = await nodes[1].get(DataSource).query<{ holder: string | null }[]>('SELECT holder FROM migration_lock');
      expect(lease).toEqual([{ holder: null }]);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await dropDatabase();
    }
  });
});
