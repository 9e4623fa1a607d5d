import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { databaseConfig, loadEnvFiles } from '../config/configuration';
import { FirstAdmins } from '../auth/first-admins';
import { SeedService } from '../seed/seed.service';
import { dataSourceOptions } from './data-source-options';
import { runMigrations, withMigrationLock } from './migrator';

/** `npm run migration:run | migration:revert | seed | first-admin -- <username> <group> [email]`. */
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
  } else if (command === 'first-admin') {
    const [username, group, email] = process.argv.slice(3);
    if (!username || !group) throw new Error('usage: cli.js first-admin <username> <platform|310000|320000|330000|340000> [email]');
    const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
    try {
      const made = await app.get(FirstAdmins).make(username, group, email ?? null);
      // Shown once: the holder sets a password with it (POST /api/auth/setup), then enrols two-factor.
      console.log(
        `${made.username} (${made.role}${made.regionCode ? ` ${made.regionCode}` : ''}): setup code ${made.setupCode}, valid until ${made.setupCodeExpiresAt}`,
      );
    } finally {
      await app.close();
    }
  } else {
    throw new Error('usage: cli.js migrate | revert | seed | first-admin');
  }
}

main(process.argv[2]).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
