// Types of verify.js, the holder page's proof check (plain JavaScript, so the browser loads it as is).

export declare const VerifyCode: {
  readonly checkpointMalformed: 'CHECKPOINT_MALFORMED';
  readonly originMismatch: 'CHECKPOINT_ORIGIN_MISMATCH';
  readonly unsigned: 'CHECKPOINT_UNSIGNED';
  readonly signatureInvalid: 'CHECKPOINT_SIGNATURE_INVALID';
  readonly keyPurpose: 'CHECKPOINT_KEY_PURPOSE';
  readonly keyInvalid: 'AUDIT_KEY_INVALID';
  readonly sizeMismatch: 'PROOF_SIZE_MISMATCH';
  readonly proofMalformed: 'PROOF_MALFORMED';
  readonly proofInvalid: 'PROOF_INVALID';
  readonly noCrypto: 'CRYPTO_UNAVAILABLE';
  readonly failed: 'VERIFY_FAILED';
};
export type VerifyCode = (typeof VerifyCode)[keyof typeof VerifyCode];

export interface Refused {
  ok: false;
  code: VerifyCode;
  message: string;
}

export interface ParsedCheckpoint {
  origin: string;
  treeSize: number;
  rootHash: Uint8Array;
  /** Every byte before the blank line, the final newline included. */
  text: string;
  signatures: { name: string; keyId: Uint8Array; signature: Uint8Array }[];
}

/** A P-256 public JWK; `purpose` must be `audit` to check a checkpoint. */
export interface AuditJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  purpose?: string;
  [member: string]: unknown;
}

export interface UseProofInput {
  index: number;
  treeSize: number;
  leafHash: string;
  proof: string[];
  checkpoint: string;
}

export declare function auditOrigin(province: string): string;
export declare function fromBase64(text: unknown): Uint8Array | undefined;
export declare function toBase64(bytes: Uint8Array): string;
export declare function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array>;
/** Throws (with `code` CHECKPOINT_MALFORMED) for a note that is not a checkpoint. */
export declare function parseCheckpoint(note: string): ParsedCheckpoint;
export declare function derSignatureToRaw(der: Uint8Array): Uint8Array | undefined;
export declare function keyIdOf(jwk: AuditJwk): Promise<Uint8Array>;
export declare function verifyCheckpoint(
  note: unknown,
  auditKey: AuditJwk,
  expectedOrigin: string,
): Promise<{ ok: true; checkpoint: ParsedCheckpoint } | Refused>;
export declare function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean>;
export declare function verifyUseProof(
  proof: UseProofInput,
  context: { province: string; auditKey: AuditJwk },
): Promise<{ ok: true; treeSize: number; rootHash: string } | Refused>;

export declare const WitnessReason: {
  readonly malformed: 'MALFORMED';
  readonly unknownKey: 'UNKNOWN_KEY';
  readonly invalid: 'INVALID_SIGNATURE';
};
export type WitnessReason = (typeof WitnessReason)[keyof typeof WitnessReason];

/** What the page was given to check against (contracts/holder.ts HolderWitnesses). */
export interface WitnessesInput {
  policy?: { witnesses: string[]; quorum: number };
  keys: { province: string; name: string; jwk: { kty: string; crv: string; x: string; purpose?: string } }[];
}

export interface PageWitnessStatus {
  witnessed: boolean;
  policy?: { witnesses: string[]; quorum: number };
  cosigners: { province: string; name: string; timestamp: number }[];
  missing: string[];
  rejected: { reason: WitnessReason; name?: string; message: string }[];
}

export declare function checkWitnesses(
  note: unknown,
  witnesses: WitnessesInput | undefined,
): Promise<PageWitnessStatus>;
