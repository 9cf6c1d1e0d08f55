import type { AuditAction } from '../../contracts/audit.ts';
import { identifierKey, type ParsedIdentifier } from '../../contracts/codes/index.ts';
import type { License } from '../../contracts/license.ts';
import { type CallContext, callEvent } from '../../lib/audit/events.ts';
import { NotFoundError } from '../../lib/errors.ts';
import type { LicenseHead, StoredVersion } from '../../lib/license/records.ts';
import type { LicenseRepository } from './ports.ts';

/* A stored license as the issuance calls read it, and the audit event each of them leaves. */

export async function load(
  { store, province }: { store: LicenseRepository; province: string },
  parsed: ParsedIdentifier,
  identifier: string,
) {
  const found = await store.get(identifierKey(parsed), parsed.version);
  if (!found) throw new NotFoundError(`no license ${identifier} in province ${province}`);
  return found;
}

/** The license as answered: the stored version with the head's status. */
export function view(version: StoredVersion, head: LicenseHead): License {
  return {
    ...version.license,
    status: head.status,
    ...(head.statusReason ? { statusReason: head.statusReason } : {}),
    ...(head.statusChangedAt ? { statusChangedAt: head.statusChangedAt } : {}),
    ...(version.supersededBy ? { supersededBy: version.supersededBy } : {}),
    ...(version.reportId ? { reportId: version.reportId } : {}),
  };
}

export function licenseEvent(
  province: string,
  ctx: CallContext,
  action: AuditAction,
  identifier: string,
  hHash: string,
  now: Date,
  details: Record<string, string>,
) {
  return callEvent(province, ctx, { action, identifier, holderHash: hHash, details }, now);
}
