import { AuditAction } from '../../contracts/audit.ts';
import { parseIdentifier } from '../../contracts/codes/index.ts';
import type { SharedLicense } from '../../contracts/interop.ts';
import type { License } from '../../contracts/license.ts';
import type { Checks, Reason, VerifyRequest, VerifyResponse } from '../../contracts/verify.ts';
import { type CallContext, callEvent } from '../../lib/audit/events.ts';
import { holderHash } from '../../lib/audit/holder-hash.ts';
import type { Clock } from '../../lib/clock.ts';
import { ForbiddenError, InvalidRequestError } from '../../lib/errors.ts';
import { randomBase64url } from '../../lib/http/random.ts';
import { type OutboundRecord, outboundEvent, outboundOf } from '../../lib/interop/peer-client.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import { todayCst } from '../../lib/license/validity.ts';
import {
  assessed,
  type CheckOutcomes,
  credentialValidity,
  identifierOutcome,
  issuerOutcome,
  licenseValidity,
  statusOutcome,
  verdictOf,
} from '../../lib/verify/checks.ts';
import { credentialOutcomes } from './checks.ts';
import { checkCredential } from './credential-check.ts';
import { type AskedBy, type Live, LiveStatus } from './live.ts';
import type { AuditSink, IssuerCalls, LicenseLookup, ReviewWaits, VerificationRegistry } from './ports.ts';

export interface VerificationDeps {
  province: string;
  registry: VerificationRegistry;
  licenses: LicenseLookup;
  auditStore: AuditSink;
  holderHashKey: Uint8Array;
  clock: Clock;
  peers: IssuerCalls;
  /** Where a verification the issuer holds for review keeps its wait, with its event (§18.5). */
  waits: ReviewWaits;
}

/** What the response and the audit event are made of. */
interface Facts {
  identifier?: string;
  issuerProvince?: string;
  status?: License['status'];
  license?: License | SharedLicense;
  holderHash?: string;
  receipt?: string;
  /** The signed call to the issuer, recorded in the `verify` event (docs/protocol.md §9.2). */
  outbound?: OutboundRecord;
  calleeErrorCode?: string;
  review?: { reviewId: string; expiresAt: string };
}

type Assessment = Facts & { checks: Checks; reasons: Reason[] };

/**
 * Verification for the province's platforms: any presented credential or identifier, from any
 * province. The verdict is `invalid` on any failed check, `unverified` when the live status could
 * not be confirmed, `valid` only when every check passed.
 */
export class VerificationService {
  private readonly live: LiveStatus;

  constructor(private readonly deps: VerificationDeps) {
    this.live = new LiveStatus(deps);
  }

  async verify(request: VerifyRequest, ctx: CallContext): Promise<VerifyResponse> {
    const now = this.deps.clock.now();
    if (request.seal) checkSeal(request.seal, ctx, now);
    // Who asked stays in this province: the issuer is told the platform and an opaque reference
    // that this province's audit event resolves to the officer (docs/protocol.md §7.8).
    const officerRef = `ofr_${randomBase64url(12)}`;
    const asked = { ...ctx, officerRef };
    let a: Assessment;
    try {
      a = request.credential
        ? await this.assessCredential(request.credential, now, request, asked)
        : await this.assessIdentifier(request.identifier ?? '', now, request, asked);
    } catch (err) {
      // No verify event will be written (this province's key failed, say): the call it attempted
      // is recorded on its own, as `interop.outbound`, before the platform is answered 503.
      const outbound = outboundOf(err);
      if (outbound)
        await this.deps.auditStore.write(outboundEvent(this.deps.province, ctx.traceId, outbound));
      throw err;
    }
    const verdict = verdictOf(a.checks);
    const response: VerifyResponse = {
      verdict,
      ...(a.identifier ? { identifier: a.identifier } : {}),
      ...(a.issuerProvince ? { issuerProvince: a.issuerProvince } : {}),
      ...(a.status ? { status: a.status } : {}),
      checks: a.checks,
      reasons: a.reasons,
      ...(a.license ? { license: a.license } : {}),
      ...(a.receipt ? { receipt: a.receipt } : {}),
      ...(a.review ? { reviewId: a.review.reviewId } : {}),
      traceId: ctx.traceId,
    };
    const event = callEvent(
      this.deps.province,
      ctx,
      {
        action: AuditAction.verify,
        identifier: a.identifier,
        holderHash: a.holderHash,
        peer: a.issuerProvince && a.issuerProvince !== this.deps.province ? a.issuerProvince : undefined,
        details: {
          verdict,
          presented: request.credential ? 'credential' : 'identifier',
          matterCode: request.matterCode,
          useCause: request.useCause,
          reasons: a.reasons.map((r) => r.code).join(','),
          receipt: a.receipt ?? null,
          officerRef,
          // The platform by name, as the holder is shown it (§16); never the officer.
          ...(ctx.principal.name ? { platform: ctx.principal.name.slice(0, 100) } : {}),
          ...(request.seal ? { sealUntil: request.seal.until, sealBasis: request.seal.basis } : {}),
          ...(a.outbound ? outboundDetails(a.outbound, a.calleeErrorCode) : {}),
          ...(a.review ? { reviewId: a.review.reviewId } : {}),
        },
      },
      now,
    );
    if (a.review && a.identifier && a.issuerProvince) {
      await this.deps.waits.storeWait(
        {
          reviewId: a.review.reviewId,
          issuer: a.issuerProvince,
          identifier: a.identifier,
          matterCode: request.matterCode,
          platform: (ctx.principal.name ?? ctx.principal.sub).slice(0, 100),
          requestedAt: now.toISOString(),
          expiresAt: a.review.expiresAt,
          state: 'pending',
        },
        event,
      );
    } else {
      await this.deps.auditStore.write(event);
    }
    return response;
  }

  private async assessCredential(
    jws: string,
    now: Date,
    request: VerifyRequest,
    ctx: AskedBy,
  ): Promise<Assessment> {
    const checked = await checkCredential(jws, this.deps.registry);
    const offline = credentialOutcomes(checked);
    if (!checked.ok) return { ...assessed(offline), ...(checked.iss ? { issuerProvince: checked.iss } : {}) };
    const { claims, identifier } = checked;
    // The credential's own dates are signed; the issuer's answer is asked for its status only.
    const validity = credentialValidity(claims, now);
    const live = await this.live.of(claims.iss, identifier, request, ctx);
    return withLive(
      { ...offline, validity, status: live.found ? statusOutcome(live.state) : live.outcome },
      {
        identifier: claims.jti,
        issuerProvince: claims.iss,
        holderHash: holderHash(this.deps.holderHashKey, claims.lic.holder.typeCode, claims.lic.holder.code),
      },
      live,
    );
  }

  private async assessIdentifier(
    raw: string,
    now: Date,
    request: VerifyRequest,
    ctx: AskedBy,
  ): Promise<Assessment> {
    const parsed = parseIdentifier(raw);
    const format = identifierOutcome(parsed);
    if (!parsed.ok) return assessed({ format });
    const identifier = parsed.value;
    const issuerProvince = issuerProvinceOf(identifier);
    const active = !!issuerProvince && this.deps.registry.province(issuerProvince)?.status === 'active';
    const issuer = issuerOutcome(active);
    if (!issuerProvince || !active)
      return { ...assessed({ format, issuer }), identifier: identifier.identifier };
    const live = await this.live.of(issuerProvince, identifier, request, ctx);
    return withLive(
      live.found
        ? { format, issuer, validity: licenseValidity(live.dates, now), status: statusOutcome(live.state) }
        : { format, issuer, status: live.outcome },
      { identifier: identifier.identifier, issuerProvince },
      live,
    );
  }
}

/** The checks composed, with what the issuer's answer adds to the verdict. */
function withLive(outcomes: CheckOutcomes, facts: Facts, live: Live): Assessment {
  return {
    ...assessed(outcomes),
    ...facts,
    ...(live.found
      ? { status: live.state.status, license: live.license, holderHash: live.holderHash ?? facts.holderHash }
      : {}),
    ...(live.receipt !== undefined ? { receipt: live.receipt } : {}),
    ...(live.outbound ? { outbound: live.outbound } : {}),
    ...(live.calleeErrorCode ? { calleeErrorCode: live.calleeErrorCode } : {}),
    ...(live.review ? { review: live.review } : {}),
  };
}

/**
 * What the `verify` event carries of its call to the issuer, as the call's `interop.outbound`
 * event would have: `direction: "outbound"`, `jti`, `status`, `ms`, the callee's `receipt` when
 * there was one (a 5xx proven by its receipt included) or `error`/`cause`, and the issuer's error
 * code when it refused.
 */
function outboundDetails(
  outbound: OutboundRecord,
  calleeErrorCode: string | undefined,
): Record<string, string | number | null> {
  return { direction: 'outbound', ...outbound.details, ...(calleeErrorCode ? { calleeErrorCode } : {}) };
}

/**
 * A seal is an investigator's (role `investigator`, else 403) and lasts from today to at most one
 * year ahead (CST dates, else 400): the holder sees the use as sealed until then (§16).
 */
function checkSeal(seal: { until: string }, ctx: CallContext, now: Date): void {
  if (!ctx.principal.roles.includes('investigator')) {
    throw new ForbiddenError('only an investigator may seal a verification');
  }
  const today = todayCst(now);
  const limit = new Date(Date.parse(`${today}T00:00:00Z`));
  limit.setUTCFullYear(limit.getUTCFullYear() + 1);
  if (seal.until < today || seal.until > limit.toISOString().slice(0, 10)) {
    const message = `a seal lasts from today (${today}) to at most one year ahead`;
    throw new InvalidRequestError(`the body is invalid: seal.until: ${message}`, [
      { path: ['seal', 'until'], code: 'custom', message },
    ]);
  }
}
