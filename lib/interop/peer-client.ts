import { AuditAction } from '../../contracts/audit.ts';
import { RECEIPT_HEADER, type RequestClaims, SIGNATURE_HEADER } from '../../contracts/interop.ts';
import { auditEvent } from '../audit/events.ts';
import type { Clock } from '../clock.ts';
import { PeerUnavailableError } from '../errors.ts';
import { traceparentOf } from '../ids.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import type { Signer } from '../signing/signer.ts';
import type { AuditStore } from '../store/audit-store.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { ReceiptInvalidError, verifyReceipt } from './receipt.ts';
import { signRequest } from './request-signature.ts';

export interface PeerCallResult {
  status: number;
  /** The parsed JSON answer (`null` when the answer was not JSON). */
  body: unknown;
  /** The callee's `ELG-Receipt`, verified. */
  receipt: string;
}

export interface PeerClient {
  /**
   * A signed call to another province. Resolves with any answer whose receipt verifies (4xx
   * included); throws PeerUnavailableError when the peer is unknown, down, slow, answers 5xx or
   * its circuit is open, and ReceiptInvalidError when the answer is not proven by its receipt.
   */
  call(
    peer: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    body: unknown,
    ctx: { traceId: string },
  ): Promise<PeerCallResult>;
}

export interface HttpPeerClientOptions {
  self: string;
  signer: Signer;
  registry: TrustRegistry;
  auditStore: AuditStore;
  clock: Clock;
  timeoutMs?: number;
  breaker?: CircuitBreaker;
  fetch?: typeof fetch;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

/** Calls other provinces over HTTP with signed requests, and audits every call with its receipt. */
export class HttpPeerClient implements PeerClient {
  readonly breaker: CircuitBreaker;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly o: HttpPeerClientOptions) {
    this.breaker = o.breaker ?? new CircuitBreaker({ clock: o.clock });
    this.timeoutMs = o.timeoutMs ?? 3000;
    this.fetch = o.fetch ?? globalThis.fetch;
  }

  async call(
    peer: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    body: unknown,
    ctx: { traceId: string },
  ): Promise<PeerCallResult> {
    const started = Date.now();
    // The event is dated when the call went out, so timelines show the call before its answer.
    const at = this.o.clock.now();
    const record = async (
      outcome: 'success' | 'refused' | 'error',
      details: Record<string, string | number | null>,
    ) =>
      this.o.auditStore.write(
        auditEvent(
          {
            province: this.o.self,
            traceId: ctx.traceId,
            action: AuditAction.interopOutbound,
            outcome,
            method,
            path: pathWithQuery,
            peer,
            details: { ...details, ms: Date.now() - started },
          },
          at,
        ),
      );
    const province = this.o.registry.province(peer);
    if (province?.status !== 'active') {
      await record('error', { error: 'not an active province in the trust registry' });
      throw new PeerUnavailableError(peer, `${peer} is not an active province in the trust registry`);
    }
    if (!this.breaker.allow(peer)) {
      await record('error', { error: 'circuit open' });
      throw new PeerUnavailableError(
        peer,
        `calls to ${peer} are paused after repeated failures (circuit open)`,
      );
    }
    const text = body === undefined ? '' : JSON.stringify(body);
    const { header, jti } = await signRequest(this.o.signer, {
      iss: this.o.self,
      aud: peer,
      method,
      pathWithQuery,
      body: text,
      traceId: ctx.traceId,
      now: this.o.clock.now(),
    });
    let status: number;
    let answer: string;
    let receiptHeader: string | null;
    try {
      const res = await this.fetch(new URL(pathWithQuery, province.baseUrl), {
        method,
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: header,
          traceparent: traceparentOf(ctx.traceId),
        },
        ...(method === 'GET' ? {} : { body: text }),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      status = res.status;
      receiptHeader = res.headers.get(RECEIPT_HEADER);
      answer = await readBounded(res);
    } catch (err) {
      this.breaker.failure(peer);
      const why =
        err instanceof Error && err.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : 'unreachable';
      await record('error', { jti, error: why });
      throw new PeerUnavailableError(peer, `${peer} is ${why}`);
    }
    let receipt: string;
    try {
      await verifyReceipt(receiptHeader, {
        peer,
        self: this.o.self,
        rjti: jti,
        body: answer,
        status,
        traceId: ctx.traceId,
        registry: this.o.registry,
      });
      receipt = receiptHeader ?? '';
    } catch (err) {
      this.breaker.failure(peer);
      await record('error', {
        jti,
        status,
        error: err instanceof ReceiptInvalidError ? err.message : 'receipt invalid',
      });
      throw err;
    }
    if (status >= 500) {
      this.breaker.failure(peer);
      await record('error', { jti, status, receipt });
      throw new PeerUnavailableError(peer, `${peer} answered ${status}`);
    }
    this.breaker.success(peer);
    await record(status < 400 ? 'success' : 'refused', { jti, status, receipt });
    return { status, body: parseJson(answer), receipt };
  }
}

async function readBounded(res: Response): Promise<string> {
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_ANSWER_BYTES) throw new Error('answer too large');
  const text = await res.text();
  if (text.length > MAX_ANSWER_BYTES) throw new Error('answer too large');
  return text;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
