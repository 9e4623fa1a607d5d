import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

type IEntryNestModule = Parameters<typeof NestFactory.create>[0];
import type { TestingModule } from '@nestjs/testing';

export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/** HTTP_ADAPTER from the environment (default express); read before the module exists, so not through ConfigModule. */
export function httpAdapterName(env: NodeJS.ProcessEnv = process.env): HttpAdapterName {
  const name = env.HTTP_ADAPTER || 'express';
  if (!(HTTP_ADAPTERS as readonly string[]).includes(name))
    throw new Error(`HTTP_ADAPTER must be one of ${HTTP_ADAPTERS.join(', ')}: got ${name}`);
  return name as HttpAdapterName;
}

/** Express's trust-proxy setting, also understood by Fastify: true, a number of hops, or a list of addresses and subnets. */
export const trustProxy = (value: string): boolean | number | string =>
  value === 'true' ? true : /^\d+$/.test(value) ? Number(value) : value;

/**
 * The Fastify adapter as this service needs it: Fastify's trust-proxy is a constructor option (Express's is a setting
 * made later), and path parameters may be as long as Express lets them be, so a long id is a 400 or 404 from the
 * route, not Fastify's bare 404. Required lazily: an Express deployment never loads Fastify.
 */
function fastifyAdapter() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see above)
  const { FastifyAdapter } = require('@nestjs/platform-fastify') as typeof import('@nestjs/platform-fastify');
  const proxy = process.env.TRUST_PROXY;
  // Fastify takes a hop count too, though its types name only true, addresses and a function.
  const trust = proxy ? { trustProxy: trustProxy(proxy) as string | boolean } : {};
  return new FastifyAdapter({ routerOptions: { maxParamLength: 2048 }, ...trust });
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
