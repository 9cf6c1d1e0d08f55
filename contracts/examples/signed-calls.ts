import type { ReceiptClaims, RequestClaims } from '../interop.ts';
import { SHANGHAI_SIGNATURE, ZHEJIANG_SIGNATURE } from './agreements.ts';
import { SHANGHAI_KIDS, TRACE_ID, ZHEJIANG_GATEWAY_KID } from './parties.ts';

/* The headers of a signed call between gateways and of its answer. */

/** base64url of ASCII text (every JWS part below is ASCII). */
const b64url = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/**
 * `ELG-Signature` of Zhejiang's call POST /v1/interop/verify with INTEROP_VERIFY_REQUEST as its
 * body (`bsh`: base64url SHA-256 of JSON.stringify of it, checked by the test). Its signature part
 * is a placeholder of the right shape: only the calling gateway's key can make a real one.
 */
export const REQUEST_CLAIMS: RequestClaims = {
  iss: '330000',
  aud: '310000',
  htm: 'POST',
  htu: '/v1/interop/verify',
  bsh: 'LYgUXnG7Q1ryCAWBVX8p7SWxNZzvBQWdE2_LOVUFTuY',
  iat: 1772330400,
  jti: 'r8Zt3KqV0m1xW5nB7cJ2pL',
  tid: TRACE_ID,
};
export const ELG_SIGNATURE = [
  b64url(JSON.stringify({ alg: 'ES256', kid: ZHEJIANG_GATEWAY_KID, typ: 'elg-request+jwt' })),
  b64url(JSON.stringify(REQUEST_CLAIMS)),
  ZHEJIANG_SIGNATURE.signature,
].join('.');

/**
 * `ELG-Receipt` of Shanghai's answer INTEROP_VERIFY_RESPONSE to that call (`bsh` over the answer
 * body as sent, JSON.stringify of it); a placeholder signature as above.
 */
export const RECEIPT_CLAIMS: ReceiptClaims = {
  iss: '310000',
  aud: '330000',
  rjti: REQUEST_CLAIMS.jti,
  bsh: 'm_FJPnqzXeNI0B2Z7yvtFMJYki4bWwd_PpZ4ERuni8A',
  sts: 200,
  iat: 1772330400,
  tid: TRACE_ID,
};
export const ELG_RECEIPT = [
  b64url(JSON.stringify({ alg: 'ES256', kid: SHANGHAI_KIDS.gateway, typ: 'elg-receipt+jwt' })),
  b64url(JSON.stringify(RECEIPT_CLAIMS)),
  SHANGHAI_SIGNATURE.signature,
].join('.');

export const TRACEPARENT = `00-${TRACE_ID}-3f6a9d2c81b4e7a0-01`;
