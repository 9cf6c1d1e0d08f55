import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RECEIPT_HEADER, SIGNATURE_HEADER } from '../../contracts/interop.ts';

/** What the hostile province received, and what the real province answered to it. */
export interface Relayed {
  method: string;
  path: string;
  /** The caller's signed claims, read from its (canonical) ELG-Signature. */
  claims: { iss: string; aud: string; jti: string; tid: string };
  real: { status: number; text: string; receipt: string | null };
}

export interface HostileAnswer {
  status: number;
  body: string;
  receipt?: string | null;
  /** Sent in 64 KiB chunks without Content-Length. */
  chunked?: boolean;
  headers?: Record<string, string>;
}

export type Behaviour = (r: Relayed) => HostileAnswer | Promise<HostileAnswer>;

export const honest: Behaviour = (r) => ({
  status: r.real.status,
  body: r.real.text,
  receipt: r.real.receipt,
});

/**
 * A server that stands where the registry says a province is. It relays each request to the real
 * province, then answers whatever its current behaviour makes of the real answer: the province's
 * keys in the wrong hands, or a man in the middle with keys of its own.
 */
export class HostilePeer {
  behaviour: Behaviour = honest;
  hits = 0;
  private server: Server | undefined;
  /** The real province's URL, known once the federation runs. */
  target = '';

  async listen(host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.statusCode = 599;
        res.end(String(err));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    this.hits += 1;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const signature = String(req.headers[SIGNATURE_HEADER.toLowerCase()] ?? '');
    const forwarded = await fetch(`${this.target}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers: {
        'content-type': String(req.headers['content-type'] ?? 'application/json'),
        [SIGNATURE_HEADER]: signature,
        ...(req.headers.traceparent ? { traceparent: String(req.headers.traceparent) } : {}),
      },
      ...(req.method === 'GET' ? {} : { body }),
    });
    const real = {
      status: forwarded.status,
      text: await forwarded.text(),
      receipt: forwarded.headers.get(RECEIPT_HEADER),
    };
    const claims = JSON.parse(Buffer.from(signature.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const answer = await this.behaviour({ method: req.method ?? '', path: req.url ?? '', claims, real });
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json');
    for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
    if (answer.receipt) res.setHeader(RECEIPT_HEADER, answer.receipt);
    if (!answer.chunked) {
      res.setHeader('content-length', Buffer.byteLength(answer.body));
      res.end(answer.body);
      return;
    }
    const bytes = Buffer.from(answer.body);
    for (let i = 0; i < bytes.length; i += 64 * 1024) {
      if (!res.write(bytes.subarray(i, i + 64 * 1024))) {
        await new Promise<void>((resolve, reject) => {
          const hungUp = () => reject(new Error('the caller hung up'));
          res.once('close', hungUp);
          res.once('drain', () => {
            res.off('close', hungUp);
            resolve();
          });
        });
      }
    }
    res.end();
  }
}
