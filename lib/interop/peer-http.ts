import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type AnswerBody, readBounded } from './peer-answer.ts';

/*
 * One HTTP exchange with another province's gateway, over node:http(s) with keep-alive
 * connections: what fetch did for the peer client, without its web streams, at a fraction of its
 * CPU. The same bounds hold: one deadline for the whole exchange (connection, headers and body),
 * the answer's size, strict UTF-8, and no redirect followed.
 */

export interface ExchangeRequest {
  method: string;
  headers: Record<string, string>;
  /** Sent with its Content-Length; absent for GET. */
  body?: string;
  /** A deadline for this exchange below the transport's own; the transport's when absent. */
  timeoutMs?: number;
}

export interface PeerExchange {
  status: number;
  headers: IncomingHttpHeaders;
  answer: AnswerBody;
}

export interface ExchangeBounds {
  timeoutMs: number;
  maxAnswerBytes: number;
}

/** A kept connection is closed after this much idleness, before a server (5 s in Node) closes it. */
const IDLE_MS = 4000;
/** What fetch refuses with `redirect: "error"`. */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** An exchange that is no answer, for lack of a better word; whyUnavailable calls it unreachable. */
class ExchangeFailedError extends Error {}

export class PeerTransport {
  private readonly agents = {
    'http:': new HttpAgent({ keepAlive: true, scheduling: 'lifo', timeout: IDLE_MS }),
    'https:': new HttpsAgent({ keepAlive: true, scheduling: 'lifo', timeout: IDLE_MS }),
  };

  constructor(private readonly bounds: ExchangeBounds) {}

  /**
   * Sends the request and reads the answer within the bounds. Rejects with a TimeoutError past the
   * deadline, the socket's error (its `code`) when the peer cannot be reached or drops the
   * connection, and an error of readBounded for an answer too large or not UTF-8.
   */
  exchange(url: URL, request: ExchangeRequest): Promise<PeerExchange> {
    const { maxAnswerBytes } = this.bounds;
    const timeoutMs = Math.min(this.bounds.timeoutMs, request.timeoutMs ?? this.bounds.timeoutMs);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: unknown, exchange?: PeerExchange) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (exchange) resolve(exchange);
        else {
          // A failed exchange leaves nothing behind: its connection is closed, never reused.
          req?.destroy();
          reject(err);
        }
      };
      const timer = setTimeout(
        () => settle(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
        timeoutMs,
      );
      let req: ReturnType<typeof httpRequest> | undefined;
      const protocol = url.protocol;
      if ((protocol !== 'http:' && protocol !== 'https:') || url.username || url.password) {
        settle(new ExchangeFailedError(`cannot call ${protocol} URLs, or URLs with credentials`));
        return;
      }
      const headers: Record<string, string | number> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
      const onAnswer = (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (REDIRECTS.has(status)) {
          settle(new ExchangeFailedError(`answered a redirect (${status})`));
          return;
        }
        readBounded(res, maxAnswerBytes, res.headers['content-length']).then(
          (answer) => settle(undefined, { status, headers: res.headers, answer }),
          (err: unknown) => settle(err),
        );
      };
      try {
        req = (protocol === 'https:' ? httpsRequest : httpRequest)(
          {
            protocol,
            hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
            port: url.port,
            path: `${url.pathname}${url.search}`,
            method: request.method,
            headers,
            agent: this.agents[protocol],
          },
          onAnswer,
        );
      } catch (err) {
        settle(err);
        return;
      }
      // Errors after the exchange was settled (the destroyed socket's) have nobody to tell.
      req.on('error', (err) => settle(err));
      req.end(request.body);
    });
  }
}
