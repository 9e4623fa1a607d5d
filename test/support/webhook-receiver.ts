import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  eventId: string;
  signature: string;
  rawBody: string;
  body: { id: string; type: string; occurredAt: string; data: Record<string, unknown> };
  at: number;
}

/**
 * A provincial system's webhook endpoint, in the test: node:http on 127.0.0.1, keeping every request's raw body and
 * headers. `answer` decides each response: a status, or 'hang' to keep the request open (a node dying mid-delivery).
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  answer: (r: Received, nth: number) => number | 'hang' = () => 200;
  private server!: Server;
  private readonly hung: ServerResponse[] = [];

  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    r.server = createServer((req, res) => r.handle(req, res));
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/yrd`;
  }

  of(eventId: string): Received[] {
    return this.received.filter((r) => r.eventId === eventId);
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        eventId: String(req.headers['yrd-event-id']),
        signature: String(req.headers['yrd-signature']),
        rawBody,
        body: JSON.parse(rawBody),
        at: Date.now(),
      };
      this.received.push(r);
      const answer = this.answer(r, this.of(r.eventId).length);
      if (answer === 'hang') {
        this.hung.push(res);
        return;
      }
      res.statusCode = answer;
      res.end(answer < 300 ? 'ok' : 'try again');
    });
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
