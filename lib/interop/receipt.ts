import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { ErrorCode } from '../../contracts/errors.ts';
import { RECEIPT_JWS_TYPE, type ReceiptClaims, ReceiptClaimsSchema } from '../../contracts/interop.ts';
import { AppError } from '../errors.ts';
import { KeyResolutionError } from '../registry/errors.ts';
import type { TrustRegistry } from '../registry/trust-registry.ts';
import { signCompactJws } from '../signing/jws.ts';
import type { Signer } from '../signing/signer.ts';
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

export interface ReceiptInput {
  iss: string;
  aud: string;
  rjti: string;
  body: string;
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
  body: string;
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
  e: Pick<ExpectedReceipt, 'peer' | 'self' | 'traceId' | 'registry'>,
): Promise<ReceiptClaims> {
  const fail = (m: string) => new ReceiptInvalidError(e.peer, m);
  if (!jws) throw fail('the answer carries no ELG-Receipt');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw fail('not a compact JWS');
  }
  if (header.alg !== 'ES256' || header.typ !== RECEIPT_JWS_TYPE || typeof header.kid !== 'string') {
    throw fail(`the header must be ES256, typ ${RECEIPT_JWS_TYPE}, with a kid`);
  }
  let claims: ReceiptClaims;
  try {
    const key = await e.registry.resolveKey(e.peer, header.kid, 'gateway');
    const { payload } = await compactVerify(jws, key, { algorithms: ['ES256'] });
    claims = ReceiptClaimsSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
  } catch (err) {
    if (err instanceof KeyResolutionError) throw fail(`${err.code}: ${err.message}`);
    if (err instanceof joseErrors.JOSEError) throw fail('the signature does not verify');
    throw fail('the claims do not match the receipt contract');
  }
  if (claims.iss !== e.peer) throw fail(`issued by ${claims.iss}`);
  if (claims.aud !== e.self) throw fail(`addressed to ${claims.aud}`);
  if (claims.tid !== e.traceId) throw fail('it names another trace');
  return claims;
}
