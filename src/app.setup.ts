import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { requestContext } from './common/context/request-context';
import { documentCommonAnswers } from './common/http/answers';
import { csvBody, jsonBody } from './common/http/body-parser';
import { validationPipe } from './common/http/validation';
import { AppConfig, appConfig } from './config/configuration';

/** Everything main.ts and the tests share: the app exactly as it serves. */
export function configureApp(app: INestApplication): INestApplication {
  const config = app.get<AppConfig>(appConfig.KEY);
  app.use((_req: unknown, _res: unknown, next: () => void) => requestContext.run({}, next));
  app.use(helmet({ contentSecurityPolicy: false }));
  // CORS stays off unless CORS_ORIGINS names the browser origins allowed to call the API.
  if (config.corsOrigins.length > 0) app.enableCors({ origin: config.corsOrigins, credentials: false });
  if (config.trustProxy) app.getHttpAdapter().getInstance().set('trust proxy', trustProxy(config.trustProxy));
  app.use(jsonBody(config.bodyLimit));
  app.use(csvBody());
  app.useGlobalPipes(validationPipe);
  app.enableShutdownHooks();
  const document = openApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** The OpenAPI document the service serves at /docs-json, and that `npm run client` generates the typed client from. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Yangtze River Delta innovation vouchers')
      .setDescription(
        '科技创新券 通用通兑: policies, budgets, vouchers, cross-province redemption, claims, settlement and clearing. Money in integer fen, ratios in basis points.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  documentIdempotencyKeys(document);
  documentCommonAnswers(document);
  return document;
}

/** Express's trust-proxy setting: true, a number of hops, or a list of addresses and subnets. */
const trustProxy = (value: string): boolean | number | string => (value === 'true' ? true : /^\d+$/.test(value) ? Number(value) : value);

/** Every POST honours Idempotency-Key (IdempotencyInterceptor): say so once for all of them. */
function documentIdempotencyKeys(document: OpenAPIObject): void {
  for (const path of Object.values(document.paths)) {
    if (!path.post) continue;
    (path.post.parameters ??= []).push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'a repeat with the same key and body returns the first response and changes nothing; the same key with another body is 409 IDEMPOTENCY_CONFLICT',
      schema: { type: 'string', maxLength: 128 },
    });
  }
}
