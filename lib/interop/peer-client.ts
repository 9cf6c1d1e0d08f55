import { AuditAction, type AuditEvent, type AuditOutcome } from '../../contracts/audit.ts';
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
import { randomHex } from '../http/random.ts';
import { traceparentOf } from '../ids.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import type { Signer } from '../signing/signer.ts';
import { CircuitBreaker, type CircuitPermit } from './circuit-breaker.ts';
import { type AnswerBody, causeOf, parseJson, whyUnavailable } from './peer-answer.ts';
import { PeerTransport } from './peer-http.ts';
import { ReceiptInvalidError, verifyReceipt } from './receipt.ts';
import { signRequest } from './request-signature.ts';

export type { AuditSink };

export interface PeerCallResult {
  status: number;
  /** The parsed JSON answer (`null` when the answer was not JSON). */
  body: unknown;
  /** The callee's `ELG-Receipt`, verified. */
  receipt: string;
  /** What the call's `interop.outbound` event would hold, when the caller records the call itself. */
  outbound?: OutboundRecord;
}

/** The answer of a signed call made with a text body (`callText`). */
export interface PeerTextResult {
  status: number;
  /** The answer's body as text, exactly as received (strict UTF-8). */
  text: string;
  /** The answer's `Content-Type`, as sent; null when there was none. */
  contentType: string | null;
  /** The callee's `ELG-Receipt`, verified. */
  receipt: string;
  /** As PeerCallResult's, when the caller records the call itself. */
  outbound?: OutboundRecord;
}

/** A text body for a signed call, and how long that one call may take at most. */
export interface PeerTextRequest {
  text: string;
  /** The request's `Content-Type`, e.g. `text/plain; charset=utf-8`. */
  contentType: string;
  /**
   * A bound for this call below the client's own (never above it): a caller that must be done
   * by a deadline passes what is left of it. The client's bound when absent.
   */
  timeoutMs?: number;
}

/** The details of an outbound call as its `interop.outbound` event records them. */
export type OutboundDetails = { [key: string]: string | number | null };

/** One attempt of a signed call: everything its `interop.outbound` event is made of. */
export interface OutboundRecord {
  peer: string;
  method: string;
  path: string;
  outcome: AuditOutcome;
  /** When the call went out. */
  at: Date;
  /** `jti`, `status`, `receipt`, `ms`, `error`, `cause`: those the attempt had. */
  details: OutboundDetails;
}

/**
 * Who records a call: the peer client (`client`, the default) writes its `interop.outbound` event;
 * `caller` hands the record back instead, in the result or on the error thrown (`outboundOf`), for
 * the caller to carry in its own event (a verification's `verify` event, docs/protocol.md §9.2).
 */
export interface PeerCallContext {
  traceId: string;
  recordedBy?: 'client' | 'caller';
}

const OUTBOUND = Symbol('elg.outbound');

/** The outbound record a call that threw left on its error, when its caller records the call. */
export function outboundOf(err: unknown): OutboundRecord | undefined {
  return typeof err === 'object' && err !== null
    ? (err as { [OUTBOUND]?: OutboundRecord })[OUTBOUND]
    : undefined;
}

/** The `interop.outbound` event of an outbound record. */
export function outboundEvent(province: string, traceId: string, r: OutboundRecord): AuditEvent {
  return auditEvent(
    {
      province,
      traceId,
      action: AuditAction.interopOutbound,
      outcome: r.outcome,
      method: r.method,
      path: r.path,
      peer: r.peer,
      details: r.details,
    },
    r.at,
  );
}

export interface PeerClient {
  /**
   * A signed call to another province. Resolves with any answer whose receipt verifies (4xx
   * included); throws PeerUnavailableError when the peer is unknown, down, slow, answers 5xx, too
   * much or not UTF-8, or its circuit is open; ReceiptInvalidError when the answer is not proven
   * by its receipt; DependencyUnavailableError when this province cannot sign the request (its
   * own key, not the peer). Every attempt leaves an `interop.outbound` event with its cause, or,
   * with `ctx.recordedBy: 'caller'`, hands its record to the caller (`outbound` on the result,
   * `outboundOf(err)` on the error) for the caller's own event.
   */
  call(
    peer: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    body: unknown,
    ctx: PeerCallContext,
  ): Promise<PeerCallResult>;
}

/**
 * Signed calls with a text body of a given content type (the C2SP tlog-witness request, whose
 * answers are text too). Signed, bounded, receipt-checked and audited exactly as `call`; resolves
 * with the answer's status, text and content type.
 */
export interface TextPeerClient {
  callText(
    peer: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    request: PeerTextRequest,
    ctx: PeerCallContext,
  ): Promise<PeerTextResult>;
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
  ctx: PeerCallContext,
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
}

const MAX_ANSWER_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/json';
/** node:http gives header names in lower case. */
const RECEIPT_HEADER_NAME = RECEIPT_HEADER.toLowerCase();

/** A response header as fetch's `headers.get` gives it: repeated values joined, absent as null. */
function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Records an attempt; its error (when it throws one) carries the record to a recording caller. */
type Recorder = (outcome: AuditOutcome, details: OutboundDetails, err?: Error) => Promise<OutboundRecord>;

/** Calls other provinces over HTTP with signed requests, and audits every call with its receipt. */
export class HttpPeerClient implements PeerClient, TextPeerClient {
  readonly breaker: CircuitBreaker;
  private readonly timeoutMs: number;
  private readonly transport: PeerTransport;

  constructor(private readonly o: HttpPeerClientOptions) {
    this.breaker = o.breaker ?? new CircuitBreaker({ clock: o.clock });
    this.timeoutMs = o.timeoutMs ?? 3000;
    this.transport = new PeerTransport({ timeoutMs: this.timeoutMs, maxAnswerBytes: MAX_ANSWER_BYTES });
  }

  async call(
    peer: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    body: unknown,
    ctx: PeerCallContext,
  ): Promise<PeerCallResult> {
    const text = body === undefined ? '' : JSON.stringify(body);
    const answer = await this.signedExchange(
      peer,
      method,
      pathWithQuery,
      { text, contentType: JSON_TYPE },
      ctx,
    );
    return {
      status: answer.status,
      body: parseJson(answer.text),
      receipt: answer.receipt,
      ...(answer.outbound ? { outbound: answer.outbound } : {}),
    };
  }

  async callText(
    peer: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    request: PeerTextRequest,
    ctx: PeerCallContext,
  ): Promise<PeerTextResult> {
    if (typeof request.text !== 'string') throw new TypeError('a text call has a string body');
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(;[ -~]*)?$/.test(request.contentType)) {
      throw new TypeError(`not a content type: ${JSON.stringify(request.contentType)}`);
    }
    if (request.timeoutMs !== undefined && (!Number.isFinite(request.timeoutMs) || request.timeoutMs < 0)) {
      throw new TypeError(`a call's bound is a number of milliseconds: ${request.timeoutMs}`);
    }
    return this.signedExchange(peer, method, pathWithQuery, request, ctx);
  }

  private async signedExchange(
    peer: string,
    method: RequestClaims['htm'],
    pathWithQuery: string,
    request: PeerTextRequest,
    ctx: PeerCallContext,
  ): Promise<PeerTextResult> {
    const started = Date.now();
    // The event is dated when the call went out, so timelines show the call before its answer.
    const at = this.o.clock.now();
    const record: Recorder = async (outcome, details, err) => {
      const r: OutboundRecord = {
        peer,
        method,
        path: pathWithQuery,
        outcome,
        at,
        details: { ...details, ms: Date.now() - started },
      };
      if (ctx.recordedBy === 'caller') {
        if (err) Object.defineProperty(err, OUTBOUND, { value: r, enumerable: false });
      } else await this.o.auditStore.write(outboundEvent(this.o.self, ctx.traceId, r));
      return r;
    };
    const province = this.o.registry.province(peer);
    if (province?.status !== 'active') {
      const err = new PeerUnavailableError(peer, `${peer} is not an active province in the trust registry`);
      await record('error', { error: 'not an active province in the trust registry' }, err);
      throw err;
    }
    const permit = this.breaker.permit(peer);
    if (!permit) {
      const err = new PeerUnavailableError(
        peer,
        `calls to ${peer} are paused after repeated failures (circuit open)`,
      );
      await record('error', { error: 'circuit open' }, err);
      throw err;
    }
    try {
      return await this.send(peer, province.baseUrl, method, pathWithQuery, request, ctx, { permit, record });
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
    request: PeerTextRequest,
    ctx: PeerCallContext,
    { permit, record }: { permit: CircuitPermit; record: Recorder },
  ): Promise<PeerTextResult> {
    const { text } = request;
    // A bound for this call only ever shortens the client's.
    const timeoutMs = Math.min(this.timeoutMs, request.timeoutMs ?? this.timeoutMs);
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
      // A TypeError is a wiring mistake (a key of the wrong purpose), not a dependency down.
      const thrown =
        err instanceof TypeError || err instanceof DependencyUnavailableError
          ? err
          : new DependencyUnavailableError('signing with the gateway key', err);
      await record('error', { error: 'signing failed', cause: causeOf(err) }, thrown);
      throw thrown;
    }
    const { header, jti } = signed;
    let status: number;
    let answer: AnswerBody;
    let receiptHeader: string | null;
    let contentType: string | null;
    try {
      // One deadline for the whole exchange, headers and body (peer-http.ts).
      const exchange = await this.transport.exchange(new URL(pathWithQuery, baseUrl), {
        method,
        ...(timeoutMs < this.timeoutMs ? { timeoutMs } : {}),
        headers: {
          'content-type': request.contentType,
          [SIGNATURE_HEADER]: header,
          traceparent: traceparentOf(ctx.traceId, randomHex(8)),
        },
        ...(method === 'GET' ? {} : { body: text }),
      });
      status = exchange.status;
      receiptHeader = headerText(exchange.headers[RECEIPT_HEADER_NAME]);
      contentType = headerText(exchange.headers['content-type']);
      answer = exchange.answer;
    } catch (err) {
      permit.failure();
      const why = whyUnavailable(err, timeoutMs);
      const unavailable = new PeerUnavailableError(peer, `${peer}: ${why}`);
      await record('error', { jti, error: why }, unavailable);
      throw unavailable;
    }
    if (status >= 500 && receiptHeader === null) {
      // A gateway or balancer in front of the peer, not the peer's gateway: nothing to prove.
      permit.failure();
      const err = new PeerUnavailableError(peer, `${peer} answered ${status}`);
      await record('error', { jti, status, error: `answered ${status} without a receipt` }, err);
      throw err;
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
      const error = err instanceof ReceiptInvalidError ? err.message : 'receipt invalid';
      await record('error', { jti, status, error }, err instanceof Error ? err : undefined);
      throw err;
    }
    if (status >= 500) {
      permit.failure();
      const err = new PeerUnavailableError(peer, `${peer} answered ${status}`);
      await record('error', { jti, status, receipt }, err);
      throw err;
    }
    permit.success();
    const outbound = await record(status < 400 ? 'success' : 'refused', { jti, status, receipt });
    return {
      status,
      text: answer.text,
      contentType,
      receipt,
      ...(ctx.recordedBy === 'caller' ? { outbound } : {}),
    };
  }
}
