import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AuditAction } from '../../contracts/audit.ts';
import type { Principal } from '../../contracts/auth.ts';
import {
  buildIdentifier,
  canTransition,
  identifierKey,
  maskCode,
  nextVersion,
  type ParsedIdentifier,
  parseIdentifier,
} from '../../contracts/codes/index.ts';
import type {
  IssueRequest,
  IssueResponse,
  License,
  NewVersionRequest,
  StatusChangeRequest,
} from '../../contracts/license.ts';
import { type CallContext, callEvent } from '../../lib/audit/events.ts';
import { holderHash } from '../../lib/audit/holder-hash.ts';
import type { Clock } from '../../lib/clock.ts';
import {
  ConflictError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidRequestError,
  NotFoundError,
  statusName,
  TransitionNotAllowedError,
} from '../../lib/errors.ts';
import { signCredential } from '../../lib/license/credential.ts';
import { isAuthorityOf } from '../../lib/license/issuer-province.ts';
import type { LicenseHead, StoredVersion } from '../../lib/license/records.ts';
import { todayCst } from '../../lib/license/validity.ts';
import type { Signer } from '../../lib/signing/signer.ts';
import type { AuditSink, LicenseRepository } from './ports.ts';

export interface IssuanceDeps {
  province: string;
  store: LicenseRepository;
  auditStore: AuditSink;
  credentialSigner: Signer;
  holderHashKey: Uint8Array;
  clock: Clock;
}

const SERIAL_ATTEMPTS = 3;

/** Issuance, change and status of the province's own licenses. */
export class IssuanceService {
  constructor(private readonly deps: IssuanceDeps) {}

  async issue(
    request: IssueRequest,
    ctx: CallContext,
    idempotencyKey?: string,
  ): Promise<{ response: IssueResponse; replayed: boolean }> {
    const { store, clock, province } = this.deps;
    this.assertOwnProvince(ctx.principal);
    if (ctx.principal.uscc !== request.issuer.uscc) {
      throw new ForbiddenError('an issuer token may only issue as its own authority (issuer.uscc)');
    }
    const requestHash = createHash('sha256').update(canonical(request)).digest('base64url');
    if (idempotencyKey) {
      const prior = await store.idempotencyRecord(request.issuer.uscc, idempotencyKey);
      if (prior)
        return { response: await this.replay(prior, requestHash, ctx, idempotencyKey), replayed: true };
    }
    const now = clock.now();
    const hHash = holderHash(this.deps.holderHashKey, request.holder.typeCode, request.holder.code);
    for (let attempt = 1; ; attempt++) {
      const serial = await store.nextSerial(request.typeCode, request.issuer.uscc, todayCst(now).slice(0, 4));
      const identifier = buildIdentifier({
        typeCode: request.typeCode,
        issuerCode: request.issuer.uscc,
        serial,
        version: '001',
      });
      const license: StoredVersion['license'] = {
        identifier,
        province,
        typeCode: request.typeCode,
        typeName: request.typeName,
        number: request.number,
        issuer: request.issuer,
        holder: request.holder,
        areaCode: request.areaCode,
        issueDate: request.issueDate,
        validFrom: request.validFrom,
        ...(request.validUntil ? { validUntil: request.validUntil } : {}),
        fields: request.fields,
        version: '001',
        issuedAt: now.toISOString(),
      };
      const credential = await signCredential(this.deps.credentialSigner, license, now);
      const head: LicenseHead = {
        currentVersion: '001',
        currentIdentifier: identifier,
        status: '01',
        issuerUscc: request.issuer.uscc,
        holderHash: hHash,
      };
      const audit = callEvent(
        province,
        ctx,
        {
          action: AuditAction.licenseIssue,
          identifier,
          holderHash: hHash,
          details: { typeCode: request.typeCode, version: '001', idempotencyKey: idempotencyKey ?? null },
        },
        now,
      );
      try {
        const outcome = await store.create({
          licenseKey: `${request.typeCode}.${request.issuer.uscc}.${serial}`,
          version: { license, credential },
          head,
          audit,
          ...(idempotencyKey
            ? { idempotency: { issuerUscc: request.issuer.uscc, key: idempotencyKey, requestHash } }
            : {}),
        });
        if (outcome.kind === 'idempotent') {
          return {
            response: await this.replay(outcome.record, requestHash, ctx, idempotencyKey),
            replayed: true,
          };
        }
      } catch (err) {
        // A serial can only collide if a counter was reset; take the next one.
        if (err instanceof ConflictError && attempt < SERIAL_ATTEMPTS) continue;
        throw err;
      }
      return {
        response: {
          identifier,
          version: '001',
          status: '01',
          credential,
          license: { ...license, status: '01' },
        },
        replayed: false,
      };
    }
  }

  /** The license by identifier, holder code masked unless the caller issued it. */
  /** Reads hold personal data, so each one is audited like a change. */
  async get(identifier: string, ctx: CallContext): Promise<{ license: License; credential?: string }> {
    const { principal } = ctx;
    const parsed = parseOrRefuse(identifier);
    const own =
      principal.roles.includes('issuer') &&
      this.isOwnProvince(principal) &&
      principal.uscc === parsed.issuerCode;
    // Decided from the identifier alone, before storage is read: another department must not
    // learn from 403-or-404 whether a license exists.
    if (!own && !principal.roles.includes('platform')) {
      throw new ForbiddenError('issuers may read only the licenses their authority issued');
    }
    const { version, head } = await this.load(parsed, identifier);
    const now = this.deps.clock.now();
    await this.deps.auditStore.write(
      this.event(ctx, AuditAction.licenseRead, identifier, head.holderHash, now, { masked: String(!own) }),
    );
    const license = view(version, head);
    if (own) return { license, credential: version.credential };
    return { license: { ...license, holder: { ...license.holder, code: maskCode(license.holder.code) } } };
  }

  async newVersion(identifier: string, change: NewVersionRequest, ctx: CallContext): Promise<IssueResponse> {
    const parsed = parseOrRefuse(identifier);
    this.assertOwner(parsed, ctx.principal);
    const { version, head } = await this.load(parsed, identifier);
    if (version.supersededBy) {
      throw new ConflictError(`version ${parsed.version} is superseded by ${version.supersededBy}`);
    }
    if (head.status !== '01') {
      throw new ConflictError(
        `only a 01 valid (有效) license can be changed (变更); this one is ${statusName(head.status)}`,
      );
    }
    const prev = version.license;
    const validFrom = change.validFrom ?? prev.validFrom;
    const validUntil = change.validUntil === null ? undefined : (change.validUntil ?? prev.validUntil);
    if (validUntil && validUntil < validFrom) {
      throw new InvalidRequestError('validUntil is before validFrom', [
        { path: ['validUntil'], code: 'custom', message: 'validUntil is before validFrom' },
      ]);
    }
    const now = this.deps.clock.now();
    const v = nextVersion(parsed.version);
    const nextId = buildIdentifier({
      typeCode: parsed.typeCode,
      issuerCode: parsed.issuerCode,
      serial: parsed.serial,
      version: v,
    });
    const { validUntil: _dropped, ...rest } = prev;
    const license: StoredVersion['license'] = {
      ...rest,
      identifier: nextId,
      version: v,
      number: change.number ?? prev.number,
      holder: { ...prev.holder, name: change.holderName ?? prev.holder.name },
      validFrom,
      ...(validUntil ? { validUntil } : {}),
      fields: change.fields ?? prev.fields,
      issuedAt: now.toISOString(),
    };
    const credential = await signCredential(this.deps.credentialSigner, license, now);
    await this.deps.store.addVersion({
      licenseKey: identifierKey(parsed),
      from: parsed.version,
      next: { license, credential },
      audit: this.event(ctx, AuditAction.licenseVersion, nextId, head.holderHash, now, {
        previous: identifier,
        version: v,
        reason: change.reason,
      }),
    });
    return {
      identifier: nextId,
      version: v,
      status: '01',
      credential,
      license: { ...license, status: '01' },
    };
  }

  async changeStatus(identifier: string, change: StatusChangeRequest, ctx: CallContext): Promise<License> {
    const parsed = parseOrRefuse(identifier);
    this.assertOwner(parsed, ctx.principal);
    const { version, head } = await this.load(parsed, identifier);
    if (!canTransition(head.status, change.status)) {
      throw new TransitionNotAllowedError(head.status, change.status);
    }
    const now = this.deps.clock.now();
    await this.deps.store.changeStatus({
      licenseKey: identifierKey(parsed),
      from: head.status,
      to: change.status,
      reason: change.reason,
      at: now,
      audit: this.event(ctx, AuditAction.licenseStatus, head.currentIdentifier, head.holderHash, now, {
        from: head.status,
        to: change.status,
        reason: change.reason,
      }),
    });
    return view(version, {
      ...head,
      status: change.status,
      statusReason: change.reason,
      statusChangedAt: now.toISOString(),
    });
  }

  /**
   * The first answer again for a retried Idempotency-Key. The replay is a call of its own and hands
   * out the credential once more, so it leaves its own event (nothing is created, so it is written
   * alone, not in a transaction).
   */
  private async replay(
    prior: { requestHash: string; identifier: string },
    requestHash: string,
    ctx: CallContext,
    idempotencyKey: string | undefined,
  ) {
    if (prior.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
    const { version, head } = await this.load(parseOrRefuse(prior.identifier), prior.identifier);
    const license = view(version, head);
    await this.deps.auditStore.write(
      callEvent(
        this.deps.province,
        ctx,
        {
          action: AuditAction.licenseIssue,
          identifier: license.identifier,
          holderHash: head.holderHash,
          details: {
            typeCode: license.typeCode,
            version: license.version,
            idempotencyKey: idempotencyKey ?? null,
            replayed: true,
          },
        },
        this.deps.clock.now(),
      ),
    );
    return {
      identifier: license.identifier,
      version: license.version,
      status: license.status,
      credential: version.credential,
      license,
    };
  }

  private async load(parsed: ParsedIdentifier, identifier: string) {
    const found = await this.deps.store.get(identifierKey(parsed), parsed.version);
    if (!found) throw new NotFoundError(`no license ${identifier} in province ${this.deps.province}`);
    return found;
  }

  /** Only from the identifier, never from storage: see `get`. */
  private assertOwner(parsed: ParsedIdentifier, principal: Principal) {
    this.assertOwnProvince(principal);
    if (principal.uscc !== parsed.issuerCode) {
      throw new ForbiddenError('only the issuing authority may change this license');
    }
  }

  /** docs/protocol.md §11.4, §12: a province issues only for authorities of its own province. */
  private isOwnProvince(principal: Principal): boolean {
    return principal.uscc !== undefined && isAuthorityOf(this.deps.province, principal.uscc);
  }

  private assertOwnProvince(principal: Principal) {
    if (!this.isOwnProvince(principal)) {
      throw new ForbiddenError(
        `this issuer token's authority (USCC area, characters 3-8) is not of province ${this.deps.province}`,
      );
    }
  }

  private event(
    ctx: CallContext,
    action: AuditAction,
    identifier: string,
    hHash: string,
    now: Date,
    details: Record<string, string>,
  ) {
    return callEvent(
      this.deps.province,
      ctx,
      {
        action,
        identifier,
        holderHash: hHash,
        details,
      },
      now,
    );
  }
}

function view(version: StoredVersion, head: LicenseHead): License {
  return {
    ...version.license,
    status: head.status,
    ...(head.statusReason ? { statusReason: head.statusReason } : {}),
    ...(head.statusChangedAt ? { statusChangedAt: head.statusChangedAt } : {}),
    ...(version.supersededBy ? { supersededBy: version.supersededBy } : {}),
  };
}

/** A malformed identifier is bad input whoever asks: 400 before any authority or storage check. */
function parseOrRefuse(identifier: string): ParsedIdentifier {
  const parsed = parseIdentifier(identifier);
  if (!parsed.ok) {
    throw new InvalidRequestError(`identifier: ${parsed.issue.reason}`, [
      {
        path: ['identifier', parsed.issue.segment],
        code: 'invalid_identifier',
        message: parsed.issue.reason,
      },
    ]);
  }
  return parsed.value;
}

function canonical(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError('value cannot be canonicalized');
  return out;
}
