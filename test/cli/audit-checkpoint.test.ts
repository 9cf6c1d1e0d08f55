import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointReport } from '../../cli/commands/audit/checkpoint.ts';
import { type WitnessPolicy, witnessName } from '../../contracts/registry.ts';
import { auditOrigin, signCheckpoint } from '../../lib/audit/checkpoint.ts';
import { loadOrCreateRootKey, signRegistry } from '../../lib/registry/sign-registry.ts';
import { jwksOf } from '../../lib/signing/jws.ts';
import { loadLocalKeyRing } from '../../lib/signing/local-signer.ts';
import type { KeyRing } from '../../lib/signing/signer.ts';
import { cosignWith } from '../../lib/witness/cosignature.ts';
import { elg } from './run-elg.ts';

/**
 * `elg audit checkpoint --province P` against auditor APIs on loopback that serve checkpoints
 * made here: signed with the province's real audit key (or another), cosigned by the witnesses'
 * real keys (or too few of them), checked against a registry signed by the federation's root.
 */

const SH = '310000';
const SC = '510000';
const WITNESSES = ['320000', '330000', '340000'] as const;
const POLICY: WitnessPolicy = { witnesses: [...WITNESSES], quorum: 2 };
const T = 1_780_000_000;
const ROOT = new Uint8Array(32).fill(9);

describe('elg audit checkpoint', () => {
  let dir: string;
  let fed: string[];
  let rings: Map<string, KeyRing>;
  let stranger: KeyRing;
  /** What each province's fake auditor API answers for GET /v1/audit/checkpoint. */
  const served = new Map<string, { status: number; body: string }>();
  const seen: { province: string; authorization: string | undefined }[] = [];
  const servers: Server[] = [];

  const ring = (id: string) => {
    const r = rings.get(id);
    if (!r) throw new Error(id);
    return r;
  };
  const cosigned = async (province: string, cosigners: readonly string[], signer = ring(province).audit) => {
    const note = await signCheckpoint(signer, auditOrigin(province), 42, ROOT);
    const lines = await Promise.all(
      cosigners.map((w) => cosignWith(ring(w).witness, note, witnessName(w), T)),
    );
    return note + lines.join('');
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elg-cli-checkpoint-'));
    const ids = [SH, ...WITNESSES, SC];
    rings = new Map(
      await Promise.all(ids.map(async (id) => [id, await loadLocalKeyRing(join(dir, id))] as const)),
    );
    stranger = await loadLocalKeyRing(join(dir, 'stranger'));
    const urls = new Map<string, string>();
    for (const id of ids) {
      const server = createServer((req, res) => {
        seen.push({ province: id, authorization: req.headers.authorization });
        const answer =
          req.url === '/v1/audit/checkpoint' ? served.get(id) : { status: 404, body: '{"error":{}}' };
        res.writeHead(answer?.status ?? 404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(answer?.body ?? '');
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      servers.push(server);
      urls.set(id, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    const root = await loadOrCreateRootKey(join(dir, 'root.jwk'));
    const registry = await signRegistry(root, {
      iss: 'test-root',
      iat: Math.floor(Date.now() / 1000),
      seq: 11,
      provinces: ids.map((id) => ({
        id,
        name: `province ${id}`,
        baseUrl: urls.get(id) ?? '',
        jwks: jwksOf(ring(id)),
        status: 'active' as const,
        ...(WITNESSES.includes(id as (typeof WITNESSES)[number]) ? { witnessName: witnessName(id) } : {}),
        ...(id === SH ? { witnessPolicy: POLICY } : {}),
      })),
    });
    await writeFile(join(dir, 'registry.jws'), registry);
    const file = join(dir, 'federation.json');
    await writeFile(
      file,
      JSON.stringify({
        root: { jwk: root.publicJwk },
        registry: join(dir, 'registry.jws'),
        provinces: ids.map((id) => ({
          id,
          name: `province ${id}`,
          url: urls.get(id),
          departments: [],
          tokens: {
            issuer: 'i',
            platform: 'p',
            operator: 'o',
            auditor: `auditor-of-${id}`,
          },
        })),
      }),
    );
    fed = ['--federation', file];
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  });

  it('shows who cosigned a witnessed checkpoint, asking as the province auditor', async () => {
    served.set(SH, { status: 200, body: await cosigned(SH, ['320000', '340000']) });
    seen.length = 0;

    const run = await elg(['audit', 'checkpoint', ...fed, '--province', SH]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(seen).toEqual([{ province: SH, authorization: `Bearer auditor-of-${SH}` }]);
    const at = new Date(T * 1000).toISOString();
    expect(run.stdout.split('\n')).toEqual([
      'checkpoint of 310000 上海: WITNESSED',
      `  tree       42, root ${Buffer.from(ROOT).toString('base64')}`,
      expect.stringMatching(/^ {2}signature {2}✓ by the province's audit key \(key ID [0-9a-f]{8}\)$/),
      '  witnesses  2 of 3 cosigned, quorum 2: met',
      `    ✓ 320000 江苏  elg/320000/witness  cosigned ${at}`,
      '    ✗ 330000 浙江  no valid cosignature',
      `    ✓ 340000 安徽  elg/340000/witness  cosigned ${at}`,
      '',
      'checked against registry seq 11',
      '',
    ]);
  });

  it('flags NOT_WITNESSED one cosignature short, exits 3, and says so in --json', async () => {
    const note = await cosigned(SH, ['330000']);
    // A line by a key no witness of the log publishes is shown, and not counted.
    const foreign = await cosignWith(stranger.witness, note, witnessName('320000'), T);
    served.set(SH, { status: 200, body: note + foreign });

    const run = await elg(['audit', 'checkpoint', ...fed, '--province', SH]);
    const json = await elg(['audit', 'checkpoint', ...fed, '--province', SH, '--json']);

    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/^checkpoint of 310000 上海: NOT_WITNESSED\n/);
    expect(run.stdout).toContain('  witnesses  1 of 3 cosigned, quorum 2: NOT met\n');
    expect(run.stdout).toMatch(/ {2}not counted {2}UNKNOWN_KEY elg\/320000\/witness\+[0-9a-f]{8}: /);
    expect(json.code).toBe(3);
    const report = JSON.parse(json.stdout) as CheckpointReport;
    expect(report).toMatchObject({
      province: SH,
      status: 'NOT_WITNESSED',
      treeSize: 42,
      signature: { verified: true },
      registry: { seq: 11 },
      note: note + foreign,
      witness: {
        witnessed: false,
        policy: POLICY,
        cosigners: [{ province: '330000', name: 'elg/330000/witness', timestamp: T }],
        missing: ['320000', '340000'],
        rejected: [{ reason: 'UNKNOWN_KEY', name: 'elg/320000/witness' }],
      },
    });
  });

  it('refuses a checkpoint not signed by an audit key of the province, whoever cosigned it', async () => {
    served.set(SH, { status: 200, body: await cosigned(SH, [...WITNESSES], stranger.audit) });

    const run = await elg(['audit', 'checkpoint', ...fed, '--province', SH, '--json']);

    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'CHECKPOINT_INVALID',
      signature: { verified: false, reason: expect.stringContaining('no signature by elg/310000/audit') },
    });
  });

  it('says a log the registry names no witnesses for is not witnessed, and exits 0', async () => {
    served.set(SC, { status: 200, body: await cosigned(SC, ['320000']) });

    const run = await elg(['audit', 'checkpoint', ...fed, '--province', SC]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^checkpoint of 510000 四川: NO_WITNESS_POLICY\n/);
    expect(run.stdout).toContain('  witnesses  none: the registry names no witnesses for this log\n');
    expect(run.stdout).toContain('  not counted  UNKNOWN_KEY elg/320000/witness+');
  });

  it("reports the auditor API's error, and a usage error for options of other subcommands", async () => {
    served.set(SH, {
      status: 404,
      body: JSON.stringify({
        error: { code: 'NOT_FOUND', message: 'the audit log is empty', traceId: 'ab'.repeat(16) },
      }),
    });

    const empty = await elg(['audit', 'checkpoint', ...fed, '--province', SH]);
    const stray = await elg(['audit', 'checkpoint', ...fed, '--limit', '3']);

    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('the audit log is empty');
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--limit is not an option of elg audit checkpoint');
  });
});
