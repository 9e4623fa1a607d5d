import { DataSource } from 'typeorm';
import { databaseConfig } from '../../src/config/configuration';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase } from '../support/test-app';

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
});
