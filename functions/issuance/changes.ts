import { AuditAction } from '../../contracts/audit.ts';
import {
  buildIdentifier,
  canTransition,
  identifierKey,
  nextVersion,
  type ParsedIdentifier,
} from '../../contracts/codes/index.ts';
import type {
  IssueResponse,
  License,
  NewVersionRequest,
  StatusChangeRequest,
} from '../../contracts/license.ts';
import type { InteropNotice } from '../../contracts/reports.ts';
import type { CallContext } from '../../lib/audit/events.ts';
import {
  ConflictError,
  InvalidRequestError,
  statusName,
  TransitionNotAllowedError,
} from '../../lib/errors.ts';
import { ulid } from '../../lib/ids.ts';
import { signCredential } from '../../lib/license/credential.ts';
import type { JoinedWrite, StoredVersion } from '../../lib/license/records.ts';
import type { ChangeFanout } from '../../lib/reports/records.ts';
import { assertOwner, parseOrRefuse } from './checks.ts';
import type { IssuanceDeps } from './service.ts';
import { licenseEvent, load, view } from './stored.ts';

/** What the issuing authority does to a license once issued: a new version (变更), a new status. */
export class LicenseChanges {
  constructor(private readonly deps: IssuanceDeps) {}

  async newVersion(identifier: string, change: NewVersionRequest, ctx: CallContext): Promise<IssueResponse> {
    const parsed = parseOrRefuse(identifier);
    assertOwner(this.deps.province, parsed, ctx.principal);
    const { version, head } = await load(this.deps, parsed, identifier);
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
    // The credential signs the license data only: the report a version answers stays out of it.
    const credential = await signCredential(this.deps.credentialSigner, license, now);
    const licenseKey = identifierKey(parsed);
    const { reportId } = change;
    const alsoWrite: JoinedWrite[] = [
      {
        item: this.deps.changeNotices.fanoutItem(
          this.fanout(parsed, v, ctx, now, {
            identifier,
            change: 'version',
            newIdentifier: nextId,
            status: '01',
          }),
        ),
      },
    ];
    if (reportId !== undefined) {
      alsoWrite.push({
        item: this.deps.changeNotices.openReportCheck(reportId, licenseKey, prev.issuer.uscc),
        refused: () =>
          new ConflictError(`report ${reportId} is not an open report on this license of this department`),
      });
    }
    await this.deps.store.addVersion({
      licenseKey,
      from: parsed.version,
      next: { license, credential, ...(reportId !== undefined ? { reportId } : {}) },
      audit: licenseEvent(this.deps.province, ctx, AuditAction.licenseVersion, nextId, head.holderHash, now, {
        previous: identifier,
        version: v,
        reason: change.reason,
        ...(reportId !== undefined ? { reportId } : {}),
      }),
      alsoWrite,
    });
    return {
      identifier: nextId,
      version: v,
      status: '01',
      credential,
      license: { ...license, status: '01', ...(reportId !== undefined ? { reportId } : {}) },
    };
  }

  async changeStatus(identifier: string, change: StatusChangeRequest, ctx: CallContext): Promise<License> {
    const parsed = parseOrRefuse(identifier);
    assertOwner(this.deps.province, parsed, ctx.principal);
    const { version, head } = await load(this.deps, parsed, identifier);
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
      audit: licenseEvent(
        this.deps.province,
        ctx,
        AuditAction.licenseStatus,
        head.currentIdentifier,
        head.holderHash,
        now,
        {
          from: head.status,
          to: change.status,
          reason: change.reason,
        },
      ),
      alsoWrite: [
        {
          item: this.deps.changeNotices.fanoutItem(
            this.fanout(parsed, head.currentVersion, ctx, now, {
              identifier: head.currentIdentifier,
              change: 'status',
              status: change.status,
            }),
          ),
        },
      ],
    });
    return view(version, {
      ...head,
      status: change.status,
      statusReason: change.reason,
      statusChangedAt: now.toISOString(),
    });
  }

  /**
   * The fan-out of a change's notice (docs/protocol.md §17.7), stored with the change: every
   * version of the license from 001 to `upTo` (the new or current one), since each use is
   * recorded under the version presented, and the notice the provinces that used it will get.
   */
  private fanout(
    parsed: ParsedIdentifier,
    upTo: string,
    ctx: CallContext,
    now: Date,
    notice: Omit<InteropNotice, 'noticeId' | 'time'>,
  ): ChangeFanout {
    const at = now.toISOString();
    const identifiers = Array.from({ length: Number(upTo) }, (_, i) =>
      buildIdentifier({
        typeCode: parsed.typeCode,
        issuerCode: parsed.issuerCode,
        serial: parsed.serial,
        version: String(i + 1).padStart(3, '0'),
      }),
    );
    return {
      fanoutId: ulid(now),
      identifiers,
      notice: { noticeId: `${this.deps.province}-${ulid(now)}`, ...notice, time: at },
      traceId: ctx.traceId,
      createdAt: at,
    };
  }
}
