/**
 * A typed client for the innovation-voucher service (科技创新券), for provincial platforms and labs.
 * Copy this folder (index.ts, schema.d.ts) and add `openapi-fetch`; the types come from openapi.json, the service's
 * /docs-json, through `npm run client`.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

export type VoucherClient = Client<paths>;

export interface VoucherClientOptions {
  /** An API key (`yrdk_…`) or a person's access token, sent as `Authorization: Bearer …`. */
  token?: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/**
 * `createVoucherClient('https://vouchers.example.cn', { token: 'yrdk_…' }).GET('/api/events', { params: { query: { limit: 100 } } })`
 * resolves to `{ data }` on success, `{ error }` (the service's `{ code, message }`) otherwise, and `response` in both.
 */
export function createVoucherClient(baseUrl: string, options: VoucherClientOptions = {}): VoucherClient {
  const headers = { ...options.headers, ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}) };
  return createClient<paths>({ baseUrl: baseUrl.replace(/\/+$/, ''), headers });
}
