import type { AgreementDocument } from '../contracts/agreement.ts';
import { AuditAction } from '../contracts/audit.ts';
import { signDocument, verifyDocumentSignature } from '../lib/agreements/signatures.ts';
import { auditEvent } from '../lib/audit/events.ts';
import { newTraceId } from '../lib/ids.ts';
import { todayCst } from '../lib/license/validity.ts';
import type { ProvinceAdapters } from '../lib/wiring/adapters.ts';

export const YANGTZE_DELTA_PARTIES = ['310000', '320000', '330000', '340000'] as const;

/**
 * Fixed for a set of members, so a second start of the federation finds the alliance instead of
 * adding another: `agr_0000000000YRDALLIANCE0000F` for all four.
 */
export function yangtzeDeltaAgreementId(members: readonly string[]): string {
  const mask = YANGTZE_DELTA_PARTIES.reduce((m, p, i) => (members.includes(p) ? m | (1 << i) : m), 0);
  return `agr_${'0'.repeat(10)}YRDALLIANCE${mask.toString(16).toUpperCase().padStart(5, '0')}`;
}

export type SeedOutcome = { kind: 'seeded' | 'held'; id: string } | { kind: 'skipped'; reason: string };

/**
 * The Yangtze River Delta alliance of the local federation (docs/protocol.md §15): 310000, 320000,
 * 330000 and 340000 grant each other `verify` and `status` on every license type and matter up to
 * data level 2, for five years from the first start. The federation holds every member's gateway
 * key, so it signs for each and stores the agreement complete in each member's store, as the
 * deliveries would have. Members already holding it are left alone, and one that lacks it gets
 * the document the others hold. A federation running only some members (tests) gets the
 * alliance among those, under an id of its own; fewer than two, none.
 */
export async function seedYangtzeDeltaAlliance(
  gateways: readonly ProvinceAdapters[],
  now: Date,
): Promise<SeedOutcome> {
  const members = YANGTZE_DELTA_PARTIES.flatMap((id) => gateways.filter((g) => g.province === id));
  if (members.length < 2) {
    return { kind: 'skipped', reason: 'fewer than two Yangtze River Delta provinces run in this federation' };
  }
  const parties = members.map((g) => g.province);
  const id = yangtzeDeltaAgreementId(parties);
  const held = await Promise.all(members.map((g) => g.agreements.get(id)));
  const document = held.find((r) => r !== undefined)?.document ?? allianceDocument(id, parties, now);
  const signatures = await Promise.all(
    members.map((g) => signDocument(g.keys.gateway, g.province, document)),
  );
  let seeded = false;
  for (const [i, g] of members.entries()) {
    if (held[i]) continue;
    for (const s of signatures) await verifyDocumentSignature(g.registry, document, s);
    const outcome = await g.agreements.create({
      record: { document, signatures, withdrawals: [] },
      deliveries: [],
      audit: auditEvent(
        {
          province: g.province,
          traceId: newTraceId(),
          action: AuditAction.agreementSeed,
          outcome: 'success',
          details: { agreementId: document.id, parties: document.parties.join(',') },
        },
        now,
      ),
    });
    seeded ||= outcome === 'created';
  }
  return { kind: seeded ? 'seeded' : 'held', id: document.id };
}

function allianceDocument(id: string, parties: string[], now: Date): AgreementDocument {
  const validFrom = todayCst(now);
  return {
    id,
    name: '长三角电子证照互认互信联盟 (Yangtze River Delta e-license alliance)',
    parties,
    grants: [
      {
        grantor: '*',
        grantee: '*',
        actions: ['verify', 'status'],
        licenseTypes: ['*'],
        matterCodes: ['*'],
        maxDataLevel: 2,
      },
    ],
    validFrom,
    validUntil: yearsLater(validFrom, 5),
    proposer: parties[0] ?? '310000',
    proposedAt: now.toISOString(),
  };
}

/** The last day of a period of `years` starting on `date` (2026-06-01 + 5 years -> 2031-05-31). */
export function yearsLater(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const end = new Date(Date.UTC((y ?? 0) + years, (m ?? 1) - 1, d ?? 1) - 86_400_000);
  return end.toISOString().slice(0, 10);
}
