import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDITED_EVENT } from '../../../contracts/examples/audit.ts';
import { type WitnessPolicy, witnessName } from '../../../contracts/registry.ts';
import { auditOrigin, signCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { eventLeafHash } from '../../../lib/audit/log-leaf.ts';
import { nodeHash, sha256 } from '../../../lib/audit/merkle.ts';
import { assembleTrace } from '../../../lib/audit/trace.ts';
import { traceHtml } from '../../../lib/audit/trace-html.ts';
import { registryTraceVerifier } from '../../../lib/audit/trace-verifier.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { cosignWith } from '../../../lib/witness/cosignature.ts';

/**
 * A trace checks every checkpoint it verifies for the quorum of the log's witnesses, as the
 * registry names them: one Shanghai event, proven in Shanghai's log, served by a fake auditor API.
 */

const LOG = '310000';
const WITNESSES = ['320000', '330000', '340000'] as const;
const POLICY: WitnessPolicy = { witnesses: [...WITNESSES], quorum: 2 };
const T = 1_780_000_000;
const event = { ...AUDITED_EVENT, leafIndex: 0 };
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

let rings: Map<string, KeyRing>;
const ring = (id: string) => {
  const r = rings.get(id);
  if (!r) throw new Error(`no key ring for ${id}`);
  return r;
};

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elg-trace-witness-'));
  rings = new Map(
    await Promise.all(
      [LOG, ...WITNESSES].map(async (id) => [id, await loadLocalKeyRing(join(dir, id))] as const),
    ),
  );
});

function registry(policy: WitnessPolicy | undefined): TrustRegistry {
  return TrustRegistry.fromClaims({
    iss: 'test',
    iat: 0,
    seq: 7,
    provinces: [LOG, ...WITNESSES].map((id, i) => ({
      id,
      name: `province ${id}`,
      baseUrl: `http://127.0.0.1:${i + 1}`,
      jwks: jwksOf(ring(id)),
      status: 'active' as const,
      witnessName: witnessName(id),
      ...(id === LOG && policy ? { witnessPolicy: policy } : {}),
    })),
  });
}

/** Shanghai's log: the event as leaf 0 of a tree of 1 and of 2 leaves. */
const leaf0 = () => eventLeafHash(event);
const leaf1 = sha256(new TextEncoder().encode('another leaf'));

async function signed(size: 1 | 2, cosigners: readonly string[]): Promise<string> {
  const root = size === 1 ? leaf0() : nodeHash(leaf0(), leaf1);
  const note = await signCheckpoint(ring(LOG).audit, auditOrigin(LOG), size, root);
  const lines = await Promise.all(cosigners.map((w) => cosignWith(ring(w).witness, note, witnessName(w), T)));
  return note + lines.join('');
}

/** The auditor API of Shanghai: its events, its latest checkpoint, the proof against `proofNote`. */
function auditorApi(headNote: string, proofNote = headNote): typeof fetch {
  const proofSize = Number(proofNote.split('\n')[1]);
  return (async (input: string | URL | Request) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const json = (body: unknown) => Response.json(body);
    if (url.pathname === '/v1/audit/events') return json({ items: [event] });
    if (url.pathname === '/v1/audit/checkpoint') return new Response(headNote);
    if (url.pathname.endsWith('/proof')) {
      return json({
        index: 0,
        treeSize: proofSize,
        leafHash: b64(leaf0()),
        proof: proofSize === 1 ? [] : [b64(leaf1)],
        checkpoint: proofNote,
      });
    }
    if (url.pathname === '/v1/audit/consistency') return json({ from: 1, to: 2, proof: [b64(leaf1)] });
    return new Response('not found', { status: 404 });
  }) as typeof fetch;
}

async function trace(policy: WitnessPolicy | undefined, api: typeof fetch) {
  return assembleTrace(
    event.traceId,
    [{ province: LOG, baseUrl: 'http://127.0.0.1:1', token: 'auditor-token' }],
    registryTraceVerifier(registry(policy)),
    api,
  );
}

describe('the witness quorum of the checkpoints a trace verifies', () => {
  it('passes a trace whose checkpoint carries the quorum, showing who cosigned', async () => {
    const report = await trace(POLICY, auditorApi(await signed(1, ['320000', '340000'])));

    expect(report.gaps).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.provinces[0]?.checkpoint).toMatchObject({
      treeSize: 1,
      verified: true,
      witness: {
        witnessed: true,
        policy: POLICY,
        cosigners: [
          { province: '320000', name: 'elg/320000/witness', timestamp: T },
          { province: '340000', name: 'elg/340000/witness', timestamp: T },
        ],
        missing: ['330000'],
      },
    });
    const html = traceHtml(report);
    expect(html).toContain('witnessed: 2 of 3 cosigned (quorum 2): 320000, 340000');
    expect(html).not.toContain('NOT_WITNESSED');
  });

  it('flags NOT_WITNESSED when the checkpoint is one cosignature short', async () => {
    const report = await trace(POLICY, auditorApi(await signed(1, ['330000'])));

    expect(report.ok).toBe(false);
    expect(report.gaps).toEqual([
      {
        kind: 'NOT_WITNESSED',
        province: LOG,
        message:
          'checkpoint 1, which events are proven against: NOT_WITNESSED: 1 of 3 witnesses cosigned, quorum 2 (330000); no valid cosignature from 320000, 340000',
      },
    ]);
    // The other checks still stand: the signature and the proof verified.
    expect(report.provinces[0]?.checkpoint?.verified).toBe(true);
    expect(report.timeline[0]?.proof).toBe('verified');
    const html = traceHtml(report);
    expect(html).toContain('NOT_WITNESSED');
    expect(html).toContain('1 of 3 cosigned (quorum 2): 330000');
  });

  it('does not count cosignatures made over another checkpoint', async () => {
    const other = await signed(2, ['320000', '330000']);
    const head = await signed(1, []);
    const copied =
      head +
      other
        .split('\n')
        .filter((l) => l.includes('/witness '))
        .map((l) => `${l}\n`)
        .join('');

    const report = await trace(POLICY, auditorApi(copied));

    expect(report.gaps.map((g) => g.kind)).toEqual(['NOT_WITNESSED']);
    expect(report.provinces[0]?.checkpoint?.witness?.rejected.map((r) => r.reason)).toEqual([
      'INVALID_SIGNATURE',
      'INVALID_SIGNATURE',
    ]);
  });

  it("checks the quorum of a later checkpoint a proof is made against, not only the first one's", async () => {
    const report = await trace(
      POLICY,
      auditorApi(await signed(1, ['320000', '330000']), await signed(2, ['340000'])),
    );

    expect(report.timeline[0]?.proof).toBe('verified');
    expect(report.gaps).toEqual([
      expect.objectContaining({
        kind: 'NOT_WITNESSED',
        message: expect.stringMatching(/^checkpoint 2, which events are proven against: NOT_WITNESSED/),
      }),
    ]);
  });

  it('proves against an earlier witnessed checkpoint that the newest one extends: a head not yet cosigned is no gap', async () => {
    const report = await trace(
      POLICY,
      auditorApi(await signed(2, []), await signed(1, ['320000', '330000'])),
    );

    expect(report.gaps).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.timeline[0]?.proof).toBe('verified');
    expect(report.provinces[0]?.checkpoint).toMatchObject({ treeSize: 2, witness: { witnessed: false } });
  });

  it('shows a log the registry names no witnesses for as not witnessed, without a gap', async () => {
    const report = await trace(undefined, auditorApi(await signed(1, ['320000', '330000'])));

    expect(report.gaps).toEqual([]);
    expect(report.provinces[0]?.checkpoint?.witness).toMatchObject({ witnessed: false, cosigners: [] });
    expect(report.provinces[0]?.checkpoint?.witness?.policy).toBeUndefined();
    expect(traceHtml(report)).toContain('not witnessed: the registry names no witnesses for this log');
  });
});
