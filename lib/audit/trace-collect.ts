import {
  AuditEventsPageSchema,
  type AuditedEvent,
  ConsistencyProofSchema,
  InclusionProofSchema,
} from '../../contracts/audit-api.ts';
import { describeWitnessStatus, type WitnessStatus } from '../witness/quorum.ts';
import type { Check, TraceSource, TraceVerifier } from './trace.ts';
import { isOutboundCall } from './trace-calls.ts';
import type { Gap, TimelineEvent, TraceReport } from './trace-report.ts';

const MAX_PAGES = 50;

/**
 * One province's part of a trace: its events for the trace id, each proven against its signed
 * checkpoint (and every later checkpoint met proven to extend it), every receipt checked; what
 * fails is pushed to `gaps`.
 */
export async function collect(
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
  /**
   * Every checkpoint the trace verifies is checked for its quorum. Each checkpoint an event is
   * proven against that lacks it (in a log with a witness policy) is one NOT_WITNESSED gap: the
   * event's evidence is then only the province's own word. The newest checkpoint the trace starts
   * from is shown with its witnesses; a head just signed and not cosigned yet is no gap by itself,
   * as the auditor API proves events against the newest witnessed checkpoint that covers them.
   */
  const witnessed = (note: string, treeSize: number, flag: boolean): WitnessStatus => {
    let status: WitnessStatus;
    try {
      status = verifier.witnesses(source.province, note);
    } catch (err) {
      status = {
        witnessed: false,
        cosigners: [],
        missing: [],
        rejected: [{ reason: 'MALFORMED', message: message(err) }],
      };
    }
    if (flag && status.policy && !status.witnessed) {
      gaps.push({
        kind: 'NOT_WITNESSED',
        province: source.province,
        message: `checkpoint ${treeSize}, which events are proven against: ${describeWitnessStatus(status)}${
          status.missing.length > 0 ? `; no valid cosignature from ${status.missing.join(', ')}` : ''
        }${status.rejected.map((r) => `; not counted: ${r.reason}${r.name ? ` ${r.name}` : ''} (${r.message})`).join('')}`,
      });
    }
    return status;
  };
  let head: { treeSize: number; root: Uint8Array } | undefined;
  if (events.length > 0) {
    const res = await get('/v1/audit/checkpoint');
    const note = res.status === 200 ? await res.text() : undefined;
    const checked =
      note !== undefined
        ? { note, ...(await verifier.checkpoint(source.province, note)) }
        : { note: '', ok: false as const, reason: `answered ${res.status}` };
    if (checked.ok) {
      head = { treeSize: checked.treeSize, root: checked.root };
      summary.checkpoint = {
        treeSize: checked.treeSize,
        root: Buffer.from(checked.root).toString('base64'),
        verified: true,
        witness: witnessed(checked.note, checked.treeSize, false),
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
    // Each checkpoint a proof is against is checked for its quorum once, here.
    if (checked.ok) witnessed(note, checked.treeSize, true);
    return checked;
  };
  /**
   * A checkpoint met during the trace and the first one must be of one append-only log: a later
   * one extends the first, an earlier one (the newest witnessed checkpoint a proof is made
   * against) is extended by it.
   */
  const extendsHead = async (other: { treeSize: number; root: Uint8Array }): Promise<Check> => {
    if (!head || other.treeSize === head.treeSize) return { ok: true };
    const [earlier, later] = other.treeSize < head.treeSize ? [other, head] : [head, other];
    const res = await get(`/v1/audit/consistency?from=${earlier.treeSize}&to=${later.treeSize}`);
    const body = ConsistencyProofSchema.safeParse(res.status === 200 ? await res.json() : undefined);
    if (!body.success)
      return { ok: false, reason: `no consistency proof from ${earlier.treeSize} to ${later.treeSize}` };
    const checked = verifier.consistency(earlier, later, body.data.proof);
    return checked.ok
      ? checked
      : {
          ok: false,
          reason: `checkpoint ${later.treeSize} does not extend ${earlier.treeSize}: ${checked.reason}`,
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
    if (isOutboundCall(event) && typeof receipt === 'string' && event.peer) {
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

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
