import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AuditAction } from '../../contracts/audit.ts';
import { buildIdentifier, maskCode } from '../../contracts/codes/index.ts';
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
import { ConflictError, ForbiddenError, IdempotencyKeyReusedError } from '../../lib/errors.ts';
import { signCredential } from '../../lib/license/credential.ts';
import type { LicenseHead, StoredVersion } from '../../lib/license/records.ts';
import { todayCst } from '../../lib/license/validity.ts';
import type { Signer } from '../../lib/signing/signer.ts';
import { LicenseChanges } from './changes.ts';
import { assertOwnProvince, isOwnProvince, parseOrRefuse } from './checks.ts';
import type { AuditSink, ChangeNotices, LicenseRepository } from './ports.ts';
import { licenseEvent, load, view } from './stored.ts';

export interface IssuanceDeps {
  province: string;
  store: LicenseRepository;
  auditStore: AuditSink;
  /** Where each new version and status stores its change notices' fan-out (§17.7). */
  changeNotices: ChangeNotices;
  credentialSigner: Signer;
  holderHashKey: Uint8Array;
  clock: Clock;
}

const SERIAL_ATTEMPTS = 3;

/**
 * Issuance, change and status of the province's own licenses: issue and read here, new versions
 * and status changes in changes.ts, the authority checks in checks.ts.
 */
export class IssuanceService {
  private readonly changes: LicenseChanges;

  constructor(private readonly deps: IssuanceDeps) {
    this.changes = new LicenseChanges(deps);
  }

  async issue(
    request: IssueRequest,
    ctx: CallContext,
    idempotencyKey?: string,
  ): Promise<{ response: IssueResponse; replayed: boolean }> {
    const { store, clock, province } = this.deps;
    assertOwnProvince(province, ctx.principal);
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
      isOwnProvince(this.deps.province, principal) &&
      principal.uscc === parsed.issuerCode;
    // Decided from the identifier alone, before storage is read: another department must not
    // learn from 403-or-404 whether a license exists.
    if (!own && !principal.roles.includes('platform')) {
      throw new ForbiddenError('issuers may read only the licenses their authority issued');
    }
    const { version, head } = await load(this.deps, parsed, identifier);
    const now = this.deps.clock.now();
    await this.deps.auditStore.write(
      licenseEvent(this.deps.province, ctx, AuditAction.licenseRead, identifier, head.holderHash, now, {
        masked: String(!own),
      }),
    );
    const license = view(version, head);
    if (own) return { license, credential: version.credential };
    return { license: { ...license, holder: { ...license.holder, code: maskCode(license.holder.code) } } };
  }

  newVersion(identifier: string, change: NewVersionRequest, ctx: CallContext): Promise<IssueResponse> {
    return this.changes.newVersion(identifier, change, ctx);
  }

  changeStatus(identifier: string, change: StatusChangeRequest, ctx: CallContext): Promise<License> {
    return this.changes.changeStatus(identifier, change, ctx);
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
    const { version, head } = await load(this.deps, parseOrRefuse(prior.identifier), prior.identifier);
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
}

function canonical(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError('value cannot be canonicalized');
  return out;
}
