import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RegistryClaimsSchema, type RegistryProvince, witnessName } from '../../../contracts/registry.ts';
import { signCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { loadOrCreateWitnessKey } from '../../../lib/signing/local-witness-signer.ts';
import { importPublicKey } from '../../../lib/signing/public-jwk.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { cosignWith, verifyCosignature } from '../../../lib/witness/cosignature.ts';
import { claims, province, tempDir } from './fixtures.ts';

let shanghai: { entry: RegistryProvince; keys: KeyRing };
let jiangsu: { entry: RegistryProvince; keys: KeyRing };
let zhejiang: { entry: RegistryProvince; keys: KeyRing };

beforeAll(async () => {
  shanghai = await province('310000');
  jiangsu = await province('320000');
  zhejiang = await province('330000');
});

const named = (p: { entry: RegistryProvince }, more: Partial<RegistryProvince> = {}): RegistryProvince => ({
  ...p.entry,
  witnessName: witnessName(p.entry.id),
  ...more,
});

const issuesOf = (provinces: RegistryProvince[]) => {
  const parsed = RegistryClaimsSchema.safeParse(claims(1, provinces));
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the registry witness policy (docs/protocol.md §19)', () => {
  it("takes a log's witnesses among the registry's witnessing provinces, each once, with a quorum they can meet", () => {
    const policy = { witnesses: ['320000', '330000'], quorum: 2 };

    expect(issuesOf([named(shanghai, { witnessPolicy: policy }), named(jiangsu), named(zhejiang)])).toEqual(
      [],
    );
  });

  it('refuses a policy naming the log itself, a witness twice, a quorum beyond its witnesses, or none', () => {
    const others = [named(jiangsu), named(zhejiang)];
    const withPolicy = (witnesses: string[], quorum: number) =>
      issuesOf([named(shanghai, { witnessPolicy: { witnesses, quorum } }), ...others]);

    expect(withPolicy(['310000', '320000'], 1)).toEqual([
      'provinces.0.witnessPolicy: a province does not witness its own log',
    ]);
    expect(withPolicy(['320000', '320000'], 1)).toEqual([
      'provinces.0.witnessPolicy: a witness is listed twice',
    ]);
    expect(withPolicy(['320000'], 2)).toEqual([
      'provinces.0.witnessPolicy: the quorum is larger than the number of witnesses',
    ]);
    expect(withPolicy([], 1)[0]).toMatch(/^provinces\.0\.witnessPolicy\.witnesses: /);
    expect(withPolicy(['320000'], 0)[0]).toMatch(/^provinces\.0\.witnessPolicy\.quorum: /);
  });

  it('refuses a witness that is not in the registry or publishes no witness name', () => {
    const policy = { witnesses: ['320000', '440000'], quorum: 1 };

    expect(issuesOf([named(shanghai, { witnessPolicy: policy }), jiangsu.entry])).toEqual([
      'provinces.0.witnessPolicy: 320000 is not a province of the registry with a witness name and key',
      'provinces.0.witnessPolicy: 440000 is not a province of the registry with a witness name and key',
    ]);
  });

  it("refuses a witness name that is not the province's own, or one without a witness key", () => {
    const withoutKey = { ...jiangsu.entry.jwks, keys: jiangsu.entry.jwks.keys.filter((k) => k.kty === 'EC') };

    expect(issuesOf([named(shanghai, { witnessName: 'elg/320000/witness' })])).toEqual([
      'provinces.0.witnessName: must be elg/310000/witness',
    ]);
    expect(issuesOf([named(jiangsu, { jwks: withoutKey })])).toEqual([
      'provinces.0.witnessName: no key of purpose witness is published',
    ]);
  });
});

describe('TrustRegistry witness keys', () => {
  it("gives every published witness key of a witnessing province with its signed-note key ID, and its log's policy", async () => {
    // Prepare: Jiangsu rotates its witness key: the earlier one stays published
    const earlier = await loadOrCreateWitnessKey(join(await tempDir(), 'witness-2025.jwk'));
    const policy = { witnesses: ['320000'], quorum: 1 };
    const registry = TrustRegistry.fromClaims(
      claims(1, [
        named(shanghai, { witnessPolicy: policy }),
        named(jiangsu, { jwks: { keys: [...jiangsu.entry.jwks.keys, earlier.publicJwk] } }),
      ]),
    );

    // Act
    const keys = registry.witnessKeys('320000');

    // Assess: key ID = SHA-256(name || 0x0A || 0x04 || key)[:4], computed here by hand
    expect(keys.map((k) => k.name)).toEqual(['elg/320000/witness', 'elg/320000/witness']);
    const expectedIds = [jiangsu.keys.witness.publicJwk.x, earlier.publicJwk.x].map((x) =>
      createHash('sha256')
        .update(
          Buffer.concat([Buffer.from('elg/320000/witness\n'), Buffer.of(0x04), Buffer.from(x, 'base64url')]),
        )
        .digest()
        .subarray(0, 4)
        .toString('hex'),
    );
    expect(keys.map((k) => Buffer.from(k.keyId).toString('hex'))).toEqual(expectedIds);
    expect(registry.witnessPolicy('310000')).toEqual(policy);
    expect(registry.witnessPolicy('320000')).toBeUndefined();
    expect(registry.witnessKeys('310000')).toHaveLength(1);
    expect(registry.witnessKeys('440000')).toEqual([]);
  });

  it('gives no witness key of a suspended province, nor of one without a witness name', () => {
    const registry = TrustRegistry.fromClaims(
      claims(1, [named(shanghai), { ...named(jiangsu), status: 'suspended' }, zhejiang.entry]),
    );

    expect(registry.witnessKeys('320000')).toEqual([]);
    expect(registry.witnessKeys('330000')).toEqual([]);
    expect(registry.auditKeys('320000')).toEqual([]);
  });

  it("gives a province's audit keys, which its checkpoints verify with", async () => {
    const registry = TrustRegistry.fromClaims(claims(1, [named(shanghai)]));
    const note = await signCheckpoint(shanghai.keys.audit, 'elg/310000/audit', 3, new Uint8Array(32));
    const [key] = registry.auditKeys('310000');
    const text = note.slice(0, note.indexOf('\n\n') + 1);
    const signature = Buffer.from(note.trim().split(' ').at(-1) ?? '', 'base64').subarray(4);

    expect(registry.auditKeys('310000')).toHaveLength(1);
    expect(key && verify('sha256', Buffer.from(text), { key, dsaEncoding: 'der' }, signature)).toBe(true);
  });
});

describe('the local witness key', () => {
  it('is kept in its file and cosigns with an Ed25519 signature that an independent check accepts', async () => {
    // Prepare
    const file = join(await tempDir(), 'witness.jwk');
    const signer = await loadOrCreateWitnessKey(file);
    const again = await loadOrCreateWitnessKey(file);
    const note = await signCheckpoint(shanghai.keys.audit, 'elg/310000/audit', 7, new Uint8Array(32).fill(1));

    // Act
    const line = await cosignWith(signer, note, 'elg/320000/witness', 1_780_000_000);

    // Assess: the cosignature/v1 message, built here by hand, verifies under the published key
    expect(again.publicJwk).toEqual(signer.publicJwk);
    expect(signer.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', purpose: 'witness' });
    const bytes = Buffer.from(line.trim().split(' ')[2] ?? '', 'base64');
    expect(bytes.length).toBe(4 + 8 + 64);
    expect(bytes.readBigUInt64BE(4)).toBe(1_780_000_000n);
    const message = `cosignature/v1\ntime 1780000000\nelg/310000/audit\n7\n${Buffer.alloc(32, 1).toString('base64')}\n`;
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: signer.publicJwk.x },
      format: 'jwk',
    });
    expect(verify(null, Buffer.from(message), key, bytes.subarray(12))).toBe(true);
    expect(
      verifyCosignature(note, line, 'elg/320000/witness', importPublicKey(signer.publicJwk)),
    ).toMatchObject({
      timestamp: 1_780_000_000,
    });
  });

  it('refuses a key file whose public member is not its private key, naming the file and not its content', async () => {
    const file = join(await tempDir(), 'witness.jwk');
    await loadOrCreateWitnessKey(file);
    const other = await loadOrCreateWitnessKey(join(await tempDir(), 'other.jwk'));
    const jwk = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...jwk, x: other.publicJwk.x }));

    const err = await loadOrCreateWitnessKey(file).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(err?.message).toBe(
      `${file} holds an Ed25519 key whose public member x does not belong to the private key d`,
    );
    expect(err?.message).not.toContain(jwk.d);
  });
});
