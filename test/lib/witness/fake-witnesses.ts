import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { witnessName } from '../../../contracts/registry.ts';
import { parseCheckpoint } from '../../../lib/audit/checkpoint.ts';
import { verifyConsistency } from '../../../lib/audit/merkle.ts';
import type { Clock } from '../../../lib/clock.ts';
import { TrustRegistry } from '../../../lib/registry/trust-registry.ts';
import { jwksOf } from '../../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../../lib/signing/signer.ts';
import { parseAddCheckpoint } from '../../../lib/witness/add-checkpoint.ts';
import { cosignWith } from '../../../lib/witness/cosignature.ts';
import { signedServer } from '../interop/signed-server.ts';

/**
 * How a fake witness answers add-checkpoint, each a real signed-call server on loopback (or, for
 * `down`, a port where nothing listens):
 * - `cosigns`: checks the body and the consistency proof from the size it holds, cosigns, holds
 *   the new size (compare-and-set as the spec has it: 409 with its size when `old` is not it);
 * - `down`: nothing listens;
 * - `silent`: takes the request and never answers;
 * - `garbage`: 200 with a body that is no signature line;
 * - `other`: 200 with a valid cosignature by its own key, of another checkpoint (`otherNote`);
 * - `holds`: like `cosigns`, but starts holding `holds` (a size it cosigned before this log's
 *   own record of it began), so the first request gets a 409 with that size;
 * - `beyond`: 409 with a size larger than the log has.
 */
export type WitnessMode = 'cosigns' | 'down' | 'silent' | 'garbage' | 'other' | 'holds' | 'beyond';

export interface FakeWitness {
  id: string;
  mode: WitnessMode;
  keys: KeyRing;
  url: string;
  /** Requests that reached it. */
  hits: number;
  /** The size it holds for the log. */
  size: number;
  close(): Promise<void>;
}

export interface FakeWitnessOptions {
  clock: Clock;
  /** The log's checkpoint root hashes by size, for checking proofs (base64). */
  rootAt: (size: number) => Promise<string | undefined>;
  /** The note `other` cosigns instead of the one it is sent. */
  otherNote: () => Promise<string>;
  holds?: number;
}

export async function fakeWitness(
  id: string,
  mode: WitnessMode,
  callers: () => TrustRegistry,
  o: FakeWitnessOptions,
): Promise<FakeWitness> {
  const dir = await mkdtemp(join(tmpdir(), `elg-witness-${id}-`));
  const keys = await loadLocalKeyRing(dir);
  const name = witnessName(id);
  const state = { hits: 0, size: mode === 'holds' ? (o.holds ?? 0) : 0 };
  const timestamp = () => Math.floor(o.clock.now().getTime() / 1000);
  if (mode === 'down' || mode === 'silent') {
    const server = createServer((req) => {
      state.hits++;
      req.resume();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (mode === 'down') await new Promise<void>((r) => server.close(() => r()));
    return {
      id,
      mode,
      keys,
      url,
      get hits() {
        return state.hits;
      },
      get size() {
        return state.size;
      },
      close: () =>
        new Promise<void>((r) => {
          if (mode === 'down') return r();
          server.closeAllConnections();
          server.close(() => r());
        }),
    };
  }
  const served = await signedServer({
    province: id,
    gatewaySigner: keys.gateway,
    callers,
    clock: o.clock,
    routes: (app) => {
      app.post('/v1/witness/add-checkpoint', async (c) => {
        state.hits++;
        const body = parseAddCheckpoint(c.get('rawBody') ?? '');
        const text = { 'content-type': 'text/plain; charset=utf-8' };
        if (mode === 'garbage') return c.body('<html>oops</html>\n', 200, text);
        if (mode === 'other')
          return c.body(await cosignWith(keys.witness, await o.otherNote(), name, timestamp()), 200, text);
        if (mode === 'beyond') return c.body('1000000\n', 409, { 'content-type': 'text/x.tlog.size' });
        if (body.oldSize !== state.size) {
          return c.body(`${state.size}\n`, 409, { 'content-type': 'text/x.tlog.size' });
        }
        const checkpoint = parseCheckpoint(body.checkpoint);
        if (body.oldSize > 0) {
          const from = await o.rootAt(body.oldSize);
          const ok =
            from !== undefined &&
            verifyConsistency(
              body.oldSize,
              checkpoint.treeSize,
              body.proof,
              Buffer.from(from, 'base64'),
              checkpoint.rootHash,
            );
          if (!ok) return c.body('bad proof\n', 422, text);
        }
        state.size = checkpoint.treeSize;
        return c.body(await cosignWith(keys.witness, body.checkpoint, name, timestamp()), 200, text);
      });
    },
  });
  return {
    id,
    mode,
    keys,
    url: served.url,
    get hits() {
      return state.hits;
    },
    get size() {
      return state.size;
    },
    close: served.close,
  };
}

/** A registry listing the log's province and its witnesses, with the policy given. */
export function witnessRegistry(
  log: { id: string; keys: KeyRing },
  witnesses: readonly FakeWitness[],
  policy: { witnesses: string[]; quorum: number } | undefined,
): TrustRegistry {
  return TrustRegistry.fromClaims({
    iss: 'test-root',
    iat: 0,
    seq: 1,
    provinces: [
      {
        id: log.id,
        name: 'log',
        baseUrl: 'http://127.0.0.1:1',
        jwks: jwksOf(log.keys),
        status: 'active',
        ...(policy ? { witnessPolicy: policy } : {}),
      },
      ...witnesses.map((w) => ({
        id: w.id,
        name: `witness ${w.mode}`,
        baseUrl: w.url,
        jwks: jwksOf(w.keys),
        status: 'active' as const,
        witnessName: witnessName(w.id),
      })),
    ],
  });
}
