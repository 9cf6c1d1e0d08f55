import { ErrorCode } from '../../contracts/errors.ts';
import { RECEIPT_JWS_TYPE, type ReceiptClaims, ReceiptClaimsSchema } from '../../contracts/interop.ts';
import { AppError } from '../errors.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import { signCompactJws } from '../signing/jws.ts';
import type { Signer } from '../signing/signer.ts';
import { JwsRejectedError, verifyStrictJws } from '../signing/strict-jws.ts';
import { bodyHash } from './body-hash.ts';

/** A peer's answer whose `ELG-Receipt` is missing or does not prove that answer. */
export class ReceiptInvalidError extends AppError {
  constructor(
    readonly peer: string,
    message: string,
  ) {
    super(ErrorCode.PEER_UNAVAILABLE, 502, `the receipt of ${peer} is invalid: ${message}`);
  }
}

/** Longest accepted ELG-Receipt; a real one is about 600 characters. */
const MAX_RECEIPT_LENGTH = 4096;

export interface ReceiptInput {
  iss: string;
  aud: string;
  rjti: string;
  /** The answer's body: its exact bytes, or its text (hashed as UTF-8). */
  body: string | Uint8Array;
  status: number;
  traceId: string;
  now: Date;
}

/** The callee's `ELG-Receipt`: proof of what it answered to which request. */
export async function signReceipt(signer: Signer, r: ReceiptInput): Promise<string> {
  if (signer.purpose !== 'gateway') throw new TypeError('receipts are signed with the gateway key');
  const claims: ReceiptClaims = {
    iss: r.iss,
    aud: r.aud,
    rjti: r.rjti,
    bsh: bodyHash(r.body),
    sts: r.status,
    iat: Math.floor(r.now.getTime() / 1000),
    tid: r.traceId,
  };
  return signCompactJws(signer, { typ: RECEIPT_JWS_TYPE }, claims);
}

export interface ExpectedReceipt {
  /** The province called. */
  peer: string;
  /** This province, the caller. */
  self: string;
  rjti: string;
  /** The answer's body: its exact bytes, or its text (hashed as UTF-8). */
  body: string | Uint8Array;
  status: number;
  traceId: string;
  registry: TrustRegistry;
}

/** Checks that a receipt is the called province's signature over exactly this answer. */
export async function verifyReceipt(
  jws: string | null | undefined,
  e: ExpectedReceipt,
): Promise<ReceiptClaims> {
  const claims = await readReceipt(jws, {
    peer: e.peer,
    self: e.self,
    traceId: e.traceId,
    registry: e.registry,
  });
  const fail = (m: string) => new ReceiptInvalidError(e.peer, m);
  if (claims.rjti !== e.rjti) throw fail('it answers another request (rjti)');
  if (claims.sts !== e.status) throw fail(`it states status ${claims.sts}, the answer was ${e.status}`);
  if (claims.bsh !== bodyHash(e.body)) throw fail('the body differs from the receipted body hash');
  return claims;
}

/**
 * A receipt's signature by `peer`'s gateway key and its parties and trace: what an auditor can
 * check later from an audit event, which keeps the receipt but not the answer's body.
 */
export async function readReceipt(
  jws: string | null | undefined,
  e: Pick<ExpectedReceipt, 'peer' | 'self' | 'traceId'> & { registry: Pick<TrustRegistry, 'keyByKid'> },
): Promise<ReceiptClaims> {
  const fail = (m: string) => new ReceiptInvalidError(e.peer, m);
  if (!jws) throw fail('the answer carries no ELG-Receipt');
  let claims: ReceiptClaims;
  try {
    ({ claims } = await verifyStrictJws(jws.trim(), {
      typ: RECEIPT_JWS_TYPE,
      keyOf: (kid) => e.registry.keyByKid(kid, 'gateway'),
      claims: ReceiptClaimsSchema,
      bindIssuer: true,
      maxLength: MAX_RECEIPT_LENGTH,
    }));
  } catch (err) {
    if (err instanceof JwsRejectedError) throw fail(`${err.keyCode ? `${err.keyCode}: ` : ''}${err.message}`);
    throw err;
  }
  if (claims.iss !== e.peer) throw fail(`issued by ${claims.iss}`);
  if (claims.aud !== e.self) throw fail(`addressed to ${claims.aud}`);
  if (claims.tid !== e.traceId) throw fail('it names another trace');
  return claims;
}
