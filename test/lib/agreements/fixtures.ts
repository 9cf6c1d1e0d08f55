import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgreementDocument, AgreementSignature, Grant } from '../../../contracts/agreement.ts';
import { signDocument } from '../../../lib/agreements/signatures.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';

export const SH = '310000';
export const JS = '320000';
export const ZJ = '330000';
export const AH = '340000';
export const SC = '510000';
export const TYPE = '11100000000013338W032';
export const OTHER_TYPE = '11100000000013338W033';

/** The signed interop routes another province delivers agreement steps to. */
export const PROPOSALS = '/v1/interop/agreements';
export const signaturesOf = (id: string) => `${PROPOSALS}/${id}/signatures`;
export const withdrawalOf = (id: string) => `${PROPOSALS}/${id}/withdrawal`;

/** Key rings of five provinces and a registry listing them all. */
export async function provinces() {
  const dir = await mkdtemp(join(tmpdir(), 'elg-agreements-'));
  const ids = [SH, JS, ZJ, AH, SC];
  const rings = await Promise.all(ids.map((id) => loadLocalKeyRing(join(dir, id))));
  const keys = new Map<string, KeyRing>(ids.map((id, i) => [id, rings[i] as KeyRing]));
  const registry = TrustRegistry.fromClaims({
    iss: 'test-root',
    iat: 0,
    seq: 1,
    provinces: ids.map((id) => ({
      id,
      name: id,
      baseUrl: `https://gw-${id}.example`,
      jwks: jwksOf(keys.get(id) as KeyRing),
      status: 'active' as const,
    })),
  });
  const ring = (id: string) => {
    const k = keys.get(id);
    if (!k) throw new TypeError(`no keys for ${id}`);
    return k;
  };
  return { ring, registry };
}

export const grant = (overrides: Partial<Grant> = {}): Grant => ({
  grantor: '*',
  grantee: '*',
  actions: ['verify', 'status'],
  licenseTypes: ['*'],
  matterCodes: ['*'],
  maxDataLevel: 2,
  ...overrides,
});

/** A grant of verification only, up to data level 1, between every pair of parties. */
export const verifyGrant = (overrides: Partial<Grant> = {}): Grant =>
  grant({ actions: ['verify'], maxDataLevel: 1, ...overrides });

let n = 0;

export function doc(overrides: Partial<AgreementDocument> = {}): AgreementDocument {
  n++;
  return {
    id: `agr_01K${String(n).padStart(23, '0')}`,
    name: 'test agreement',
    parties: [SH, ZJ],
    grants: [grant()],
    validFrom: '2026-01-01',
    validUntil: '2030-12-31',
    proposer: SH,
    proposedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Signatures of `parties` over `d` by their gateway keys. */
export function signAll(
  d: AgreementDocument,
  ring: (id: string) => KeyRing,
  parties: readonly string[] = d.parties,
): Promise<AgreementSignature[]> {
  return Promise.all(parties.map((p) => signDocument(ring(p).gateway, p, d)));
}
