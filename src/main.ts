import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { AppConfig, appConfig } from './config/configuration';
import { SeedService } from './seed/seed.service';

async function bootstrap() {
  const app = await NestFactory.create(AppModule, { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureApp(app);
  await app.get(SeedService).seedOnFirstStart();
  const config = app.get<AppConfig>(appConfig.KEY);
  await app.listen(config.port);
  app.get(Logger).log(`API on http://localhost:${config.port}/api — docs at /docs`);
}

bootstrap().catch((e) => {
  // A configuration error names the bad value; nothing else is worth a stack trace here either.
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
