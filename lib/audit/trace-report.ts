import type { AuditedEvent } from '../../contracts/audit-api.ts';
import type { WitnessStatus } from '../witness/quorum.ts';

/** The shape of an assembled trace: its timeline, the calls between provinces, verdicts, gaps. */

export type GapKind =
  | 'PROVINCE_UNREACHABLE'
  | 'CHECKPOINT_INVALID'
  /** A verified checkpoint of a log the registry names witnesses for, without their quorum. */
  | 'NOT_WITNESSED'
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
    checkpoint?: {
      treeSize: number;
      root: string;
      verified: boolean;
      /**
       * Who cosigned it, against the log's witness policy in the registry: `witnessed` false with
       * a policy is a NOT_WITNESSED gap; without a policy the log is not witnessed, and shown so.
       */
      witness?: WitnessStatus;
    };
  }[];
  timeline: TimelineEvent[];
  calls: Call[];
  verdicts: TraceVerdict[];
  gaps: Gap[];
  ok: boolean;
}
