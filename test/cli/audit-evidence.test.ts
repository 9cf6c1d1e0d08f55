import { createPublicKey, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecord, type EvidenceReport } from '../../cli/commands/audit/evidence.ts';
import { SIGNATURE_HEADER } from '../../contracts/interop.ts';
import type { RunningProvince } from '../../federation/federation.ts';
import { auditOrigin, signCheckpoint } from '../../lib/audit/checkpoint.ts';
import { leafHash, MemoryTree } from '../../lib/audit/merkle.ts';
import { newTraceId } from '../../lib/ids.ts';
import { signRequest } from '../../lib/interop/request-signature.ts';
import { formatAddCheckpoint } from '../../lib/witness/add-checkpoint.ts';
import { type TestFederation, testFederation } from '../support/federation.ts';
import { elg } from './run-elg.ts';

const SH = '310000';
const JS = '320000';
const SC = '510000';
const PATH = '/v1/witness/add-checkpoint';

/**
 * `elg audit evidence` against a running federation whose log 510000 forks: 510000's witnesses
 * (310000 and 320000) cosign one history, then 510000 signs another with its real audit key; each
 * witness refuses it and keeps both checkpoints, and the CLI lists them verbatim and checks each
 * against the registry. The federation's loops do not run, so nothing else submits checkpoints.
 */
describe('elg audit evidence against a federation with a forked log', () => {
  let f: TestFederation;
  let fed: string[];
  const leaves = (seed: string, n: number) =>
    MemoryTree.of(Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${seed}/${i}`))));
  const honest = leaves('510000-honest', 16);
  const p = (id: string): RunningProvince => f.province(id);
  const note = (t: MemoryTree, size: number) =>
    signCheckpoint(p(SC).gateway.keys.audit, auditOrigin(SC), size, t.root(size));

  async function submit(witness: string, body: string) {
    const { header } = await signRequest(p(SC).gateway.keys.gateway, {
      iss: SC,
      aud: witness,
      method: 'POST',
      pathWithQuery: PATH,
      body,
      traceId: newTraceId(),
      now: new Date(),
    });
    const res = await fetch(`${p(witness).url}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', [SIGNATURE_HEADER]: header },
      body,
    });
    return { status: res.status, text: await res.text() };
  }

  let cosignedNote: string;
  let rootMismatch: string;
  let forkNote: string;

  beforeAll(async () => {
    f = await testFederation({ name: 'clev', provinces: [SH, JS, SC], scheduled: false });
    fed = ['--federation', f.file];
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('finds no evidence at a witness that holds none, and exits 0', async () => {
    // 510000 witnesses no log of this federation: it never holds evidence, whatever ran before.
    const run = await elg(['audit', 'evidence', ...fed, '--province', SC]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^no split-view evidence\n {2}witness 510000 四川 {2}0 records\n\nchecked against registry seq \d+\n$/,
    );
  });

  describe('after 510000 signed a second history', () => {
    beforeAll(async () => {
      cosignedNote = await note(honest, 8);
      for (const w of [SH, JS]) {
        expect(
          await submit(w, formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: cosignedNote })),
        ).toMatchObject({ status: 200 });
      }
      const fork = leaves(`510000-fork-${randomBytes(4).toString('hex')}`, 12);
      // Another root at the size cosigned, at both witnesses; a larger fork at 310000.
      rootMismatch = await note(fork, 8);
      for (const w of [SH, JS]) {
        expect(
          await submit(w, formatAddCheckpoint({ oldSize: 8, proof: [], checkpoint: rootMismatch })),
        ).toEqual({
          status: 409,
          text: '8\n',
        });
      }
      forkNote = await note(fork, 12);
      expect(
        (
          await submit(
            SH,
            formatAddCheckpoint({ oldSize: 8, proof: fork.consistencyProof(8, 12), checkpoint: forkNote }),
          )
        ).status,
      ).toBe(422);
    });

    it('lists every record with both signed checkpoints verbatim, each verified with the audit key, and exits 3', async () => {
      const run = await elg(['audit', 'evidence', ...fed]);

      expect(run.stderr).toBe('');
      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(/^3 pieces of split-view evidence\n/);
      expect(run.stdout).toContain('witness 310000 上海  2 records');
      expect(run.stdout).toContain('witness 320000 江苏  1 record\n');
      // The notes exactly as signed, signature lines included.
      for (const n of [cosignedNote, rootMismatch, forkNote]) expect(run.stdout).toContain(n);
      expect(run.stdout.split("✓ verifies with 510000's audit key in the registry")).toHaveLength(7);
      expect(run.stdout).not.toContain('✗');
      expect(run.stdout).toContain('kind      root mismatch: the same size with another root hash');
      expect(run.stdout).toContain(
        'kind      fork: the proof from the checkpoint cosigned to a larger one does not verify',
      );
      expect(run.stdout).toContain(
        'checked   ✓ both signed by 510000, and they have the same size and two roots',
      );
      expect(run.stdout).toContain('checked   ✓ both signed by 510000, and the proof sent does not verify');
      expect(
        run.stdout.split('proof     ✓ 510000 signed two histories: the same size with two roots'),
      ).toHaveLength(3);
      expect(run.stdout).toContain(
        'proof     ? not by this pair alone: ask 510000 for the consistency proof',
      );
      expect(run.stdout).toContain('submitted checkpoint, size 12 (old size 8, ');
    });

    it('gives the records and their checks as JSON, one witness with --province', async () => {
      const all = await elg(['audit', 'evidence', ...fed, '--json']);
      const one = await elg(['audit', 'evidence', ...fed, '--province', JS, '--json']);

      expect(all.code).toBe(3);
      const report = JSON.parse(all.stdout) as EvidenceReport;
      expect(report.witnesses.map((w) => [w.province, w.records])).toEqual([
        [SH, 2],
        [JS, 1],
        [SC, 0],
      ]);
      expect(report.items).toHaveLength(3);
      for (const item of report.items) {
        expect(item).toMatchObject({
          logProvince: SC,
          origin: 'elg/510000/audit',
          caller: SC,
          confirmed: true,
          proven: item.kind === 'root-mismatch',
          cosigned: { verified: true, treeSize: 8, note: cosignedNote },
          submitted: { verified: true },
        });
      }
      expect(report.items.filter((i) => i.kind === 'fork').map((i) => [i.witness, i.submitted.note])).toEqual(
        [[SH, forkNote]],
      );

      expect(one.code).toBe(3);
      const mine = JSON.parse(one.stdout) as EvidenceReport;
      expect(mine.witnesses.map((w) => w.province)).toEqual([JS]);
      expect(mine.items.map((i) => [i.witness, i.kind, i.submitted.note])).toEqual([
        [JS, 'root-mismatch', rootMismatch],
      ]);
    });

    it('says so when a checkpoint of a record does not verify with the registry’s audit key', async () => {
      const report = JSON.parse(
        (await elg(['audit', 'evidence', ...fed, '--province', JS, '--json'])).stdout,
      ) as EvidenceReport;
      const [item] = report.items;
      if (!item) throw new Error('no record');
      const record = {
        evidenceId: item.evidenceId,
        kind: item.kind,
        origin: item.origin,
        logProvince: item.logProvince,
        caller: item.caller,
        traceId: item.traceId,
        receivedAt: item.receivedAt,
        cosigned: { treeSize: 8, rootHash: item.cosigned.rootHash, note: item.cosigned.note },
        submitted: { ...item.submitted, note: item.submitted.note.replace('\n8\n', '\n9\n') },
      };
      const key = createPublicKey({ key: p(SC).gateway.keys.audit.publicJwk, format: 'jwk' });
      const other = createPublicKey({ key: p(SH).gateway.keys.audit.publicJwk, format: 'jwk' });

      const tampered = checkRecord(JS, record, [key]);
      const wrongKey = checkRecord(JS, { ...record, submitted: item.submitted }, [other]);
      const noKey = checkRecord(JS, { ...record, submitted: item.submitted }, []);

      expect(tampered).toMatchObject({
        cosigned: { verified: true },
        submitted: { verified: false },
        confirmed: false,
        proven: false,
      });
      expect(wrongKey).toMatchObject({
        cosigned: { verified: false },
        submitted: { verified: false },
        proven: false,
      });
      expect(noKey.cosigned.problem).toBe('the registry lists no audit key of 510000');
      expect(checkRecord(JS, { ...record, submitted: item.submitted }, [key])).toMatchObject({
        confirmed: true,
        proven: true,
      });
    });

    it('refuses the options of the other audit commands', async () => {
      const run = await elg(['audit', 'evidence', ...fed, '--limit', '3']);

      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--limit is not an option of elg audit evidence');
    });
  });
});
