import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { requestContext } from './common/context/request-context';
import { jsonBody } from './common/http/body-parser';
import { validationPipe } from './common/http/validation';
import { AppConfig, appConfig } from './config/configuration';

/** Everything main.ts and the tests share: the app exactly as it serves. */
export function configureApp(app: INestApplication): INestApplication {
  const config = app.get<AppConfig>(appConfig.KEY);
  app.use((_req: unknown, _res: unknown, next: () => void) => requestContext.run({}, next));
  app.use(helmet({ contentSecurityPolicy: false }));
  app.use(jsonBody(config.bodyLimit));
  app.setGlobalPrefix('api');
  app.useGlobalPipes(validationPipe);
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Yangtze River Delta innovation vouchers')
      .setDescription('科技创新券 通用通兑: policies, budgets, vouchers, cross-province redemption, claims, settlement and clearing. Money in integer fen, ratios in basis points.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
