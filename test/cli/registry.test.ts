import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type RegistryProvince,
  RegistryProvinceSchema,
  type RootPublicJwk,
  RootPublicJwkSchema,
} from '../../contracts/registry.ts';
import type { Federation } from '../../federation/federation.ts';
import { TrustRegistry } from '../../lib/registry/trust-registry.ts';
import { verifyRegistry } from '../../lib/registry/verify-registry.ts';
import { type TestFederation, testFederation } from '../support/federation.ts';
import { elg } from './run-elg.ts';

const FederationRootSchema = z.object({ root: z.object({ jwk: RootPublicJwkSchema }), registry: z.string() });

describe('elg registry: entries from running gateways, a registry signed from them', () => {
  let running: TestFederation | undefined;
  let dir: string;
  let federation: Federation;
  /** The registry the federation signed for itself: what the gateways really publish. */
  let published: RegistryProvince[];

  beforeAll(async () => {
    running = await testFederation({ name: 'clireg', provinces: ['310000', '320000'] });
    ({ dir } = running);
    federation = running;
    const file = FederationRootSchema.parse(JSON.parse(await readFile(federation.file, 'utf8')));
    published = (await verifyRegistry(await readFile(file.registry, 'utf8'), file.root.jwk)).provinces;
  });

  afterAll(async () => {
    await running?.stop();
  });

  it("prints a gateway's entry with the keys it publishes, and writes it with --out and --name", async () => {
    // Prepare
    const shanghai = federation.province('310000');
    const out = join(dir, 'entry-310000.json');

    // Act
    const printed = await elg(['registry', 'entry', '--url', `${shanghai.url}/`]);
    const written = await elg([
      'registry',
      'entry',
      '--url',
      shanghai.url,
      '--province',
      '310000',
      '--name',
      '上海市 (测试)',
      '--out',
      out,
    ]);

    // Assess: the gateway's own keys, its URL without the slash, the official GB/T 2260 name by default
    expect(printed.code, printed.stderr).toBe(0);
    const entry = RegistryProvinceSchema.parse(JSON.parse(printed.stdout));
    expect(entry).toEqual({
      id: '310000',
      name: '上海市',
      baseUrl: shanghai.url,
      jwks: published.find((p) => p.id === '310000')?.jwks,
      status: 'active',
      witnessName: 'elg/310000/witness',
    });
    expect(entry.jwks.keys.map((k) => k.purpose).sort()).toEqual([
      'audit',
      'credential',
      'gateway',
      'witness',
    ]);
    expect(printed.stderr).toContain('send this JSON to the national registry operator');
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toContain(`written to ${out}`);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({ ...entry, name: '上海市 (测试)' });
  });

  it('refuses a gateway that is another province than --province, and names a URL that does not answer', async () => {
    // Prepare
    const jiangsu = federation.province('320000');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    // Act
    const wrong = await elg(['registry', 'entry', '--url', jiangsu.url, '--province', '310000']);
    const dead = await elg(['registry', 'entry', '--url', deadUrl]);

    // Assess
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`the gateway at ${jiangsu.url} is province 320000, not 310000`);
    expect(wrong.stdout).toBe('');
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain(`no answer from ${deadUrl} (connection refused)`);
  });

  it("names the province's log witnesses with --witnesses and --quorum, checked as the registry checks them", async () => {
    // Prepare
    const shanghai = federation.province('310000');
    const entry = (...args: string[]) => elg(['registry', 'entry', '--url', shanghai.url, ...args]);

    // Act
    const good = await entry('--witnesses', '320000,330000', '--quorum', '2', '--json');
    const self = await entry('--witnesses', '310000,320000', '--quorum', '1');
    const tooMany = await entry('--witnesses', '320000', '--quorum', '2');
    const twice = await entry('--witnesses', '320000,320000', '--quorum', '1');
    const alone = await entry('--witnesses', '320000');

    // Assess
    expect(good.code, good.stderr).toBe(0);
    expect(RegistryProvinceSchema.parse(JSON.parse(good.stdout))).toMatchObject({
      witnessName: 'elg/310000/witness',
      witnessPolicy: { witnesses: ['320000', '330000'], quorum: 2 },
    });
    for (const refused of [self, tooMany, twice, alone]) {
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
    }
    expect(self.stderr).toContain('310000 cannot witness its own log');
    expect(tooMany.stderr).toContain('the quorum is larger than the number of witnesses');
    expect(twice.stderr).toContain('a witness is listed twice');
    expect(alone.stderr).toContain('--witnesses and --quorum go together');
  });

  describe('the national operator', () => {
    let rootKey: string;
    let rootJwkFile: string;
    let created: Awaited<ReturnType<typeof elg>>;
    let root: RootPublicJwk;
    let entries: string[];
    /** `elg registry sign` with the national root key, writing the registry to `out`. */
    const sign = (out: string, ...args: string[]) =>
      elg(['registry', 'sign', '--root-key', rootKey, '--out', out, ...args]);

    beforeAll(async () => {
      rootKey = join(dir, 'national', 'root.jwk');
      rootJwkFile = join(dir, 'root.pub.json');
      created = await elg(['registry', 'root', '--root-key', rootKey, '--create']);
      root = RootPublicJwkSchema.parse(JSON.parse(created.stdout));
      await writeFile(rootJwkFile, created.stdout);
      entries = [];
      for (const p of federation.provinces) {
        const file = join(dir, `send-${p.id}.json`);
        // Each of the two provinces' logs witnessed by the other.
        const other = p.id === '310000' ? '320000' : '310000';
        const witnessed = ['--witnesses', other, '--quorum', '1'];
        const run = await elg(['registry', 'entry', '--url', p.url, ...witnessed, '--out', file]);
        if (run.code !== 0) throw new Error(run.stderr);
        entries.push(file);
      }
    });

    it('creates the root key once, then only reads it; a mistyped path creates nothing', async () => {
      // Act
      const again = await elg(['registry', 'root', '--root-key', rootKey]);
      const createAgain = await elg(['registry', 'root', '--root-key', rootKey, '--create']);
      const mistyped = await elg(['registry', 'root', '--root-key', `${rootKey}.typo`]);

      // Assess
      expect(created.code, created.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual(root);
      expect(JSON.parse(createAgain.stdout)).toEqual(root);
      expect(root.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await stat(rootKey)).mode & 0o777).toBe(0o600);
      expect(await readFile(rootKey, 'utf8')).toContain('"d"');
      expect(created.stdout).not.toContain('"d"');
      expect(mistyped.code).toBe(1);
      expect(mistyped.stderr).toContain('--create generates one');
      expect(existsSync(`${rootKey}.typo`)).toBe(false);
    });

    it('signs the entries into a registry a gateway loads, resolving each province key by purpose', async () => {
      // Prepare
      const out = join(dir, 'registry.jwt');

      // Act
      const signed = await sign(out, '--seq', '42', ...entries);

      // Assess: verified as a gateway verifies it, with both provinces' keys under their purposes
      expect(signed.code, signed.stderr).toBe(0);
      expect(signed.stdout).toContain(`registry seq 42 signed by root key ${root.kid}: 2 province(s)`);
      const claims = await verifyRegistry(await readFile(out, 'utf8'), root);
      expect(claims).toMatchObject({ iss: 'elg-national-root', seq: 42 });
      expect(claims.provinces.map((p) => p.id)).toEqual(['310000', '320000']);
      const loaded = await TrustRegistry.load({ source: out, rootPublicJwk: root });
      for (const p of published) {
        for (const key of p.jwks.keys) {
          await expect(loaded.resolveKey(p.id, key.kid, key.purpose)).resolves.toBeDefined();
        }
        const gatewayKey = p.jwks.keys.find((k) => k.purpose === 'gateway');
        await expect(loaded.resolveKey(p.id, gatewayKey?.kid ?? '', 'credential')).rejects.toMatchObject({
          code: 'WRONG_KEY_PURPOSE',
        });
      }
    });

    it('refuses an entry whose kid is not its key thumbprint, or two entries of one province; writes nothing', async () => {
      // Prepare
      const good = RegistryProvinceSchema.parse(JSON.parse(await readFile(entries[0] ?? '', 'utf8')));
      const [first, ...others] = good.jwks.keys;
      const forged = join(dir, 'forged.json');
      await writeFile(
        forged,
        JSON.stringify({ ...good, jwks: { keys: [{ ...first, kid: 'chosen-by-the-sender' }, ...others] } }),
      );
      const twin = join(dir, 'twin.json');
      await writeFile(twin, JSON.stringify({ ...good, baseUrl: 'https://elsewhere.example' }));
      const out = join(dir, 'refused.jwt');

      // Act
      const withForged = await sign(out, forged);
      const withTwin = await sign(out, entries[0] ?? '', twin);

      // Assess
      expect(withForged.code).toBe(1);
      expect(withForged.stderr).toContain(
        `${forged}: kid chosen-by-the-sender is not the RFC 7638 thumbprint`,
      );
      expect(withTwin.code).toBe(1);
      expect(withTwin.stderr).toContain('are both entries of province 310000');
      expect(existsSync(out)).toBe(false);
    });

    it('shows a registry from a file and over HTTP; refuses one that another root signed', async () => {
      // Prepare
      const file = join(dir, 'shown.jwt');
      const signed = await sign(file, ...entries);
      expect(signed.code, signed.stderr).toBe(0);
      const jws = await readFile(file, 'utf8');
      const server: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/jwt' }).end(jws);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/registry.jwt`;
      const otherRoot = join(dir, 'other-root.jwk');
      const other = await elg(['registry', 'root', '--root-key', otherRoot, '--create']);
      const otherPub = join(dir, 'other-root.pub.json');
      await writeFile(otherPub, other.stdout);

      try {
        // Act
        const fromFile = await elg(['registry', 'show', file, '--root-jwk', rootJwkFile]);
        const overHttp = await elg(['registry', 'show', url, '--root-jwk', rootJwkFile, '--json']);
        const wrongRoot = await elg(['registry', 'show', file, '--root-jwk', otherPub]);

        // Assess
        expect(fromFile.code, fromFile.stderr).toBe(0);
        expect(fromFile.stdout).toContain(`signature verified against root key ${root.kid}`);
        for (const p of published) {
          expect(fromFile.stdout).toContain(
            `${p.id}  ${p.id === '310000' ? '上海市' : '江苏省'}  active  ${p.baseUrl}`,
          );
          for (const k of p.jwks.keys)
            expect(fromFile.stdout).toMatch(new RegExp(`${k.purpose}\\s+${k.kid}`));
          // The witness key as a C2SP verifier key: name+keyID+base64(0x04 || key), computed here.
          const witness = p.jwks.keys.find((k) => k.kty === 'OKP');
          const raw = Buffer.from(witness?.x ?? '', 'base64url');
          const name = `elg/${p.id}/witness`;
          const keyId = createHash('sha256')
            .update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.of(0x04), raw]))
            .digest()
            .subarray(0, 4)
            .toString('hex');
          const vkey = `${name}+${keyId}+${Buffer.concat([Buffer.of(0x04), raw]).toString('base64')}`;
          expect(fromFile.stdout).toContain(`witness as  ${vkey}`);
          expect(fromFile.stdout).toContain(
            `log witnessed by ${p.id === '310000' ? '320000' : '310000'} (quorum 1)`,
          );
        }
        expect(overHttp.code, overHttp.stderr).toBe(0);
        const shown = z
          .object({ source: z.string(), seq: z.number(), provinces: z.array(RegistryProvinceSchema) })
          .parse(JSON.parse(overHttp.stdout));
        expect(shown.source).toBe(url);
        expect(shown.provinces.map((p) => p.jwks)).toEqual(published.map((p) => p.jwks));
        expect(wrongRoot.code).toBe(3);
        expect(wrongRoot.stderr).toContain('REGISTRY_SIGNATURE_INVALID');
        expect(wrongRoot.stdout).toBe('');
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
});
