import {
  AuditEventsPageSchema,
  type AuditedEvent,
  ConsistencyProofSchema,
  InclusionProofSchema,
} from '../../contracts/audit-api.ts';

/** Where and how to ask one province for its part of a trace. */
export interface TraceSource {
  province: string;
  baseUrl: string;
  /** An auditor bearer token of that province. */
  token: string;
}

export type Check = { ok: true } | { ok: false; reason: string };

/** The cryptographic checks a trace needs; the trust registry provides the keys. */
export interface TraceVerifier {
  /** A province's signed checkpoint: signature by its audit key, origin; returns the tree head. */
  checkpoint(
    province: string,
    note: string,
  ): Promise<{ ok: true; treeSize: number; root: Uint8Array } | { ok: false; reason: string }>;
  /** That the event, as served, is the leaf the proof proves into the given tree head. */
  inclusion(
    event: AuditedEvent,
    proof: { index: number; treeSize: number; leafHash: string; proof: string[] },
    head: { treeSize: number; root: Uint8Array },
  ): Check;
  /** That the later tree head extends the earlier one (RFC 9162 consistency proof, base64 hashes). */
  consistency(
    earlier: { treeSize: number; root: Uint8Array },
    later: { treeSize: number; root: Uint8Array },
    proof: string[],
  ): Check;
  /** A callee's receipt kept in the caller's outbound event. */
  receipt(jws: string, expected: { peer: string; self: string; traceId: string }): Promise<Check>;
}

export type GapKind =
  | 'PROVINCE_UNREACHABLE'
  | 'CHECKPOINT_INVALID'
  | 'PROOF_FAILED'
  | 'NOT_YET_INTEGRATED'
  | 'RECEIPT_INVALID'
  | 'MISSING_INBOUND'
  | 'MISSING_OUTBOUND';

export interface Gap {
  kind: GapKind;
  province: string;
  eventId?: string;
  message: string;
}

export interface TimelineEvent {
  province: string;
  event: AuditedEvent;
  proof: 'verified' | 'pending' | 'failed';
  receipt?: 'verified' | 'failed';
}

export interface Call {
  from: string;
  to: string;
  jti: string;
  outbound?: string;
  inbound?: string;
  status?: number;
}

export interface TraceReport {
  traceId: string;
  provinces: {
    id: string;
    reachable: boolean;
    events: number;
    checkpoint?: { treeSize: number; verified: boolean };
  }[];
  timeline: TimelineEvent[];
  calls: Call[];
  gaps: Gap[];
  ok: boolean;
}

const MAX_PAGES = 50;

/**
 * Assembles one trace across every province: each province's events for the trace id, each
 * proven to be in that province's signed log, every receipt checked, the calls between provinces
 * paired by their request id, and every gap flagged: an outbound call without the inbound event on
 * the other side or the reverse, an unreachable province, a proof or receipt that fails.
 */
export async function assembleTrace(
  traceId: string,
  sources: readonly TraceSource[],
  verifier: TraceVerifier,
  fetchImpl: typeof fetch = fetch,
): Promise<TraceReport> {
  const report: TraceReport = { traceId, provinces: [], timeline: [], calls: [], gaps: [], ok: true };
  for (const source of sources) {
    const part = await collect(traceId, source, verifier, fetchImpl, report.gaps);
    report.provinces.push(part.summary);
    report.timeline.push(...part.timeline);
  }
  report.timeline.sort(
    (a, b) => a.event.time.localeCompare(b.event.time) || a.event.eventId.localeCompare(b.event.eventId),
  );
  report.calls = pairCalls(report.timeline, sources, report.gaps);
  report.ok = report.gaps.length === 0;
  return report;
}

async function collect(
  traceId: string,
  source: TraceSource,
  verifier: TraceVerifier,
  fetchImpl: typeof fetch,
  gaps: Gap[],
) {
  const get = async (path: string) =>
    fetchImpl(new URL(path, source.baseUrl), {
      headers: { authorization: `Bearer ${source.token}` },
      signal: AbortSignal.timeout(10_000),
    });
  const summary: TraceReport['provinces'][number] = { id: source.province, reachable: false, events: 0 };
  const timeline: TimelineEvent[] = [];
  let events: AuditedEvent[] = [];
  try {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const qs = new URLSearchParams({ traceId, limit: '200', ...(cursor ? { cursor } : {}) });
      const res = await get(`/v1/audit/events?${qs}`);
      if (res.status !== 200) throw new Error(`answered ${res.status}`);
      const body = AuditEventsPageSchema.parse(await res.json());
      events.push(...body.items);
      cursor = body.cursor;
      if (!cursor) break;
    }
    summary.reachable = true;
  } catch (err) {
    gaps.push({
      kind: 'PROVINCE_UNREACHABLE',
      province: source.province,
      message: `events could not be read: ${message(err)}`,
    });
    events = [];
    return { summary, timeline };
  }
  summary.events = events.length;
  let head: { treeSize: number; root: Uint8Array } | undefined;
  if (events.length > 0) {
    const res = await get('/v1/audit/checkpoint');
    const note = res.status === 200 ? await res.text() : undefined;
    const checked = note
      ? await verifier.checkpoint(source.province, note)
      : { ok: false as const, reason: `answered ${res.status}` };
    if (checked.ok) {
      head = { treeSize: checked.treeSize, root: checked.root };
      summary.checkpoint = { treeSize: checked.treeSize, verified: true };
    } else {
      gaps.push({
        kind: 'CHECKPOINT_INVALID',
        province: source.province,
        message: `checkpoint: ${checked.reason}`,
      });
    }
  }
  const heads = new Map<string, Awaited<ReturnType<TraceVerifier['checkpoint']>>>();
  const verifiedHead = async (note: string) => {
    const known = heads.get(note);
    if (known) return known;
    const checked = await verifier.checkpoint(source.province, note);
    heads.set(note, checked);
    return checked;
  };
  /** A later checkpoint met during the trace must extend the first one: the log is append-only. */
  const extendsHead = async (later: { treeSize: number; root: Uint8Array }): Promise<Check> => {
    if (!head || later.treeSize === head.treeSize) return { ok: true };
    const res = await get(`/v1/audit/consistency?from=${head.treeSize}&to=${later.treeSize}`);
    const body = ConsistencyProofSchema.safeParse(res.status === 200 ? await res.json() : undefined);
    if (!body.success)
      return { ok: false, reason: `no consistency proof from ${head.treeSize} to ${later.treeSize}` };
    const checked = verifier.consistency(head, later, body.data.proof);
    return checked.ok
      ? checked
      : {
          ok: false,
          reason: `checkpoint ${later.treeSize} does not extend ${head.treeSize}: ${checked.reason}`,
        };
  };
  for (const event of events) {
    const entry: TimelineEvent = { province: source.province, event, proof: 'failed' };
    const res = await get(`/v1/audit/events/${encodeURIComponent(event.eventId)}/proof`);
    if (res.status === 409) {
      entry.proof = 'pending';
      gaps.push({
        kind: 'NOT_YET_INTEGRATED',
        province: source.province,
        eventId: event.eventId,
        message: 'not yet integrated into the log; run the trace again shortly',
      });
    } else if (res.status === 200 && head) {
      const proof = InclusionProofSchema.safeParse(await res.json());
      // The log grows while a trace is read, so each proof names the signed checkpoint it was
      // made against; that checkpoint is verified on its own, and must extend the first one.
      let checked: Check = { ok: false, reason: 'malformed proof' };
      if (proof.success) {
        const against = await verifiedHead(proof.data.checkpoint);
        if (!against.ok) checked = { ok: false, reason: `the proof's checkpoint: ${against.reason}` };
        else if (against.treeSize !== proof.data.treeSize) {
          checked = {
            ok: false,
            reason: `proof for tree size ${proof.data.treeSize}, its checkpoint has ${against.treeSize}`,
          };
        } else {
          checked = await extendsHead(against);
          if (checked.ok) checked = verifier.inclusion(event, proof.data, against);
        }
      }
      if (checked.ok) entry.proof = 'verified';
      else
        gaps.push({
          kind: 'PROOF_FAILED',
          province: source.province,
          eventId: event.eventId,
          message: checked.reason,
        });
    } else {
      gaps.push({
        kind: 'PROOF_FAILED',
        province: source.province,
        eventId: event.eventId,
        message: head ? `proof answered ${res.status}` : 'no verified checkpoint to prove against',
      });
    }
    const receipt = event.details.receipt;
    if (event.action === 'interop.outbound' && typeof receipt === 'string' && event.peer) {
      const checked = await verifier.receipt(receipt, { peer: event.peer, self: source.province, traceId });
      entry.receipt = checked.ok ? 'verified' : 'failed';
      if (!checked.ok) {
        gaps.push({
          kind: 'RECEIPT_INVALID',
          province: source.province,
          eventId: event.eventId,
          message: checked.reason,
        });
      }
    }
    timeline.push(entry);
  }
  return { summary, timeline };
}

/** Pairs each outbound call with the callee's inbound event by the request's single-use jti. */
function pairCalls(timeline: readonly TimelineEvent[], sources: readonly TraceSource[], gaps: Gap[]): Call[] {
  const asked = new Set(sources.map((s) => s.province));
  const reachable = (p: string) => asked.has(p);
  const inbound = new Map<string, TimelineEvent>();
  for (const t of timeline) {
    const jti = t.event.details.jti;
    if (t.event.details.direction === 'inbound' && typeof jti === 'string')
      inbound.set(`${t.province}#${jti}`, t);
  }
  const calls: Call[] = [];
  const matched = new Set<TimelineEvent>();
  for (const t of timeline) {
    const jti = t.event.details.jti;
    if (t.event.action !== 'interop.outbound' || !t.event.peer || typeof jti !== 'string') continue;
    const other = inbound.get(`${t.event.peer}#${jti}`);
    const status = typeof t.event.details.status === 'number' ? t.event.details.status : undefined;
    calls.push({
      from: t.province,
      to: t.event.peer,
      jti,
      outbound: t.event.eventId,
      ...(other ? { inbound: other.event.eventId } : {}),
      ...(status === undefined ? {} : { status }),
    });
    if (other) matched.add(other);
    // A call that never reached the peer (timeout, circuit open) has no receipt and no inbound side.
    else if (typeof t.event.details.receipt === 'string' && reachable(t.event.peer)) {
      gaps.push({
        kind: 'MISSING_INBOUND',
        province: t.event.peer,
        eventId: t.event.eventId,
        message: `${t.province} called ${t.event.peer} (jti ${jti}) and holds its receipt, but ${t.event.peer} shows no inbound event`,
      });
    }
  }
  for (const t of timeline) {
    const jti = t.event.details.jti;
    if (t.event.details.direction !== 'inbound' || matched.has(t) || typeof jti !== 'string' || !t.event.peer)
      continue;
    if (t.event.details.callerVerified !== true) continue;
    calls.push({ from: t.event.peer, to: t.province, jti, inbound: t.event.eventId });
    if (reachable(t.event.peer)) {
      gaps.push({
        kind: 'MISSING_OUTBOUND',
        province: t.event.peer,
        eventId: t.event.eventId,
        message: `${t.province} answered a signed call from ${t.event.peer} (jti ${jti}) that ${t.event.peer} shows no outbound event for`,
      });
    }
  }
  return calls;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
