import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Mail {
  to: string[];
  subject: string;
  text: string;
  messageId: string;
}

/** How the sink answers: as a mail server that refuses some recipients, or takes its time. */
export interface SinkBehaviour {
  /** A reply code (4xx, 5xx) refusing `address` at its `nth` RCPT TO (from 1), or undefined to take it. */
  rcpt?: (address: string, nth: number) => number | undefined;
  /** Awaited before a message's DATA is answered: a slow or hanging server. */
  beforeAccept?: () => Promise<void>;
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= and =?UTF-8?Q?…?=) of a header, unfolded and decoded. */
function decodeHeader(value: string): string {
  return value
    .replace(/\r?\n[ \t]+/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc: string, data: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64').toString('utf8')
        : Buffer.from(
            data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

/** The body of a single-part text mail, decoded from its transfer encoding. */
function decodeBody(headers: string, body: string): string {
  const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/** A real SMTP server in the test process (the smtp-server package) that keeps every mail it accepts. */
export class SmtpSink {
  readonly mails: Mail[] = [];
  /** Messages whose DATA has arrived and is not answered yet. */
  waiting = 0;
  private readonly rcpts = new Map<string, number>();
  private server!: SMTPServer;

  static async start(behaviour: SinkBehaviour = {}): Promise<SmtpSink> {
    const sink = new SmtpSink();
    sink.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        const nth = (sink.rcpts.get(address.address) ?? 0) + 1;
        sink.rcpts.set(address.address, nth);
        const code = behaviour.rcpt?.(address.address, nth);
        if (code === undefined) return callback();
        callback(Object.assign(new Error(code >= 500 ? 'no such mailbox' : 'try again later'), { responseCode: code }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          sink.waiting++;
          await behaviour.beforeAccept?.();
          sink.waiting--;
          const raw = Buffer.concat(chunks).toString('utf8');
          const split = raw.indexOf('\r\n\r\n');
          const headers = raw.slice(0, split);
          const subject = /^subject:(.*(?:\r?\n[ \t].*)*)/im.exec(headers)?.[1] ?? '';
          sink.mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: decodeHeader(subject.trim()),
            text: decodeBody(headers, raw.slice(split + 4)),
            messageId: /^message-id:\s*(.*)$/im.exec(headers)?.[1]?.trim() ?? '',
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => sink.server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
