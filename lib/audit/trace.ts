import type { AuditedEvent } from '../../contracts/audit-api.ts';
import type { WitnessStatus } from '../witness/quorum.ts';
import { pairCalls } from './trace-calls.ts';
import { collect } from './trace-collect.ts';
import type { TimelineEvent, TraceReport, TraceVerdict } from './trace-report.ts';

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
  /**
   * Who cosigned a province's checkpoint (already verified by `checkpoint`), against the witness
   * policy and witness keys the registry publishes for that province's log (§19.5).
   */
  witnesses(province: string, note: string): WitnessStatus;
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
