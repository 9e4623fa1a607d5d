import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { databaseConfig, loadEnvFiles } from '../config/configuration';
import { SeedService } from '../seed/seed.service';
import { dataSourceOptions } from './data-source-options';
import { runMigrations, withMigrationLock } from './migrator';

/** `npm run migration:run | migration:revert | seed`. */
async function main(command: string | undefined) {
  loadEnvFiles();
  if (command === 'migrate' || command === 'revert') {
    const dataSource = await new DataSource(dataSourceOptions(databaseConfig())).initialize();
    if (command === 'migrate') {
      const ran = await runMigrations(dataSource);
      console.log(ran.length ? `ran ${ran.map((m) => m.name).join(', ')}` : 'no pending migrations');
    } else {
      await withMigrationLock(dataSource, () => dataSource.undoLastMigration({ transaction: 'each' }));
      console.log('reverted the last migration');
    }
    await dataSource.destroy();
  } else if (command === 'seed') {
    const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn', 'log'] });
    await app.get(SeedService).seed();
    await app.close();
  } else {
    throw new Error('usage: cli.js migrate | revert | seed');
  }
}

main(process.argv[2]).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
