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
  /** The province's departments, so an actor's USCC can be shown with its name. */
  departments?: readonly { uscc: string; name: string }[];
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
  /** The registry the checks are made against: its serial, when it was signed, province names. */
  registry?(): RegistryView;
}

export interface RegistryView {
  seq: number;
  /** When the root signed this copy (RFC 3339). */
  issuedAt: string;
  names: Readonly<Record<string, string>>;
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
  /** The leaf the inclusion proof proved, when it verified. */
  leafIndex?: number;
  receipt?: 'verified' | 'failed';
  /** The acting department (the actor's USCC, with its name when the province lists it). */
  department?: { uscc: string; name?: string };
}

/** What a call's answer means: 2xx success, 4xx refused, 5xx or no answer at all an error. */
export type CallClass = 'success' | 'refused' | 'error';

export interface Call {
  from: string;
  to: string;
  /** The signed request's single-use id; absent when the call failed before it was signed. */
  jti?: string;
  outbound?: string;
  inbound?: string;
  /** HTTP status the callee answered; absent when no answer came. */
  status?: number;
  class: CallClass;
  /** The callee's error code for a refusal or error, from its inbound event. */
  errorCode?: string;
  /** Why the caller got no usable answer (timeout, connection refused, circuit open). */
  error?: string;
}

/** A verification in the trace: the verdict a platform was given, with its reason codes. */
export interface TraceVerdict {
  province: string;
  eventId: string;
  verdict: string;
  reasons: string[];
  /** Whether the verify event itself is proven in its log; an unproven verdict is no evidence. */
  proof: TimelineEvent['proof'];
  identifier?: string;
  matterCode?: string;
  useCause?: string;
}

export interface TraceReport {
  traceId: string;
  /** When the report was assembled (RFC 3339). */
  generatedAt: string;
  /** The trust registry the checkpoints and receipts were checked against. */
  registry?: { seq: number; issuedAt: string };
  /** Whether any province holds events for the trace: a trace nobody saw is not verified. */
  found: boolean;
  provinces: {
    id: string;
    /** The province's name in the trust registry. */
    name?: string;
    reachable: boolean;
    events: number;
    /** The signed tree head the trace was checked against: size and base64 root hash. */
    checkpoint?: { treeSize: number; root: string; verified: boolean };
  }[];
  timeline: TimelineEvent[];
  calls: Call[];
  verdicts: TraceVerdict[];
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
  const registry = verifier.registry?.();
  const report: TraceReport = {
    traceId,
    generatedAt: '',
    ...(registry ? { registry: { seq: registry.seq, issuedAt: registry.issuedAt } } : {}),
    found: false,
    provinces: [],
    timeline: [],
    calls: [],
    verdicts: [],
    gaps: [],
    ok: true,
  };
  for (const source of sources) {
    const name = registry?.names[source.province];
    const part = await collect(traceId, source, name, verifier, fetchImpl, report.gaps);
    report.provinces.push(part.summary);
    report.timeline.push(...part.timeline);
  }
  report.timeline.sort(
    (a, b) => a.event.time.localeCompare(b.event.time) || a.event.eventId.localeCompare(b.event.eventId),
  );
  report.calls = pairCalls(report.timeline, sources, report.gaps);
  report.verdicts = verdictsOf(report.timeline);
  report.found = report.timeline.length > 0;
  // No event anywhere is no evidence of anything: the trace is not "verified, no gaps".
  report.ok = report.found && report.gaps.length === 0;
  report.generatedAt = new Date().toISOString();
  return report;
}

/** The class of a call by the status its callee answered; no answer at all is an error. */
export function callClass(status: number | undefined): CallClass {
  if (status === undefined || status >= 500 || status < 200) return 'error';
  return status >= 400 ? 'refused' : 'success';
}

function verdictsOf(timeline: readonly TimelineEvent[]): TraceVerdict[] {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return timeline.flatMap(({ province, event, proof }) => {
    const verdict = text(event.details.verdict);
    if (event.action !== 'verify' || !verdict) return [];
    const identifier = text(event.identifier);
    const matterCode = text(event.details.matterCode);
    const useCause = text(event.details.useCause);
    return [
      {
        province,
        eventId: event.eventId,
        verdict,
        reasons: (text(event.details.reasons) ?? '').split(',').filter((r) => r !== ''),
        proof,
        ...(identifier ? { identifier } : {}),
        ...(matterCode ? { matterCode } : {}),
        ...(useCause ? { useCause } : {}),
      },
    ];
  });
}

async function collect(
  traceId: string,
  source: TraceSource,
  name: string | undefined,
  verifier: TraceVerifier,
  fetchImpl: typeof fetch,
  gaps: Gap[],
) {
  const get = async (path: string) =>
    fetchImpl(new URL(path, source.baseUrl), {
      headers: { authorization: `Bearer ${source.token}` },
      signal: AbortSignal.timeout(10_000),
    });
  const summary: TraceReport['provinces'][number] = {
    id: source.province,
    ...(name ? { name } : {}),
    reachable: false,
    events: 0,
  };
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
      summary.checkpoint = {
        treeSize: checked.treeSize,
        root: Buffer.from(checked.root).toString('base64'),
        verified: true,
      };
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
  const departments = new Map((source.departments ?? []).map((d) => [d.uscc, d.name] as const));
  for (const event of events) {
    const entry: TimelineEvent = { province: source.province, event, proof: 'failed' };
    const uscc = event.actor.uscc;
    if (uscc) {
      const name = departments.get(uscc);
      entry.department = name ? { uscc, name } : { uscc };
    }
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
      if (checked.ok) {
        entry.proof = 'verified';
        if (proof.success) entry.leafIndex = proof.data.index;
      } else
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

/**
 * Pairs each outbound call with the callee's inbound event by the request's single-use jti. A call
 * that failed before it was signed (peer not active, circuit open) has no jti and no other side.
 */
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
    if (t.event.action !== 'interop.outbound' || !t.event.peer) continue;
    const jti = typeof t.event.details.jti === 'string' ? t.event.details.jti : undefined;
    const other = jti === undefined ? undefined : inbound.get(`${t.event.peer}#${jti}`);
    const status = typeof t.event.details.status === 'number' ? t.event.details.status : undefined;
    const error = typeof t.event.details.error === 'string' ? t.event.details.error : undefined;
    const errorCode = other?.event.errorCode;
    calls.push({
      from: t.province,
      to: t.event.peer,
      ...(jti === undefined ? {} : { jti }),
      outbound: t.event.eventId,
      ...(other ? { inbound: other.event.eventId } : {}),
      ...(status === undefined ? {} : { status }),
      class: callClass(status),
      ...(errorCode ? { errorCode } : {}),
      ...(error ? { error } : {}),
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
    const status = typeof t.event.details.status === 'number' ? t.event.details.status : undefined;
    calls.push({
      from: t.event.peer,
      to: t.province,
      jti,
      inbound: t.event.eventId,
      ...(status === undefined ? {} : { status }),
      class: callClass(status),
      ...(t.event.errorCode ? { errorCode: t.event.errorCode } : {}),
    });
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
