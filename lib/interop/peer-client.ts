import { AuditAction } from '../../contracts/audit.ts';
import { RECEIPT_HEADER, type RequestClaims, SIGNATURE_HEADER } from '../../contracts/interop.ts';
import {
  type InteropRouteSpec,
  pathOf,
  type RouteBody,
  type RouteParams,
} from '../../contracts/interop-routes.ts';
import { auditEvent } from '../audit/events.ts';
import type { AuditSink } from '../audit/sink.ts';
import type { Clock } from '../clock.ts';
import { DependencyUnavailableError, PeerUnavailableError } from '../errors.ts';
import { traceparentOf } from '../ids.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import type { Signer } from '../signing/signer.ts';
import { CircuitBreaker, type CircuitPermit } from './circuit-breaker.ts';
import { type AnswerBody, causeOf, parseJson, readBounded, whyUnavailable } from './peer-answer.ts';
import { ReceiptInvalidError, verifyReceipt } from './receipt.ts';
import { signRequest } from './request-signature.ts';

export type { AuditSink };

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
   * included); throws PeerUnavailableError when the peer is unknown, down, slow, answers 5xx, too
   * much or not UTF-8, or its circuit is open; ReceiptInvalidError when the answer is not proven
   * by its receipt; DependencyUnavailableError when this province cannot sign the request (its
   * own key, not the peer). Every attempt leaves an `interop.outbound` event with its cause.
   */
  call(
    peer: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    body: unknown,
    ctx: { traceId: string },
  ): Promise<PeerCallResult>;
}

/**
 * A signed call to one of the interop routes of contracts/interop-routes.ts: its method, its path
 * with `params` filled in, and a body its request contract accepts (checked by the compiler, not
 * parsed, so the bytes sent are the body's JSON as given). Answers and throws as `peers.call`.
 */
export function callRoute<R extends InteropRouteSpec>(
  peers: Pick<PeerClient, 'call'>,
  peer: string,
  route: R,
  params: RouteParams<R>,
  body: RouteBody<R>,
  ctx: { traceId: string },
): Promise<PeerCallResult> {
  return peers.call(peer, route.method, pathOf(route, params), body, ctx);
}

export interface HttpPeerClientOptions {
  self: string;
  signer: Signer;
  registry: TrustRegistry;
  auditStore: AuditSink;
  clock: Clock;
  timeoutMs?: number;
  breaker?: CircuitBreaker;
  fetch?: typeof fetch;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

type Recorder = (
  outcome: 'success' | 'refused' | 'error',
  details: { [key: string]: string | number | null },
) => Promise<void>;

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
    const record: Recorder = async (outcome, details) =>
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
    const permit = this.breaker.permit(peer);
    if (!permit) {
      await record('error', { error: 'circuit open' });
      throw new PeerUnavailableError(
        peer,
        `calls to ${peer} are paused after repeated failures (circuit open)`,
      );
    }
    try {
      return await this.send(peer, province.baseUrl, method, pathWithQuery, body, ctx, { permit, record });
    } finally {
      // Whatever ended the call without a verdict on the peer, the trial's place is given back.
      permit.release();
    }
  }

  private async send(
    peer: string,
    baseUrl: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    body: unknown,
    ctx: { traceId: string },
    { permit, record }: { permit: CircuitPermit; record: Recorder },
  ): Promise<PeerCallResult> {
    const text = body === undefined ? '' : JSON.stringify(body);
    let signed: { header: string; jti: string };
    try {
      signed = await signRequest(this.o.signer, {
        iss: this.o.self,
        aud: peer,
        method,
        pathWithQuery,
        body: text,
        traceId: ctx.traceId,
        now: this.o.clock.now(),
      });
    } catch (err) {
      // The request never left: the fault is this province's key, not the peer.
      await record('error', { error: 'signing failed', cause: causeOf(err) });
      // A TypeError is a wiring mistake (a key of the wrong purpose), not a dependency down.
      if (err instanceof TypeError || err instanceof DependencyUnavailableError) throw err;
      throw new DependencyUnavailableError('signing with the gateway key', err);
    }
    const { header, jti } = signed;
    let status: number;
    let answer: AnswerBody;
    let receiptHeader: string | null;
    // One deadline for the whole call, headers and body, held by this call's own timer:
    // AbortSignal.timeout() alone can be collected with its timer once fetch has answered the
    // headers, and a peer that then stalls its body would hold the call for ever.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException(`no answer within ${this.timeoutMs} ms`, 'TimeoutError')),
      this.timeoutMs,
    );
    try {
      const res = await this.fetch(new URL(pathWithQuery, baseUrl), {
        method,
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: header,
          traceparent: traceparentOf(ctx.traceId),
        },
        ...(method === 'GET' ? {} : { body: text }),
        signal: deadline.signal,
        redirect: 'error',
      });
      status = res.status;
      receiptHeader = res.headers.get(RECEIPT_HEADER);
      answer = await readBounded(res, MAX_ANSWER_BYTES, deadline.signal);
    } catch (err) {
      permit.failure();
      const why = whyUnavailable(err, this.timeoutMs);
      await record('error', { jti, error: why });
      throw new PeerUnavailableError(peer, `${peer}: ${why}`);
    } finally {
      clearTimeout(timer);
    }
    if (status >= 500 && receiptHeader === null) {
      // A gateway or balancer in front of the peer, not the peer's gateway: nothing to prove.
      permit.failure();
      await record('error', { jti, status, error: `answered ${status} without a receipt` });
      throw new PeerUnavailableError(peer, `${peer} answered ${status}`);
    }
    let receipt: string;
    try {
      await verifyReceipt(receiptHeader, {
        peer,
        self: this.o.self,
        rjti: jti,
        // The bytes received: what the receipt's hash is over (the text encodes back to them).
        body: answer.bytes,
        status,
        traceId: ctx.traceId,
        registry: this.o.registry,
      });
      receipt = receiptHeader ?? '';
    } catch (err) {
      permit.failure();
      await record('error', {
        jti,
        status,
        error: err instanceof ReceiptInvalidError ? err.message : 'receipt invalid',
      });
      throw err;
    }
    if (status >= 500) {
      permit.failure();
      await record('error', { jti, status, receipt });
      throw new PeerUnavailableError(peer, `${peer} answered ${status}`);
    }
    permit.success();
    await record(status < 400 ? 'success' : 'refused', { jti, status, receipt });
    return { status, body: parseJson(answer.text), receipt };
  }
}
