import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkUses, notWitnessed, usesTable } from '../../cli/holder-view.ts';
import type { Paint } from '../../cli/output.ts';
import { buildIdentifier } from '../../contracts/codes/index.ts';
import { type HolderLicense, type HolderUsesPage, HolderUsesPageSchema } from '../../contracts/holder.ts';
import { witnessName } from '../../contracts/registry.ts';
import { LocalWitnessSigner } from '../../lib/signing/local-witness-signer.ts';
import { cosignWith } from '../../lib/witness/cosignature.ts';
import { type Log, logOf, newAuditSigner, openUseOf, useEvent } from '../lib/holder/page-fixtures.ts';
import { SHANGHAI_DEPT } from '../support/gateway.ts';

/**
 * `elg holder uses` checks, beside each use's proof, the witness quorum of the proof's checkpoint
 * against the witnesses the page carries (checkUses and the table it prints).
 */

const PLAIN: Paint = { bold: (s) => s, green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s };
const IDENTIFIER = buildIdentifier({
  typeCode: '11100000000013338W032',
  issuerCode: SHANGHAI_DEPT.uscc,
  serial: '2026000101',
  version: '001',
});
const LICENSE: HolderLicense = {
  identifier: IDENTIFIER,
  province: '310000',
  typeCode: '11100000000013338W032',
  typeName: '建筑施工特种作业人员操作资格证书',
  number: '沪建安A（2026）0000101',
  issuer: { name: SHANGHAI_DEPT.name },
  holderName: '张三',
  version: '001',
  status: '01',
  validFrom: '2026-01-01',
};
const WITNESSES = ['320000', '330000', '340000'];

let log: Log;
let auditKey: HolderUsesPage['auditKey'];
let signers: Map<string, LocalWitnessSigner>;
let witnesses: NonNullable<HolderUsesPage['witnesses']>;

beforeAll(async () => {
  const audit = await newAuditSigner();
  auditKey = audit.publicJwk;
  log = await logOf(
    '310000',
    [
      useEvent('310000', { identifier: IDENTIFIER, time: '2026-05-20T01:00:00Z' }),
      useEvent('310000', { identifier: IDENTIFIER, time: '2026-05-21T01:00:00Z', by: '330000' }),
    ],
    audit,
  );
  signers = new Map(
    await Promise.all(
      WITNESSES.map(
        async (id) =>
          [id, await LocalWitnessSigner.create(generateKeyPairSync('ed25519').privateKey)] as const,
      ),
    ),
  );
  witnesses = {
    policy: { witnesses: WITNESSES, quorum: 2 },
    keys: [...signers].map(([id, s]) => ({ province: id, name: witnessName(id), jwk: s.publicJwk })),
  };
});

async function pageCosignedBy(cosigners: string[], given?: HolderUsesPage['witnesses'] | 'none') {
  const served = given === 'none' ? undefined : (given ?? witnesses);
  let note = log.checkpoint;
  for (const id of cosigners) {
    const signer = signers.get(id);
    if (signer) note += await cosignWith(signer, log.checkpoint, witnessName(id), 1_780_000_000);
  }
  return HolderUsesPageSchema.parse({
    license: LICENSE,
    items: [...log.events].reverse().map((e) => openUseOf('310000', e, log.proofOf(e.eventId, note))),
    auditKey,
    ...(served ? { witnesses: served } : {}),
  });
}

describe('elg holder uses and the witnesses of the log', () => {
  it('shows each proven use witnessed when the quorum cosigned', async () => {
    const page = await pageCosignedBy(['320000', '340000']);
    const checks = checkUses(page);

    expect(checks.map((c) => [c.kind, c.kind === 'proven' && c.witness?.witnessed])).toEqual([
      ['proven', true],
      ['proven', true],
    ]);
    expect(checks.some(notWitnessed)).toBe(false);
    const table = usesTable(page, checks, PLAIN);
    expect(table).toContain("proven in 310000 上海's log (tree size 2), witnessed 2 of 3, quorum 2");
    expect(table).toContain('2 uses on this page: 2 proven\n');
  });

  it('flags NOT_WITNESSED one cosignature short, and counts it in the tally', async () => {
    const page = await pageCosignedBy(['330000']);
    const checks = checkUses(page);

    expect(checks.filter(notWitnessed)).toHaveLength(2);
    const table = usesTable(page, checks, PLAIN);
    expect(table).toContain("proven in 310000 上海's log (tree size 2), NOT_WITNESSED 1 of 3, quorum 2");
    expect(table).toContain('2 uses on this page: 2 proven, 2 NOT_WITNESSED\n');
  });

  it('does not count a key the page gives under another witness', async () => {
    const swapped = {
      policy: { witnesses: WITNESSES, quorum: 2 },
      keys: [
        { province: '320000', name: witnessName('330000'), jwk: signers.get('330000')?.publicJwk },
        { province: '330000', name: witnessName('330000'), jwk: signers.get('330000')?.publicJwk },
      ],
    } as HolderUsesPage['witnesses'];
    const checks = checkUses(await pageCosignedBy(['320000', '330000'], swapped));

    expect(checks.filter(notWitnessed)).toHaveLength(2);
    const first = checks[0];
    expect(first?.kind === 'proven' && first.witness?.cosigners.map((c) => c.province)).toEqual(['330000']);
  });

  it('leaves the witnesses unchecked when the page carries none, and says nothing of them', async () => {
    const page = await pageCosignedBy(['330000'], 'none');
    const checks = checkUses(page);

    expect(checks.map((c) => c.kind === 'proven' && c.witness)).toEqual([undefined, undefined]);
    expect(usesTable(page, checks, PLAIN)).not.toContain('WITNESSED');
  });
});
