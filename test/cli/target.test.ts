import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { elg } from './run-elg.ts';

const ID = '1.2.156.3005.2.11100000000013338W032.113100000024601315.2026000001.001.8';

/** A gateway stand-in that records the Authorization header of every call and answers 404. */
interface Recorder {
  url: string;
  seen: (string | undefined)[];
  server: Server;
}

async function recorder(): Promise<Recorder> {
  const seen: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'recorded', traceId: '' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, server };
}

const tokens = (id: string) => ({
  issuer: `dev-${id}-issuer`,
  platform: `dev-${id}-platform`,
  operator: `dev-${id}-operator`,
  auditor: `dev-${id}-auditor`,
});

describe('elg --url: a token only goes to the gateway it was minted for', () => {
  let dir: string;
  let file: string;
  let shanghai: Recorder;
  let jiangsu: Recorder;
  let stranger: Recorder;

  beforeAll(async () => {
    [shanghai, jiangsu, stranger] = await Promise.all([recorder(), recorder(), recorder()]);
    dir = await mkdtemp(join(tmpdir(), 'elg-target-'));
    file = join(dir, 'federation.json');
    const department = { name: '上海市住房和城乡建设管理委员会', uscc: '113100000024601315' };
    await writeFile(
      file,
      JSON.stringify({
        provinces: [
          {
            id: '310000',
            name: '上海',
            url: shanghai.url,
            departments: [department],
            tokens: tokens('310000'),
          },
          { id: '320000', name: '江苏', url: jiangsu.url, departments: [], tokens: tokens('320000') },
        ],
      }),
    );
  });

  beforeEach(() => {
    for (const r of [shanghai, jiangsu, stranger]) r.seen.length = 0;
  });

  afterAll(async () => {
    await Promise.all(
      [shanghai, jiangsu, stranger].map(
        (r) => new Promise<void>((resolve) => (r ? r.server.close(() => resolve()) : resolve())),
      ),
    );
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a --url outside the federation without --token, and calls nobody', async () => {
    // Act
    const run = await elg(['show', ID, '--federation', file, '--url', stranger.url]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`--url ${stranger.url} needs --token JWT (or $ELG_TOKEN)`);
    expect(run.stderr).toContain(`it is no province of ${file}`);
    expect([...shanghai.seen, ...jiangsu.seen, ...stranger.seen]).toEqual([]);
  });

  it('refuses a --url without --token when there is no federation file at all', async () => {
    // Act
    const run = await elg(['show', ID, '--federation', join(dir, 'none.json'), '--url', stranger.url]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('needs --token JWT');
    expect(stranger.seen).toEqual([]);
  });

  it("sends a province's dev token to that province's URL, whichever --province is the default", async () => {
    // Act
    const own = await elg(['show', ID, '--federation', file, '--url', `${shanghai.url}/`]);
    const other = await elg(['show', ID, '--federation', file, '--url', jiangsu.url]);

    // Assess
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('error NOT_FOUND: recorded');
    expect(shanghai.seen).toEqual(['Bearer dev-310000-issuer']);
    expect(other.code).toBe(1);
    expect(jiangsu.seen).toEqual(['Bearer dev-320000-issuer']);
    expect(stranger.seen).toEqual([]);
  });

  it("refuses a --url that is another province's than --province says", async () => {
    // Act
    const run = await elg(['show', ID, '--federation', file, '--url', jiangsu.url, '--province', '310000']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`is province 320000 in ${file}, not --province 310000`);
    expect([...shanghai.seen, ...jiangsu.seen]).toEqual([]);
  });

  it('sends the given --token or $ELG_TOKEN, and only that, to any --url', async () => {
    // Act
    const flag = await elg(['show', ID, '--federation', file, '--url', stranger.url, '--token', 'given']);
    const env = await elg(['show', ID, '--url', stranger.url], { ELG_TOKEN: 'from-env' });

    // Assess
    expect(flag.code).toBe(1);
    expect(env.code).toBe(1);
    expect(stranger.seen).toEqual(['Bearer given', 'Bearer from-env']);
    expect([...shanghai.seen, ...jiangsu.seen]).toEqual([]);
  });
});
