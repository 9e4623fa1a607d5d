import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { TestingModule } from '@nestjs/testing';
import type { FastifyServerOptions } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { languageOf } from '../i18n/messages';
import { badPath, toErrorBody } from './error.filter';
import type { HttpReply } from './http-neutral';

type IEntryNestModule = Parameters<typeof NestFactory.create>[0];

export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/**
 * HTTP_ADAPTER from the environment, Fastify unless it says express: Fastify cut the service's CPU per hold and per
 * search (docs/adr/0012-http-adapter.md). Read before the module exists, so not through ConfigModule.
 */
export function httpAdapterName(env: NodeJS.ProcessEnv = process.env): HttpAdapterName {
  const name = env.HTTP_ADAPTER || 'fastify';
  if (!(HTTP_ADAPTERS as readonly string[]).includes(name))
    throw new Error(`HTTP_ADAPTER must be one of ${HTTP_ADAPTERS.join(', ')}: got ${name}`);
  return name as HttpAdapterName;
}

/** Express's trust-proxy setting, also understood by Fastify: true, a number of hops, or a list of addresses and subnets. */
export const trustProxy = (value: string): boolean | number | string =>
  value === 'true' ? true : /^\d+$/.test(value) ? Number(value) : value;

/**
 * A page of its own for a URL whose percent-encoding does not decode, or undefined for the API's 400; `accept` is the
 * request's Accept header, which tells a browser from an API client.
 */
export type UndecodableUrlPage = (
  path: string,
  accept: string | undefined,
) => { statusCode: number; headers: Record<string, string>; body: string } | undefined;

/** Where answerUndecodableUrls leaves the page on the Fastify instance, for frameworkErrors to find. */
const UNDECODABLE_URL_PAGE = 'undecodableUrlPage';

const decodes = (path: string): boolean => {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * Lets `page` answer the URLs it claims among those whose percent-encoding does not decode (`/verify/%E0%A4%A`), which
 * otherwise get the API's 400. Fastify's router reports them to frameworkErrors before any hook or middleware runs, so
 * the page is kept on the Fastify instance for it; Express routes them and fails on the route's parameter, so a
 * middleware ahead of the routes answers first.
 */
export function answerUndecodableUrls(app: INestApplication, page: UndecodableUrlPage): void {
  if (app.getHttpAdapter().getType() === 'fastify') {
    (app.getHttpAdapter().getInstance() as { decorate(name: string, value: unknown): void }).decorate(UNDECODABLE_URL_PAGE, page);
    return;
  }
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? '').split('?')[0];
    const answer = decodes(path) ? undefined : page(path, req.headers.accept);
    if (!answer) return next();
    res.writeHead(answer.statusCode, answer.headers).end(answer.body);
  });
}

/**
 * The Fastify adapter as this service needs it: Fastify's trust-proxy is a constructor option (Express's is a setting
 * made later); path parameters as long as Express lets them be (Node caps a URL at its 16 KiB header limit), where
 * Fastify's default of 100 characters answers a bare 414; and a URL the router cannot decode answered in the API's
 * error shape, not Fastify's (or with a page that claims it, answerUndecodableUrls). Required lazily: an Express
 * deployment never loads Fastify.
 */
function fastifyAdapter() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
  const { FastifyAdapter } = require('@nestjs/platform-fastify') as typeof import('@nestjs/platform-fastify');
  const proxy = process.env.TRUST_PROXY;
  // Fastify takes a hop count too, though its types name only true, addresses and a function.
  const trust = proxy ? { trustProxy: trustProxy(proxy) as string | boolean } : {};
  const options = {
    // `/verify/<code>/` (a QR reader or chat app adding a slash) is the same page, as Express routes it.
    routerOptions: { maxParamLength: 16_384, ignoreTrailingSlash: true },
    frameworkErrors: (error, req, reply) => {
      // Fastify's reply types are generic over route schemas this handler has none of: the neutral reply says enough.
      const res = reply as unknown as HttpReply;
      const pages = (req.server as unknown as Record<string, UndecodableUrlPage | undefined>)[UNDECODABLE_URL_PAGE];
      const page = error.code === 'FST_ERR_BAD_URL' ? pages?.(req.url.split('?')[0], req.headers.accept) : undefined;
      if (page) {
        res.status(page.statusCode);
        for (const [name, value] of Object.entries(page.headers)) res.header(name, value);
        return void res.send(page.body);
      }
      const body = toErrorBody(badPath(), undefined, languageOf(req));
      res.status(body.statusCode);
      res.type('application/json');
      res.send(body);
    },
  } satisfies FastifyServerOptions;
  return new FastifyAdapter({ ...options, ...trust });
}

// Bodies are parsed by configureApp (body-parser.ts) with the API's error shapes, under either adapter.
const OPTIONS: NestApplicationOptions = { bodyParser: false };

/** The Nest application on the adapter HTTP_ADAPTER names. */
export function createNestApp(module: IEntryNestModule, options: NestApplicationOptions = {}): Promise<INestApplication> {
  const opts = { ...OPTIONS, ...options };
  return httpAdapterName() === 'fastify' ? NestFactory.create(module, fastifyAdapter(), opts) : NestFactory.create(module, opts);
}

/** The same for a compiled testing module. */
export function createTestingApp(moduleRef: TestingModule, options: NestApplicationOptions = {}): INestApplication {
  const opts = { ...OPTIONS, ...options };
  return httpAdapterName() === 'fastify' ? moduleRef.createNestApplication(fastifyAdapter(), opts) : moduleRef.createNestApplication(opts);
}

/** Fastify routes are ready only after `ready()`; supertest on the bare server needs them (Express needs nothing). */
export async function whenReady(app: INestApplication): Promise<void> {
  if (app.getHttpAdapter().getType() === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
}
