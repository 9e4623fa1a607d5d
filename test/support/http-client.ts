/** A reply as the simulation sees it: the status and the parsed JSON body (or the raw text). */
export interface Reply {
  status: number;
  body: any;
  text: string;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** Sent verbatim as a JSON body (malformed-input cases). */
  raw?: string;
  key?: string;
}

/**
 * Plain HTTP over global fetch (keep-alive): the simulation talks to the service as any client would. Given several
 * API nodes, it sends each request to the next one in turn, as a round-robin load balancer would.
 */
export class HttpClient {
  private readonly baseUrls: string[];
  private turn = 0;

  constructor(baseUrl: string | string[]) {
    this.baseUrls = typeof baseUrl === 'string' ? [baseUrl] : baseUrl;
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.key) headers['idempotency-key'] = opts.key;
    let payload: string | undefined;
    if (opts.raw !== undefined) payload = opts.raw;
    else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const baseUrl = this.baseUrls[this.turn++ % this.baseUrls.length];
    const res = await fetch(baseUrl + path, { method, headers, body: payload });
    const text = await res.text();
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, body, text };
  }
}
