import { randomBytes } from 'node:crypto';
import { AuditAction } from '../../contracts/audit.ts';
import {
  identifierKey,
  maskCode,
  type ParsedIdentifier,
  parseIdentifier,
} from '../../contracts/codes/index.ts';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import type { SharedLicense } from '../../contracts/interop.ts';
import { InteropRoute } from '../../contracts/interop-routes.ts';
import type { License } from '../../contracts/license.ts';
import {
  type Checks,
  type Reason,
  ReasonCode,
  type Verdict,
  type VerifyRequest,
  type VerifyResponse,
} from '../../contracts/verify.ts';
import { type CallContext, callEvent } from '../../lib/audit/events.ts';
import { holderHash } from '../../lib/audit/holder-hash.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, DependencyUnavailableError } from '../../lib/errors.ts';
import { callRoute, type PeerCallResult } from '../../lib/interop/peer-client.ts';
import { ReceiptInvalidError } from '../../lib/interop/receipt.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import {
  assessed,
  type CheckOutcome,
  type CheckOutcomes,
  credentialOutcomes,
  credentialValidity,
  failed,
  identifierOutcome,
  issuerOutcome,
  type LiveState,
  licenseValidity,
  statusOutcome,
  unavailable,
} from './checks.ts';
import { checkCredential } from './credential-check.ts';
import type { AuditSink, IssuerCalls, LicenseLookup, VerificationRegistry } from './ports.ts';

export interface VerificationDeps {
  province: string;
  registry: VerificationRegistry;
  licenses: LicenseLookup;
  auditStore: AuditSink;
  holderHashKey: Uint8Array;
  clock: Clock;
  peers: IssuerCalls;
}

/** The call, and the reference by which the issuer may quote the officer back to this province. */
type AskedBy = CallContext & { officerRef: string };

/** What the response and the audit event are made of. */
interface Facts {
  identifier?: string;
  issuerProvince?: string;
  status?: License['status'];
  license?: License | SharedLicense;
  holderHash?: string;
  receipt?: string;
}

type Assessment = Facts & { checks: Checks; reasons: Reason[] };

/**
 * Verification for the province's platforms: any presented credential or identifier, from any
 * province. The verdict is `invalid` on any failed check, `unverified` when the live status could
 * not be confirmed, `valid` only when every check passed.
 */
export class VerificationService {
  constructor(private readonly deps: VerificationDeps) {}

  async verify(request: VerifyRequest, ctx: CallContext): Promise<VerifyResponse> {
    const now = this.deps.clock.now();
    // Who asked stays in this province: the issuer is told the platform and an opaque reference
    // that this province's audit event resolves to the officer (docs/protocol.md §7.8).
    const officerRef = `ofr_${randomBytes(12).toString('base64url')}`;
    const asked = { ...ctx, officerRef };
    const a = request.credential
      ? await this.assessCredential(request.credential, now, request, asked)
      : await this.assessIdentifier(request.identifier ?? '', now, request, asked);
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
      traceId: ctx.traceId,
    };
    await this.deps.auditStore.write(
      callEvent(
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
          },
        },
        now,
      ),
    );
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
    const live = await this.liveOf(claims.iss, identifier, request, ctx);
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
    const live = await this.liveOf(issuerProvince, identifier, request, ctx);
    return withLive(
      live.found
        ? { format, issuer, validity: licenseValidity(live.dates, now), status: statusOutcome(live.state) }
        : { format, issuer, status: live.outcome },
      { identifier: identifier.identifier, issuerProvince },
      live,
    );
  }

  /** What the issuing province holds of the presented version: read here, or asked of it. */
  private liveOf(
    issuer: string,
    identifier: ParsedIdentifier,
    request: VerifyRequest,
    ctx: AskedBy,
  ): Promise<Live> {
    return issuer === this.deps.province
      ? this.ownLicense(identifier)
      : this.askIssuer(issuer, identifier, request, ctx);
  }

  /** The province's own license: status and current version read live from its table. */
  private async ownLicense(identifier: ParsedIdentifier): Promise<Live> {
    const found = await this.deps.licenses.get(identifierKey(identifier), identifier.version);
    if (!found)
      return {
        found: false,
        outcome: failed(ReasonCode.NOT_FOUND, 'the issuing province has no such license'),
      };
    const { version, head } = found;
    const lic = version.license;
    return {
      found: true,
      state: { version: lic.version, replacedBy: version.supersededBy || undefined, status: head.status },
      dates: lic,
      license: {
        ...lic,
        holder: { ...lic.holder, code: maskCode(lic.holder.code) },
        status: head.status,
        ...(head.statusChangedAt ? { statusChangedAt: head.statusChangedAt } : {}),
        ...(version.supersededBy ? { supersededBy: version.supersededBy } : {}),
      },
      holderHash: head.holderHash,
    };
  }

  /**
   * Another province's license: its live status comes from the issuing province by a signed call,
   * and its signed receipt travels with the verdict. When the issuer cannot or will not answer,
   * the verdict is `unverified`, never `valid`.
   */
  private async askIssuer(
    issuer: string,
    identifier: ParsedIdentifier,
    request: VerifyRequest,
    ctx: AskedBy,
  ): Promise<Live> {
    let answer: PeerCallResult;
    try {
      answer = await callRoute(
        this.deps.peers,
        issuer,
        InteropRoute.verify,
        {},
        {
          identifier: identifier.identifier,
          matterCode: request.matterCode,
          useCause: request.useCause,
          requester: {
            platform: (ctx.principal.name ?? `${this.deps.province} platform`).slice(0, 100),
            officerRef: ctx.officerRef,
          },
        },
        { traceId: ctx.traceId },
      );
    } catch (err) {
      // This province's own failure (its signing key, say) is not the issuer's: the platform
      // gets 503 and may retry, instead of a verdict that blames the other province.
      if (err instanceof DependencyUnavailableError || !(err instanceof AppError)) throw err;
      const code =
        err instanceof ReceiptInvalidError ? ReasonCode.RECEIPT_INVALID : ReasonCode.PEER_UNAVAILABLE;
      return { found: false, outcome: unavailable(code, err.message) };
    }
    return { ...issuerAnswer(issuer, identifier, answer), receipt: answer.receipt };
  }
}

/** What the issuing province holds of the presented version, or the status outcome when it cannot tell. */
type Live = (
  | {
      found: true;
      state: LiveState;
      dates: { validFrom: string; validUntil?: string | undefined };
      license: License | SharedLicense;
      /** The holder hash the issuer stored, when this province is the issuer. */
      holderHash?: string;
    }
  | { found: false; outcome: CheckOutcome }
) & { receipt?: string };

/** The issuer's answer to `POST /v1/interop/verify`, read against the interop contract. */
function issuerAnswer(issuer: string, identifier: ParsedIdentifier, answer: PeerCallResult): Live {
  if (answer.status !== 200) {
    const error = ErrorBodySchema.safeParse(answer.body);
    const code = error.success ? error.data.error.code : undefined;
    const message = error.success ? error.data.error.message : `answered ${answer.status}`;
    if (code === 'NOT_FOUND')
      return { found: false, outcome: failed(ReasonCode.NOT_FOUND, `${issuer}: ${message}`) };
    const reason =
      code === 'AGREEMENT_REQUIRED' || code === 'SCOPE_DENIED'
        ? ReasonCode[code]
        : ReasonCode.PEER_UNAVAILABLE;
    return { found: false, outcome: unavailable(reason, `${issuer} refused: ${message}`) };
  }
  const parsed = InteropRoute.verify.response.safeParse(answer.body);
  if (!parsed.success || parsed.data.identifier !== identifier.identifier) {
    return {
      found: false,
      outcome: unavailable(ReasonCode.PEER_UNAVAILABLE, `${issuer} answered outside the interop contract`),
    };
  }
  const live = parsed.data;
  return {
    found: true,
    state: {
      version: identifier.version,
      replacedBy: live.version !== identifier.version ? live.currentIdentifier : undefined,
      status: live.status,
    },
    dates: live,
    license: live.license,
  };
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
  };
}

export function verdictOf(checks: Checks): Verdict {
  const values = Object.values(checks);
  if (values.includes('fail')) return 'invalid';
  if (values.includes('unavailable') || checks.status !== 'pass') return 'unverified';
  return 'valid';
}
