import type { Authorization, AuthorizationQuery, Grant } from '../../contracts/agreement.ts';
import type { DataLevel } from '../../contracts/interop.ts';
import { type AgreementRecord, statusOf } from './state.ts';

/**
 * Enforcement at the grantor (docs/protocol.md §8.5). AGREEMENT_REQUIRED when no active agreement has
 * both grantor and grantee among its remaining parties; SCOPE_DENIED when such agreements exist
 * but no grant covers this action, license type, matter code and data level. Among matching
 * grants the highest maxDataLevel wins (ties: the agreement with the smallest id, for a stable
 * answer).
 */
export function authorize(
  agreements: readonly AgreementRecord[],
  q: AuthorizationQuery,
  now: Date,
): Authorization {
  const between = agreements
    .filter((a) => {
      const { state, activeParties } = statusOf(a, now);
      return state === 'active' && activeParties.includes(q.grantor) && activeParties.includes(q.grantee);
    })
    .sort((a, b) => (a.document.id < b.document.id ? -1 : a.document.id > b.document.id ? 1 : 0));
  if (between.length === 0) {
    return {
      ok: false,
      code: 'AGREEMENT_REQUIRED',
      message: `no active agreement between ${q.grantor} and ${q.grantee}`,
    };
  }
  let best: { agreementId: string; maxDataLevel: DataLevel } | undefined;
  for (const a of between) {
    for (const g of a.document.grants) {
      if (!covers(g, q)) continue;
      if (!best || g.maxDataLevel > best.maxDataLevel) {
        best = { agreementId: a.document.id, maxDataLevel: g.maxDataLevel };
      }
    }
  }
  const matter = q.matterCode === undefined ? 'any matter' : `matter ${q.matterCode}`;
  const scope = `${q.action} on ${q.grantor}'s licenses of type ${q.licenseType} for ${matter}`;
  if (!best) {
    return { ok: false, code: 'SCOPE_DENIED', message: `no active agreement grants ${q.grantee} ${scope}` };
  }
  if (q.dataLevel !== undefined && q.dataLevel > best.maxDataLevel) {
    return {
      ok: false,
      code: 'SCOPE_DENIED',
      message: `${q.grantee} may see data up to level ${best.maxDataLevel} for ${scope}, not level ${q.dataLevel}`,
    };
  }
  return { ok: true, ...best };
}

function covers(g: Grant, q: AuthorizationQuery): boolean {
  return (
    (g.grantor === '*' || g.grantor === q.grantor) &&
    (g.grantee === '*' || g.grantee === q.grantee) &&
    g.actions.includes(q.action) &&
    (g.licenseTypes.includes('*') || g.licenseTypes.includes(q.licenseType)) &&
    (q.matterCode === undefined || g.matterCodes.includes('*') || g.matterCodes.includes(q.matterCode))
  );
}
