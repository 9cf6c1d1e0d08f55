import { randomBytes } from 'node:crypto';
import { AuditAction } from '../../contracts/audit.ts';
import {
  identifierKey,
  maskCode,
  type ParsedIdentifier,
  parseIdentifier,
} from '../../contracts/codes/index.ts';
import { ErrorBodySchema } from '../../contracts/errors.ts';
import { InteropVerifyResponseSchema, type SharedLicense } from '../../contracts/interop.ts';
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
import { AppError, DependencyUnavailableError, statusName } from '../../lib/errors.ts';
import type { PeerCallResult, PeerClient } from '../../lib/interop/peer-client.ts';
import { ReceiptInvalidError } from '../../lib/interop/receipt.ts';
import { issuerProvinceOf } from '../../lib/license/issuer-province.ts';
import { validityWindow } from '../../lib/license/validity.ts';
import type { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import type { AuditStore } from '../../lib/store/audit-store.ts';
import type { LicenseStore } from '../../lib/store/license-store.ts';
import { checkCredential } from './credential-check.ts';

export interface VerificationDeps {
  province: string;
  registry: TrustRegistry;
  licenses: LicenseStore;
  auditStore: AuditStore;
  holderHashKey: Uint8Array;
  clock: Clock;
  peers: PeerClient;
}

/** The call, and the reference by which the issuer may quote the officer back to this province. */
type AskedBy = CallContext & { officerRef: string };

interface Assessment {
  checks: Checks;
  reasons: Reason[];
  identifier?: string;
  issuerProvince?: string;
  status?: License['status'];
  license?: License | SharedLicense;
  holderHash?: string;
  receipt?: string;
}

const initialChecks = (): Checks => ({
  format: 'skipped',
  issuer: 'skipped',
  signature: 'skipped',
  validity: 'skipped',
  status: 'skipped',
});

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
    const checks = initialChecks();
    const checked = await checkCredential(jws, this.deps.registry);
    if (!checked.ok) {
      checks.format = checked.stage === 'format' ? 'fail' : 'pass';
      if (checked.stage !== 'format') checks.issuer = checked.stage === 'issuer' ? 'fail' : 'pass';
      if (checked.stage === 'signature') checks.signature = 'fail';
      return { checks, reasons: [checked.reason], ...(checked.iss ? { issuerProvince: checked.iss } : {}) };
    }
    const { claims, identifier } = checked;
    checks.format = 'pass';
    checks.issuer = 'pass';
    checks.signature = 'pass';
    const reasons: Reason[] = [];
    const t = Math.floor(now.getTime() / 1000);
    if (t < claims.nbf) {
      checks.validity = 'fail';
      reasons.push({ code: ReasonCode.NOT_YET_VALID, message: 'the license is not yet valid' });
    } else if (claims.exp !== undefined && t >= claims.exp) {
      checks.validity = 'fail';
      reasons.push({ code: ReasonCode.EXPIRED, message: 'the license validity period has ended' });
    } else {
      checks.validity = 'pass';
    }
    const base: Assessment = {
      checks,
      reasons,
      identifier: claims.jti,
      issuerProvince: claims.iss,
      holderHash: holderHash(this.deps.holderHashKey, claims.lic.holder.typeCode, claims.lic.holder.code),
    };
    if (claims.iss !== this.deps.province)
      return this.confirmWithIssuer(base, identifier, now, false, request, ctx);
    return this.liveStatus(base, identifier, now, false);
  }

  private async assessIdentifier(
    raw: string,
    now: Date,
    request: VerifyRequest,
    ctx: AskedBy,
  ): Promise<Assessment> {
    const checks = initialChecks();
    const parsed = parseIdentifier(raw);
    if (!parsed.ok) {
      checks.format = 'fail';
      return {
        checks,
        reasons: [
          { code: ReasonCode.IDENTIFIER_INVALID, message: `${parsed.issue.segment}: ${parsed.issue.reason}` },
        ],
      };
    }
    checks.format = 'pass';
    const identifier = parsed.value;
    const issuerProvince = issuerProvinceOf(identifier);
    const base: Assessment = { checks, reasons: [], identifier: identifier.identifier };
    if (!issuerProvince || this.deps.registry.province(issuerProvince)?.status !== 'active') {
      checks.issuer = 'fail';
      base.reasons.push({
        code: ReasonCode.UNKNOWN_ISSUER,
        message: 'the issuing authority belongs to no active province in the trust registry',
      });
      return base;
    }
    base.issuerProvince = issuerProvince;
    checks.issuer = 'pass';
    if (issuerProvince !== this.deps.province)
      return this.confirmWithIssuer(base, identifier, now, true, request, ctx);
    return this.liveStatus(base, identifier, now, true);
  }

  /** The province's own license: status and current version read live from its table. */
  private async liveStatus(
    a: Assessment,
    identifier: ParsedIdentifier,
    now: Date,
    checkValidity: boolean,
  ): Promise<Assessment> {
    const found = await this.deps.licenses.get(identifierKey(identifier), identifier.version);
    if (!found) {
      a.checks.status = 'fail';
      a.reasons.push({ code: ReasonCode.NOT_FOUND, message: 'the issuing province has no such license' });
      return a;
    }
    const { version, head } = found;
    const lic = version.license;
    a.holderHash = head.holderHash;
    a.status = head.status;
    if (checkValidity) this.checkDates(a, lic.validFrom, lic.validUntil, now);
    if (version.supersededBy) {
      a.checks.status = 'fail';
      a.reasons.push({
        code: ReasonCode.SUPERSEDED,
        message: `version ${lic.version} was replaced by ${version.supersededBy}`,
      });
    } else if (head.status !== '01') {
      a.checks.status = 'fail';
      a.reasons.push({
        code: ReasonCode.STATUS_NOT_VALID,
        message: `the license status is ${statusName(head.status)}`,
      });
    } else a.checks.status = 'pass';
    a.license = {
      ...lic,
      holder: { ...lic.holder, code: maskCode(lic.holder.code) },
      status: head.status,
      ...(head.statusChangedAt ? { statusChangedAt: head.statusChangedAt } : {}),
      ...(version.supersededBy ? { supersededBy: version.supersededBy } : {}),
    };
    return a;
  }

  /**
   * Another province's license: its live status comes from the issuing province by a signed call,
   * and its signed receipt travels with the verdict. When the issuer cannot or will not answer,
   * the verdict is `unverified`, never `valid`.
   */
  private async confirmWithIssuer(
    a: Assessment,
    identifier: ParsedIdentifier,
    now: Date,
    checkValidity: boolean,
    request: VerifyRequest,
    ctx: AskedBy,
  ): Promise<Assessment> {
    const issuer = a.issuerProvince ?? '';
    let answer: PeerCallResult;
    try {
      answer = await this.deps.peers.call(
        issuer,
        'POST',
        '/v1/interop/verify',
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
      a.checks.status = 'unavailable';
      const code =
        err instanceof ReceiptInvalidError ? ReasonCode.RECEIPT_INVALID : ReasonCode.PEER_UNAVAILABLE;
      a.reasons.push({ code, message: err.message });
      return a;
    }
    a.receipt = answer.receipt;
    if (answer.status !== 200) {
      const error = ErrorBodySchema.safeParse(answer.body);
      const code = error.success ? error.data.error.code : undefined;
      const message = error.success ? error.data.error.message : `answered ${answer.status}`;
      if (code === 'NOT_FOUND') {
        a.checks.status = 'fail';
        a.reasons.push({ code: ReasonCode.NOT_FOUND, message: `${issuer}: ${message}` });
      } else {
        a.checks.status = 'unavailable';
        const reason =
          code === 'AGREEMENT_REQUIRED' || code === 'SCOPE_DENIED'
            ? ReasonCode[code]
            : ReasonCode.PEER_UNAVAILABLE;
        a.reasons.push({ code: reason, message: `${issuer} refused: ${message}` });
      }
      return a;
    }
    const parsed = InteropVerifyResponseSchema.safeParse(answer.body);
    if (!parsed.success || parsed.data.identifier !== identifier.identifier) {
      a.checks.status = 'unavailable';
      a.reasons.push({
        code: ReasonCode.PEER_UNAVAILABLE,
        message: `${issuer} answered outside the interop contract`,
      });
      return a;
    }
    const live = parsed.data;
    a.status = live.status;
    a.license = live.license;
    if (checkValidity) this.checkDates(a, live.validFrom, live.validUntil, now);
    if (live.version !== identifier.version) {
      a.checks.status = 'fail';
      a.reasons.push({
        code: ReasonCode.SUPERSEDED,
        message: `version ${identifier.version} was replaced by ${live.currentIdentifier}`,
      });
    } else if (live.status !== '01') {
      a.checks.status = 'fail';
      a.reasons.push({
        code: ReasonCode.STATUS_NOT_VALID,
        message: `the license status is ${statusName(live.status)}`,
      });
    } else a.checks.status = 'pass';
    return a;
  }

  private checkDates(a: Assessment, validFrom: string, validUntil: string | undefined, now: Date) {
    const { nbf, exp } = validityWindow(validFrom, validUntil);
    const t = Math.floor(now.getTime() / 1000);
    if (t < nbf) {
      a.checks.validity = 'fail';
      a.reasons.push({ code: ReasonCode.NOT_YET_VALID, message: `valid from ${validFrom}` });
    } else if (exp !== undefined && t >= exp) {
      a.checks.validity = 'fail';
      a.reasons.push({ code: ReasonCode.EXPIRED, message: `valid until ${validUntil ?? ''}` });
    } else a.checks.validity = 'pass';
  }
}

export function verdictOf(checks: Checks): Verdict {
  const values = Object.values(checks);
  if (values.includes('fail')) return 'invalid';
  if (values.includes('unavailable') || checks.status !== 'pass') return 'unverified';
  return 'valid';
}
