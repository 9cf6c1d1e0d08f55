import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freePort } from '../../federation/dynamodb-local.ts';
import { elg } from './run-elg.ts';

const ProvincesJsonSchema = z.object({
  provinces: z.array(z.object({ id: z.string(), agreementsUnavailable: z.string().optional() })),
});

describe('elg provinces when a gateway does not answer', () => {
  let dir: string;
  let file: string;
  let url: string;

  beforeAll(async () => {
    // Prepare: a federation file whose only province listens nowhere
    dir = await mkdtemp(join(tmpdir(), 'elg-cli-provinces-'));
    file = join(dir, 'federation.json');
    url = `http://127.0.0.1:${await freePort()}`;
    const tokens = { issuer: 'x', platform: 'x', operator: 'x', auditor: 'x' };
    await writeFile(
      file,
      JSON.stringify({
        provinces: [{ id: '310000', name: '上海市', url, departments: [], tokens }],
      }),
    );
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('still lists the province, marks its agreements unknown and exits 0; --offline asks nobody', async () => {
    // Act
    const [listed, json, offline] = await Promise.all([
      elg(['provinces', '--federation', file]),
      elg(['provinces', '--federation', file, '--json']),
      elg(['provinces', '--federation', file, '--offline']),
    ]);

    // Assess
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`310000  上海市  ${url}`);
    expect(listed.stdout).toMatch(
      new RegExp(`310000 上海\\s+unknown: no answer from ${url} \\(connection refused\\)\\n`),
    );
    expect(listed.stdout).toContain('is the federation running?');
    expect(json.code).toBe(0);
    expect(ProvincesJsonSchema.parse(JSON.parse(json.stdout)).provinces[0]?.agreementsUnavailable).toBe(
      `no answer from ${url} (connection refused)`,
    );
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain(`310000  上海市  ${url}`);
    expect(offline.stdout).not.toContain('active agreements');
  });
});
