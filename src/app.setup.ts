import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { documentCommonAnswers } from './common/http/answers';
import { answerUndecodableUrls, trustProxy } from './common/http/adapter';
import { ApiKeysService, API_KEY_PREFIX } from './api-keys/api-keys.service';
import { AccessTokens } from './auth/tokens';
import { BulkCaller, csvBody, jsonBody, registerFastifyBodyParsers } from './common/http/body-parser';
import { registerFastifyEtags } from './common/http/fastify-etag';
import { requestLog } from './common/http/request-log';
import { securityHeaders } from './common/http/security-headers';
import { validationPipe } from './common/http/validation';
import { IDEMPOTENCY_KEY_PATTERN, IGNORES_IDEMPOTENCY_EXTENSION } from './common/idempotency/idempotency.interceptor';
import { AppConfig, appConfig } from './config/configuration';
import { undecodablePage } from './pages/page-error.filter';
import { PageRenderer } from './pages/page-renderer';

/** Everything main.ts and the tests share: the app exactly as it serves. */
export function configureApp(app: INestApplication): INestApplication {
  const config = app.get<AppConfig>(appConfig.KEY);
  app.use(requestLog());
  app.use(securityHeaders({ contentSecurityPolicy: false }));
  // a public page's link whose percent-encoding is broken still reads as a page (src/pages), not as the API's JSON
  answerUndecodableUrls(app, undecodablePage(app.get(PageRenderer)));
  // CORS stays off unless CORS_ORIGINS names the browser origins allowed to call the API.
  if (config.corsOrigins.length > 0) app.enableCors({ origin: config.corsOrigins, credentials: false });
  if (app.getHttpAdapter().getType() === 'fastify') {
    // Fastify took TRUST_PROXY when it was created (createNestApp) and parses bodies itself, before middleware runs.
    registerFastifyBodyParsers(app, config.bodyLimit, bulkCaller(app));
    registerFastifyEtags(app);
  } else {
    if (config.trustProxy) app.getHttpAdapter().getInstance().set('trust proxy', trustProxy(config.trustProxy));
    app.use(jsonBody(config.bodyLimit, bulkCaller(app)));
    app.use(csvBody());
  }
  app.useGlobalPipes(validationPipe);
  app.enableShutdownHooks();
  const document = openApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

/** Who may send a bulk body (body-parser.ts): a token that verifies without the database, or a live API key. */
function bulkCaller(app: INestApplication): BulkCaller {
  const tokens = app.get(AccessTokens, { strict: false });
  const keys = app.get(ApiKeysService, { strict: false });
  return async (authorization) => {
    const bearer = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1] ?? '';
    return bearer.startsWith(API_KEY_PREFIX) ? keys.live(bearer) : tokens.verifies(bearer);
  };
}

/** The OpenAPI document the service serves at /docs-json, and that `npm run client` generates the typed client from. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Yangtze River Delta innovation vouchers')
    .setDescription(
      '科技创新券 通用通兑: policies, budgets, vouchers, cross-province redemption, claims, settlement and clearing. Money in integer fen, ratios in basis points.',
    )
    .setVersion('1')
    .addBearerAuth();
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build());
  documentIdempotencyKeys(document);
  documentCommonAnswers(document);
  documentValueTypes(document);
  return document;
}

/** Money and ratios are integers (API.md: integer fen, basis points): fields so named, wherever a schema has them. */
const INTEGER_FIELD = /(Fen|Bp)$/;

/**
 * What a JSON Schema validator of the answers needs beyond what the decorators say: a money or ratio field is an
 * integer, not any number (a client checking its input refuses 12.5 fen as the service does), and a nullable enum lists
 * null among its values (OpenAPI 3.0.3: `nullable` does not widen an `enum`; without it a validator refuses the null the
 * service answers, e.g. a provider's `kind`).
 */
function documentValueTypes(document: OpenAPIObject): void {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const schema = node as Record<string, unknown>;
    // a copy: the decorators' enum arrays are the service's own constants (IsIn reads them too), shared between schemas
    if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
    const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [name, property] of Object.entries(properties ?? {})) {
      if (INTEGER_FIELD.test(name) && property.type === 'number') property.type = 'integer';
    }
    Object.values(schema).forEach(visit);
  };
  visit(document.components);
  visit(document.paths);
}

/**
 * One tag per capability, in the order a user meets them: find the regions, register and sign in, get verified or
 * admitted, read the policy and the budget, apply for a voucher, find a facility, redeem and book, claim, settle,
 * clear, oversee; then the machine side (events and webhooks) and the service's health.
 */
const TAGS: [string, string][] = [
  ['regions', 'The provinces and cities of the Yangtze River Delta (长三角) and their codes; public.'],
  ['auth', 'Registration, login, sessions, two-factor and the users of an organization or bureau.'],
  ['accounts', 'API keys for provincial systems and labs, and each user’s notifications.'],
  ['organizations', 'Enterprises and providers: verification, admission and public notice (公示), suspension, profiles and bank accounts.'],
  ['policies', 'Each region’s versioned voucher policy (政策): in force on a date, compared across regions.'],
  ['budgets', 'Each region’s yearly budget (预算) that vouchers are funded from.'],
  ['vouchers', 'Applications, issuance, verification, certificates and revocation of innovation vouchers (创新券).'],
  ['facilities', 'The catalogue of instruments and services (仪器设施) and their prices; public to search.'],
  ['redemptions', 'Quotes, holds, capture, cancellation, confirmation, disputes and ratings: where a voucher is spent (通用通兑).'],
  ['bookings', 'Facility calendars, availability, bookings that carry their holds, qualifications and iCalendar feeds.'],
  ['claims', 'Claims for payment (兑付申请) by payees, and their review by the issuing bureau.'],
  ['settlement', 'Settlement batches (结算) of approved claims, paid by the treasury; statements and treasury CSV.'],
  ['clearing', 'Cross-province clearing (清算): gross flows, net positions and transfers, computed and recorded.'],
  ['oversight', 'The audit log, the ledger check, statistics, annual reports, related parties and credit sanctions.'],
  ['events', 'The domain event feed and signed webhooks for machine clients.'],
  ['health', 'Liveness and database reachability, for load balancers and monitoring.'],
];

/** Every POST honours Idempotency-Key (IdempotencyInterceptor) but those that ignore it: say so once for all of them. */
function documentIdempotencyKeys(document: OpenAPIObject): void {
  for (const path of Object.values(document.paths)) {
    if (!path.post) continue;
    const post = path.post as typeof path.post & Record<string, unknown>;
    if (post[IGNORES_IDEMPOTENCY_EXTENSION]) {
      delete post[IGNORES_IDEMPOTENCY_EXTENSION];
      continue;
    }
    (path.post.parameters ??= []).push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'a repeat with the same key and body returns the first response and changes nothing; the same key with another body (or query) is 409 IDEMPOTENCY_CONFLICT. A key belongs to its person, with the API keys they made; one not matching the pattern is 400 VALIDATION_FAILED',
      schema: { type: 'string', minLength: 1, maxLength: 128, pattern: IDEMPOTENCY_KEY_PATTERN },
    });
  }
}
