import { createHash, generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { witnessName } from '../../../contracts/registry.ts';
import { auditOrigin, checkpointText, signCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { LocalSigner } from '../../../lib/signing/local-signer.ts';
import { generateP256PrivateKey } from '../../../lib/signing/public-jwk.ts';
import { cosign } from '../../../lib/witness/cosignature.ts';
import { describeWitnessStatus, type WitnessKey, witnessStatus } from '../../../lib/witness/quorum.ts';

const LOG = '310000';
const ORIGIN = auditOrigin(LOG);
const POLICY = { witnesses: ['320000', '330000', '340000'], quorum: 2 };
const T = 1_780_000_000;

interface Witness {
  province: string;
  name: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function witness(province: string): Witness {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { province, name: witnessName(province), privateKey, publicKey };
}

const raw = (publicKey: KeyObject) => Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');

/** The key ID of the spec, computed here by hand: SHA-256(name || 0x0A || 0x04 || key)[:4]. */
const handKeyId = (name: string, publicKey: KeyObject) =>
  new Uint8Array(
    createHash('sha256')
      .update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, 0x04]), raw(publicKey)]))
      .digest()
      .subarray(0, 4),
  );

const keyOf = (w: Witness): WitnessKey => ({
  name: w.name,
  keyId: handKeyId(w.name, w.publicKey),
  key: w.publicKey,
});

let audit: LocalSigner;
let w320: Witness;
let w330: Witness;
let w340: Witness;
let w510: Witness;
/** Published witness keys per province; a test may add an earlier generation. */
let published: Map<string, WitnessKey[]>;

const sources = (policy: typeof POLICY | undefined = POLICY) => ({
  policy,
  witnessKeys: (p: string) => published.get(p) ?? [],
});

async function checkpoint(size = 8, fill = 1): Promise<string> {
  return signCheckpoint(audit, ORIGIN, size, new Uint8Array(32).fill(fill));
}

const withLines = (note: string, ...lines: string[]) => note + lines.join('');

beforeAll(async () => {
  audit = await LocalSigner.create(generateP256PrivateKey(), 'audit');
  w320 = witness('320000');
  w330 = witness('330000');
  w340 = witness('340000');
  w510 = witness('510000');
  published = new Map([w320, w330, w340, w510].map((w) => [w.province, [keyOf(w)]]));
});

describe('witnessStatus', () => {
  it('counts the cosignature/v1 lines as the spec defines them: checked here byte by byte', async () => {
    const note = await checkpoint();
    const line = cosign(note, w320.name, w320.privateKey, T);

    // An independent reading of the line: em dash, name, base64(key ID || u64 BE time || signature).
    const m = /^\u2014 (\S+) (\S+)\n$/.exec(line);
    expect(m?.[1]).toBe('elg/320000/witness');
    const bytes = Buffer.from(m?.[2] ?? '', 'base64');
    expect(bytes).toHaveLength(76);
    expect(new Uint8Array(bytes.subarray(0, 4))).toEqual(handKeyId(w320.name, w320.publicKey));
    expect(bytes.readBigUInt64BE(4)).toBe(BigInt(T));
    // The message, built by hand: "cosignature/v1\n", "time <T>\n", then the note text.
    const text = checkpointText(ORIGIN, 8, new Uint8Array(32).fill(1));
    expect(note.startsWith(`${text}\n`)).toBe(true);
    const message = Buffer.from(`cosignature/v1\ntime ${T}\n${text}`, 'utf8');
    expect(verify(null, message, w320.publicKey, bytes.subarray(12))).toBe(true);
    expect(verify(null, Buffer.from(text, 'utf8'), w320.publicKey, bytes.subarray(12))).toBe(false);

    const status = witnessStatus(withLines(note, line), sources());
    expect(status.cosigners).toEqual([{ province: '320000', name: 'elg/320000/witness', timestamp: T }]);
  });

  it('is witnessed when the quorum of the policy cosigned', async () => {
    const note = await checkpoint();
    const status = witnessStatus(
      withLines(
        note,
        cosign(note, w320.name, w320.privateKey, T),
        cosign(note, w340.name, w340.privateKey, T + 1),
      ),
      sources(),
    );

    expect(status).toEqual({
      witnessed: true,
      policy: POLICY,
      cosigners: [
        { province: '320000', name: 'elg/320000/witness', timestamp: T },
        { province: '340000', name: 'elg/340000/witness', timestamp: T + 1 },
      ],
      missing: ['330000'],
      rejected: [],
    });
    expect(describeWitnessStatus(status)).toBe(
      'witnessed: 2 of 3 witnesses cosigned, quorum 2 (320000, 340000)',
    );
  });

  it('is not witnessed one cosignature short, nor with none', async () => {
    const note = await checkpoint();

    const one = witnessStatus(withLines(note, cosign(note, w330.name, w330.privateKey, T)), sources());
    const none = witnessStatus(note, sources());

    expect(one.witnessed).toBe(false);
    expect(one.cosigners.map((c) => c.province)).toEqual(['330000']);
    expect(one.missing).toEqual(['320000', '340000']);
    expect(describeWitnessStatus(one)).toBe('NOT_WITNESSED: 1 of 3 witnesses cosigned, quorum 2 (330000)');
    expect(none).toMatchObject({ witnessed: false, cosigners: [], rejected: [] });
  });

  it('counts a witness that cosigned twice once, showing its earliest cosignature', async () => {
    const note = await checkpoint();
    const status = witnessStatus(
      withLines(
        note,
        cosign(note, w320.name, w320.privateKey, T + 5),
        cosign(note, w320.name, w320.privateKey, T),
        cosign(note, w320.name, w320.privateKey, T + 5),
      ),
      sources(),
    );

    expect(status.witnessed).toBe(false);
    expect(status.cosigners).toEqual([{ province: '320000', name: 'elg/320000/witness', timestamp: T }]);
    expect(status.rejected).toEqual([]);
  });

  it('reports, and never counts, a cosignature made over another checkpoint', async () => {
    const note = await checkpoint(8, 1);
    const other = await checkpoint(9, 2);
    const status = witnessStatus(
      withLines(
        note,
        cosign(other, w320.name, w320.privateKey, T),
        cosign(other, w330.name, w330.privateKey, T),
      ),
      sources(),
    );

    expect(status.witnessed).toBe(false);
    expect(status.cosigners).toEqual([]);
    expect(status.rejected.map((r) => [r.reason, r.name])).toEqual([
      ['INVALID_SIGNATURE', 'elg/320000/witness'],
      ['INVALID_SIGNATURE', 'elg/330000/witness'],
    ]);
  });

  it('reports a line by an unknown key, even under a witness name of the policy', async () => {
    const note = await checkpoint();
    const impostor = witness('320000');
    const status = witnessStatus(
      withLines(
        note,
        cosign(note, impostor.name, impostor.privateKey, T),
        cosign(note, 'witness.example/w1', impostor.privateKey, T),
        cosign(note, w330.name, w330.privateKey, T),
      ),
      sources(),
    );

    expect(status.witnessed).toBe(false);
    expect(status.cosigners.map((c) => c.province)).toEqual(['330000']);
    expect(status.rejected).toEqual([
      expect.objectContaining({
        reason: 'UNKNOWN_KEY',
        name: 'elg/320000/witness',
        keyId: Buffer.from(handKeyId(impostor.name, impostor.publicKey)).toString('hex'),
      }),
      expect.objectContaining({ reason: 'UNKNOWN_KEY', name: 'witness.example/w1' }),
    ]);
  });

  it('does not count a witness the policy does not name, whatever its key', async () => {
    const note = await checkpoint();
    const status = witnessStatus(
      withLines(
        note,
        cosign(note, w510.name, w510.privateKey, T),
        cosign(note, w320.name, w320.privateKey, T),
      ),
      sources(),
    );

    expect(status.witnessed).toBe(false);
    expect(status.cosigners.map((c) => c.province)).toEqual(['320000']);
    expect(status.rejected).toEqual([
      expect.objectContaining({ reason: 'UNKNOWN_KEY', name: 'elg/510000/witness' }),
    ]);
  });

  it('reports malformed signature lines and counts the rest', async () => {
    const note = await checkpoint();
    const good = cosign(note, w320.name, w320.privateKey, T);
    // A note signature of another type (ECDSA, 0x02: no timestamp) by a witness name.
    const [, , b64] = note.trimEnd().split('\n').at(-1)?.split(' ') ?? [];
    const notCosignature = `\u2014 ${w330.name} ${b64}\n`;
    // Canonical base64 of 79 bytes: a cosignature with three bytes too many.
    const [dash, name, payload = ''] = good.trimEnd().split(' ');
    const padded = `${dash} ${name} ${Buffer.concat([Buffer.from(payload, 'base64'), Buffer.alloc(3)]).toString('base64')}\n`;

    const status = witnessStatus(
      withLines(note, notCosignature, padded, good, cosign(note, w340.name, w340.privateKey, T)),
      sources(),
    );

    expect(status.witnessed).toBe(true);
    expect(status.rejected.map((r) => [r.reason, r.name])).toEqual([
      ['MALFORMED', 'elg/330000/witness'],
      ['MALFORMED', 'elg/320000/witness'],
    ]);
  });

  it("counts a cosignature by a witness's earlier published key after it rotated", async () => {
    const note = await checkpoint();
    const earlier = cosign(note, w320.name, w320.privateKey, T);
    const rotated = witness('320000');
    const before = published.get('320000') ?? [];
    published.set('320000', [keyOf(rotated), ...before]);
    try {
      const status = witnessStatus(
        withLines(
          note,
          earlier,
          cosign(note, rotated.name, rotated.privateKey, T + 9),
          cosign(note, w330.name, w330.privateKey, T),
        ),
        sources(),
      );
      expect(status.witnessed).toBe(true);
      expect(status.cosigners).toEqual([
        { province: '320000', name: 'elg/320000/witness', timestamp: T },
        { province: '330000', name: 'elg/330000/witness', timestamp: T },
      ]);
      // Once the earlier key is no longer published, its cosignature is by an unknown key.
      published.set('320000', [keyOf(rotated)]);
      const after = witnessStatus(
        withLines(note, earlier, cosign(note, w330.name, w330.privateKey, T)),
        sources(),
      );
      expect(after.witnessed).toBe(false);
      expect(after.rejected.map((r) => r.reason)).toEqual(['UNKNOWN_KEY']);
    } finally {
      published.set('320000', before);
    }
  });

  it('is not witnessed for a log without a witness policy, whoever cosigned', async () => {
    const note = await checkpoint();
    const status = witnessStatus(
      withLines(
        note,
        cosign(note, w320.name, w320.privateKey, T),
        cosign(note, w330.name, w330.privateKey, T),
      ),
      { policy: undefined, witnessKeys: (p: string) => published.get(p) ?? [] },
    );

    expect(status.witnessed).toBe(false);
    expect(status.policy).toBeUndefined();
    expect(status.cosigners).toEqual([]);
    expect(status.rejected.map((r) => r.reason)).toEqual(['UNKNOWN_KEY', 'UNKNOWN_KEY']);
    expect(describeWitnessStatus(status)).toBe('not witnessed: the registry names no witnesses for this log');
  });

  it('refuses a note that is not a signed checkpoint', () => {
    expect(() => witnessStatus('elg/310000/audit\n8\n', sources())).toThrow(/not a checkpoint/);
  });
});
