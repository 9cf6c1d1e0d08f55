import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { type Principal, type Role, RoleSchema, TokenUsccSchema } from '../../contracts/auth.ts';
import { type Clock, systemClock } from '../clock.ts';
import { DependencyUnavailableError, UnauthenticatedError } from '../errors.ts';
import { JwsRejectedError, parseForm } from '../signing/strict-jws.ts';

export interface BearerVerifierOptions {
  /** The identity provider's `iss`. */
  issuer: string;
  /** This gateway's `aud` at the identity provider. */
  audience: string;
  /** The provider's keys: a JWKS document, or the URL it is fetched (and cached) from. */
  jwks: JSONWebKeySet | URL;
  clock?: Clock;
  /** Allowed clock skew for exp/nbf/iat; 0 unless the provider's clock is known to drift. */
  clockToleranceSeconds?: number;
}

export interface BearerVerifier {
  /** The caller of `Authorization: Bearer <jwt>`; UnauthenticatedError saying why otherwise. */
  verify(authorization: string | undefined): Promise<Principal>;
}

/** Only ES256: `none`, HMAC (e.g. HS256 keyed with the public key) and every other alg are refused. */
const ALGORITHMS = ['ES256'];
const MAX_TOKEN_LENGTH = 8192;
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i;
const MAX_NAME_LENGTH = 200;
/** The identity provider's tokens carry these header members and no other. */
const BEARER_HEADER: ReadonlySet<string> = new Set(['alg', 'typ', 'kid']);

/** Authenticates callers inside the province by bearer JWTs of its identity provider (docs/protocol.md §12). */
export function createBearerVerifier(options: BearerVerifierOptions): BearerVerifier {
  if (!options.issuer || !options.audience) throw new TypeError('issuer and audience are required');
  const remote = options.jwks instanceof URL;
  const keys: JWTVerifyGetKey =
    options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
  const clock = options.clock ?? systemClock;
  const verified = verifiedTokens();

  return {
    async verify(authorization) {
      if (authorization === undefined || authorization.trim() === '') {
        throw new UnauthenticatedError('the Authorization header is missing; send "Bearer <token>"');
      }
      if (authorization.length > MAX_TOKEN_LENGTH)
        throw new UnauthenticatedError('the bearer token is too long');
      const match = BEARER.exec(authorization.trim());
      if (!match?.[1]) {
        throw new UnauthenticatedError('the Authorization header must use the Bearer scheme with a JWT');
      }
      const token = match[1];
      const now = clock.now();
      const tolerance = options.clockToleranceSeconds ?? 0;
      const refusal = (err: unknown) =>
        remote && isKeySetUnavailable(err)
          ? new DependencyUnavailableError('the identity provider key set', err)
          : new UnauthenticatedError(reasonOf(err));
      let known: Principal | undefined;
      try {
        known = await verified.reuse(token, keys, now, tolerance);
      } catch (err) {
        // The key set failed as it would have failed the token's full verification.
        throw refusal(err);
      }
      if (known) return known;
      let header: Record<string, unknown>;
      try {
        // The same form rule as every other JWS here: canonical segments, no b64, crit, jwk, jku
        // or x5* header members (jose would honour some of them), before the rest is checked.
        header = parseForm(token, BEARER_HEADER, MAX_TOKEN_LENGTH);
      } catch (err) {
        if (err instanceof JwsRejectedError)
          throw new UnauthenticatedError(`the token is malformed: ${err.message}`);
        throw err;
      }
      let checked: { payload: JWTPayload; key: unknown };
      try {
        checked = await jwtVerify(token, keys, {
          algorithms: ALGORITHMS,
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['exp', 'sub'],
          currentDate: now,
          clockTolerance: tolerance,
        });
      } catch (err) {
        throw refusal(err);
      }
      const principal = principalOf(checked.payload);
      verified.remember(token, header, checked.key, checked.payload, principal);
      return principal;
    },
  };
}

/** A token that verified, and what its verification rests on. */
interface VerifiedToken {
  header: Record<string, unknown>;
  /** The key the key set resolved for it, as the key set gave it. */
  key: unknown;
  nbf: number | undefined;
  exp: number;
  principal: Principal;
}

/** Verified tokens a verifier keeps: a platform sends the same token with every call. */
const VERIFIED_TOKENS = 256;

/**
 * The tokens a verifier has verified, so that the same token presented again costs no second
 * signature check. A kept token is taken again only when everything its verification rested on
 * still holds: its `nbf` and `exp` against the clock now (as jose checks them), and the key set
 * resolving its header to the very key its signature was checked with (a key set that has changed
 * its keys since, or lost them, resolves another key or none). The signature, the issuer, the
 * audience and the principal are facts of the token's text and that key. Any doubt, and the token
 * is verified in full, with the refusal that gives; an error of the key set is passed on.
 */
function verifiedTokens() {
  const tokens = new Map<string, VerifiedToken>();
  return {
    async reuse(
      token: string,
      keys: JWTVerifyGetKey,
      now: Date,
      tolerance: number,
    ): Promise<Principal | undefined> {
      const known = tokens.get(token);
      if (!known) return undefined;
      const t = Math.floor(now.getTime() / 1000);
      if (!Number.isFinite(t) || (known.nbf !== undefined && known.nbf > t + tolerance)) return undefined;
      if (known.exp <= t - tolerance) {
        tokens.delete(token);
        return undefined;
      }
      const [h = '', p = '', s = ''] = token.split('.');
      // Asked once, as a full verification would ask it: a key set that fails (a provider whose
      // keys cannot be fetched) fails this call with the error that verification would give.
      const key = await keys(known.header as Parameters<JWTVerifyGetKey>[0], {
        protected: h,
        payload: p,
        signature: s,
      });
      if (key !== known.key) return undefined;
      return copyOf(known.principal);
    },
    remember(
      token: string,
      header: Record<string, unknown>,
      key: unknown,
      payload: JWTPayload,
      principal: Principal,
    ): void {
      if (typeof payload.exp !== 'number') return;
      if (tokens.size >= VERIFIED_TOKENS) tokens.clear();
      tokens.set(token, {
        header,
        key,
        nbf: typeof payload.nbf === 'number' ? payload.nbf : undefined,
        exp: payload.exp,
        principal: copyOf(principal),
      });
    },
  };
}

/** A principal no caller can change the kept one through. */
function copyOf(p: Principal): Principal {
  return { ...p, roles: [...p.roles], ...(p.holder ? { holder: { ...p.holder } } : {}) };
}

function principalOf(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new UnauthenticatedError('the token sub claim must be a non-empty string');
  }
  if (!Array.isArray(payload.roles)) {
    throw new UnauthenticatedError('the token has no roles claim (an array of roles)');
  }
  const roles = [...new Set(payload.roles)].flatMap((r): Role[] => {
    const role = RoleSchema.safeParse(r);
    return role.success ? [role.data] : [];
  });
  if (roles.length === 0) {
    throw new UnauthenticatedError(`the token carries none of the roles ${RoleSchema.options.join(', ')}`);
  }
  let uscc: string | undefined;
  if (payload.uscc !== undefined) {
    const parsed = TokenUsccSchema.safeParse(payload.uscc);
    if (!parsed.success) throw new UnauthenticatedError('the token uscc claim is not an 18-character USCC');
    uscc = parsed.data;
  }
  if (roles.includes('issuer') && uscc === undefined) {
    throw new UnauthenticatedError("an issuer token must carry its department's USCC in the uscc claim");
  }
  const name =
    typeof payload.name === 'string' && payload.name.trim() !== '' && payload.name.length <= MAX_NAME_LENGTH
      ? payload.name.trim()
      : undefined;
  let holder: Principal['holder'];
  if (roles.includes('holder')) {
    const { holderType, holderCode } = payload;
    if (typeof holderType !== 'string' || typeof holderCode !== 'string' || !holderType || !holderCode) {
      throw new UnauthenticatedError('a holder token must carry the holderType and holderCode claims');
    }
    holder = { typeCode: holderType, code: holderCode };
  }
  return {
    sub: payload.sub,
    roles,
    ...(uscc ? { uscc } : {}),
    ...(name ? { name } : {}),
    ...(holder ? { holder } : {}),
  };
}

/** Why jose refused the token, in words a caller can act on; never any key material. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `the token lacks the ${err.claim} claim`;
    switch (err.claim) {
      case 'iss':
        return 'the token was issued by another identity provider (wrong issuer)';
      case 'aud':
        return 'the token is meant for another audience';
      case 'nbf':
        return 'the token is not yet valid';
      case 'iat':
        return 'the token iat claim is invalid';
      default:
        return `the token ${err.claim} claim is invalid`;
    }
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return `the token algorithm is not allowed (only ${ALGORITHMS.join(', ')})`;
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return 'the token signature does not verify (bad signature)';
  if (err instanceof errors.JWKSNoMatchingKey)
    return 'the token was signed by a key the identity provider does not publish';
  if (err instanceof errors.JWKSMultipleMatchingKeys)
    return 'the token names no single key of the identity provider';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'the token is malformed';
  return 'the token could not be verified';
}

function isKeySetUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.code === 'ERR_JOSE_GENERIC';
  // fetch failures (DNS, refused connection) surface as plain errors
  return err instanceof Error;
}
