import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HolderWitnessesSchema } from '../../../contracts/holder.ts';
import { witnessName } from '../../../contracts/registry.ts';
import { auditOrigin, signCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { checkWitnesses, type WitnessesInput } from '../../../lib/holder/page/verify.js';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { cosignWith } from '../../../lib/witness/cosignature.ts';
import { witnessStatus } from '../../../lib/witness/quorum.ts';

/**
 * The holder page's own quorum check (verify.js checkWitnesses, WebCrypto Ed25519) on checkpoints
 * signed and cosigned with real keys, and the gateway's (lib/witness/quorum.ts) on the same notes:
 * both must come to the same answer.
 */

const LOG = '310000';
const WITNESSES = ['320000', '330000', '340000'];
const POLICY = { witnesses: WITNESSES, quorum: 2 };
const T = 1_780_000_000;

let rings: Map<string, KeyRing>;
let stranger: KeyRing;
let given: WitnessesInput;
let registry: TrustRegistry;

const ring = (id: string) => {
  const r = rings.get(id);
  if (!r) throw new Error(id);
  return r;
};

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elg-page-witness-'));
  rings = new Map(
    await Promise.all(
      [LOG, ...WITNESSES].map(async (id) => [id, await loadLocalKeyRing(join(dir, id))] as const),
    ),
  );
  stranger = await loadLocalKeyRing(join(dir, 'stranger'));
  given = HolderWitnessesSchema.parse({
    policy: POLICY,
    keys: WITNESSES.map((id) => ({ province: id, name: witnessName(id), jwk: ring(id).witness.publicJwk })),
  });
  registry = TrustRegistry.fromClaims({
    iss: 'test',
    iat: 0,
    seq: 1,
    provinces: [LOG, ...WITNESSES].map((id, i) => ({
      id,
      name: id,
      baseUrl: `http://127.0.0.1:${i + 1}`,
      jwks: jwksOf(ring(id)),
      status: 'active' as const,
      witnessName: witnessName(id),
      ...(id === LOG ? { witnessPolicy: POLICY } : {}),
    })),
  });
});

async function note(size: number, cosigners: readonly string[]): Promise<string> {
  const signed = await signCheckpoint(ring(LOG).audit, auditOrigin(LOG), size, new Uint8Array(32).fill(size));
  const lines = await Promise.all(
    cosigners.map((w) => cosignWith(ring(w).witness, signed, witnessName(w), T + size)),
  );
  return signed + lines.join('');
}

/** The page's answer, and the gateway's answer on the same note against the registry. */
async function both(n: string, witnesses: WitnessesInput | undefined = given) {
  const page = await checkWitnesses(n, witnesses);
  const gateway = witnessStatus(n, {
    policy: witnesses?.policy ? registry.witnessPolicy(LOG) : undefined,
    witnessKeys: (w) => registry.witnessKeys(w),
  });
  return { page, gateway };
}

describe('the holder page checks the witness quorum of a checkpoint', () => {
  it('is witnessed with the quorum, like the gateway says', async () => {
    const { page, gateway } = await both(await note(5, ['330000', '320000']));

    expect(page).toEqual({
      witnessed: true,
      policy: POLICY,
      cosigners: [
        { province: '320000', name: 'elg/320000/witness', timestamp: T + 5 },
        { province: '330000', name: 'elg/330000/witness', timestamp: T + 5 },
      ],
      missing: ['340000'],
      rejected: [],
    });
    expect(page.cosigners).toEqual(gateway.cosigners);
    expect(gateway.witnessed).toBe(true);
  });

  it('is NOT_WITNESSED one short, and counts a witness that cosigned twice once', async () => {
    const n = await note(6, ['340000']);
    const again = await cosignWith(ring('340000').witness, n, witnessName('340000'), T + 99);
    const { page, gateway } = await both(n + again);

    expect(page.witnessed).toBe(false);
    expect(page.cosigners).toEqual([{ province: '340000', name: 'elg/340000/witness', timestamp: T + 6 }]);
    expect(page.missing).toEqual(['320000', '330000']);
    expect(gateway.witnessed).toBe(false);
  });

  it('reports lines by unknown keys, over another checkpoint, or malformed, and never counts them', async () => {
    const n = await note(7, []);
    const other = await note(8, ['320000']);
    const copied = `${other.trimEnd().split('\n').at(-1)}\n`;
    const foreign = await cosignWith(stranger.witness, n, witnessName('330000'), T);
    const [dash, name, payload = ''] = (await cosignWith(ring('340000').witness, n, witnessName('340000'), T))
      .trimEnd()
      .split(' ');
    const long = `${dash} ${name} ${Buffer.concat([Buffer.from(payload, 'base64'), Buffer.alloc(3)]).toString('base64')}\n`;

    const { page, gateway } = await both(n + copied + foreign + long);

    expect(page.witnessed).toBe(false);
    expect(page.cosigners).toEqual([]);
    expect(page.rejected.map((r) => [r.reason, r.name])).toEqual([
      ['INVALID_SIGNATURE', 'elg/320000/witness'],
      ['UNKNOWN_KEY', 'elg/330000/witness'],
      ['MALFORMED', 'elg/340000/witness'],
    ]);
    expect(gateway.rejected.map((r) => [r.reason, r.name])).toEqual(
      page.rejected.map((r) => [r.reason, r.name]),
    );
  });

  it('does not count a key that is given under another province, nor a key that is not a witness key', async () => {
    const n = await note(9, ['320000', '330000']);
    const swapped: WitnessesInput = {
      policy: POLICY,
      keys: [
        { province: '330000', name: witnessName('320000'), jwk: ring('320000').witness.publicJwk },
        {
          province: '330000',
          name: witnessName('330000'),
          jwk: { ...ring('330000').witness.publicJwk, purpose: 'audit' },
        },
      ],
    };

    const page = await checkWitnesses(n, swapped);

    expect(page.witnessed).toBe(false);
    expect(page.rejected.map((r) => r.reason)).toEqual(['UNKNOWN_KEY', 'UNKNOWN_KEY']);
  });

  it('is not witnessed without a policy, nor for a note that is not a checkpoint; it never throws', async () => {
    const n = await note(10, ['320000', '330000']);

    const none = await checkWitnesses(n, { keys: given.keys });
    const garbage = await checkWitnesses('not a note', given);
    const missing = await checkWitnesses(n, undefined);

    expect(none).toMatchObject({ witnessed: false, cosigners: [] });
    expect(none.policy).toBeUndefined();
    expect(garbage).toMatchObject({ witnessed: false, rejected: [{ reason: 'MALFORMED' }] });
    expect(missing.witnessed).toBe(false);
  });
});
