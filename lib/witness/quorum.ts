import type { KeyObject } from 'node:crypto';
import type { WitnessPolicy } from '../../contracts/registry.ts';
import { parseCheckpoint } from '../audit/checkpoint.ts';
import {
  CosignatureError,
  CosignatureErrorCode,
  parseCosignatureLine,
  verifyCosignature,
} from './cosignature.ts';

/**
 * Whether a cosigned checkpoint is witnessed (docs/protocol.md §19.5): of the witnesses the
 * registry names for the log, at least `quorum` distinct ones have a cosignature/v1 line on it
 * that verifies with one of their published witness keys. A line by any other key, a line that
 * is not a cosignature/v1 line, and a cosignature that does not verify are reported and never
 * counted; a witness that cosigned twice counts once. A log the registry names no witnesses for
 * is not witnessed.
 *
 * The log's own signature lines (named after the checkpoint's origin) are not looked at: the
 * caller verifies the log's signature first (verifyCheckpoint), then asks for the quorum.
 */

/** One published witness key: the witness name it cosigns under, its 4-byte key ID, the Ed25519 key. */
export interface WitnessKey {
  name: string;
  keyId: Uint8Array;
  key: KeyObject;
}

export interface WitnessSources {
  /** Who witnesses the log, and the quorum; undefined: the registry names no witnesses for it. */
  policy: WitnessPolicy | undefined;
  /** Every published witness key of a province (earlier generations too); none if it has none. */
  witnessKeys(province: string): readonly WitnessKey[];
}

/** A witness of the policy whose cosignature verified. */
export interface Cosigner {
  province: string;
  name: string;
  /** POSIX seconds at which it cosigned, as its cosignature says. */
  timestamp: number;
}

export const RejectedCosignature = {
  /** A signature line that is not a cosignature/v1 line (strict parsing). */
  malformed: 'MALFORMED',
  /** A line by a key that is not a published key of a witness of this log's policy. */
  unknownKey: 'UNKNOWN_KEY',
  /** A line by a witness key of the policy whose signature does not verify over this checkpoint. */
  invalid: 'INVALID_SIGNATURE',
} as const;
export type RejectedCosignature = (typeof RejectedCosignature)[keyof typeof RejectedCosignature];

/** A signature line that was not counted, and why. */
export interface RejectedLine {
  reason: RejectedCosignature;
  /** The key name the line gives (absent if it could not be read). */
  name?: string;
  /** The key ID the line gives, hex (absent if it could not be read). */
  keyId?: string;
  message: string;
}

export interface WitnessStatus {
  /** Whether the quorum is met; false for a log without a witness policy. */
  witnessed: boolean;
  /** The policy checked against; absent when the registry names no witnesses for the log. */
  policy?: { witnesses: string[]; quorum: number };
  /** The distinct witnesses of the policy whose cosignature verified, in the policy's order. */
  cosigners: Cosigner[];
  /** The witnesses of the policy without a verified cosignature, in the policy's order. */
  missing: string[];
  /** Lines not counted: malformed, by unknown keys, or not verifying. */
  rejected: RejectedLine[];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * The witness status of a signed checkpoint note. Throws CheckpointError (malformed) if the note
 * is not a signed checkpoint at all.
 */
export function witnessStatus(note: string, sources: WitnessSources): WitnessStatus {
  const checkpoint = parseCheckpoint(note);
  const policy = sources.policy;
  const witnesses = policy ? [...policy.witnesses] : [];
  const keys = witnesses.flatMap((province) =>
    sources.witnessKeys(province).map((k) => ({ province, ...k })),
  );
  const lines = note
    .slice(checkpoint.text.length + 1, -1)
    .split('\n')
    .map((l) => `${l}\n`);
  const verified = new Map<string, Cosigner>();
  const rejected: RejectedLine[] = [];
  for (const line of lines) {
    let cosignature: ReturnType<typeof parseCosignatureLine>;
    // The log's own signatures are named after its origin: not cosignatures.
    if (line.startsWith(`\u2014 ${checkpoint.origin} `)) continue;
    try {
      cosignature = parseCosignatureLine(line);
    } catch (err) {
      rejected.push({ reason: RejectedCosignature.malformed, ...nameOf(line), message: messageOf(err) });
      continue;
    }
    const keyId = hex(cosignature.keyId);
    const candidates = keys.filter((k) => k.name === cosignature.name && hex(k.keyId) === keyId);
    if (candidates.length === 0) {
      rejected.push({
        reason: RejectedCosignature.unknownKey,
        name: cosignature.name,
        keyId,
        message: policy
          ? `${cosignature.name}+${keyId} is not a published key of a witness of ${checkpoint.origin}`
          : `the registry names no witnesses for ${checkpoint.origin}`,
      });
      continue;
    }
    let by: (typeof candidates)[number] | undefined;
    let why = 'the cosignature does not verify';
    for (const candidate of candidates) {
      try {
        verifyCosignature(note, line, candidate.name, candidate.key);
        by = candidate;
        break;
      } catch (err) {
        if (!(err instanceof CosignatureError) || err.code === CosignatureErrorCode.malformed) throw err;
        why = err.message;
      }
    }
    if (!by) {
      rejected.push({ reason: RejectedCosignature.invalid, name: cosignature.name, keyId, message: why });
      continue;
    }
    // A witness that cosigned twice counts once: its earliest cosignature is the one shown.
    const seen = verified.get(by.province);
    if (!seen || cosignature.timestamp < seen.timestamp) {
      verified.set(by.province, { province: by.province, name: by.name, timestamp: cosignature.timestamp });
    }
  }
  const cosigners = witnesses.flatMap((w) => verified.get(w) ?? []);
  return {
    witnessed: policy !== undefined && cosigners.length >= policy.quorum,
    ...(policy ? { policy: { witnesses, quorum: policy.quorum } } : {}),
    cosigners,
    missing: witnesses.filter((w) => !verified.has(w)),
    rejected,
  };
}

/** One line of what a status means, for a report: `2 of 3 cosigned (quorum 2): 320000, 330000`. */
export function describeWitnessStatus(status: WitnessStatus): string {
  if (!status.policy) return 'not witnessed: the registry names no witnesses for this log';
  const { witnesses, quorum } = status.policy;
  const who = status.cosigners.map((c) => c.province).join(', ');
  const head = `${status.cosigners.length} of ${witnesses.length} witnesses cosigned, quorum ${quorum}`;
  return `${status.witnessed ? 'witnessed' : 'NOT_WITNESSED'}: ${head}${who ? ` (${who})` : ''}`;
}

function nameOf(line: string): { name?: string } {
  const name = /^\u2014 ([^ \n]+) /.exec(line)?.[1];
  return name ? { name } : {};
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
