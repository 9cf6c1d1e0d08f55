import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { checkCheckpoint } from '../cli/commands/audit/checkpoint.ts';
import { HolderUsesPageSchema } from '../contracts/holder.ts';
import { IssueResponseSchema } from '../contracts/license.ts';
import {
  NoticesPageSchema,
  ReportFiledSchema,
  ReportQueuePageSchema,
  ReportViewSchema,
} from '../contracts/reports.ts';
import { CallerReviewSchema, ReviewQueuePageSchema as ReviewsPageSchema } from '../contracts/reviews.ts';
import { type VerifyResponse, VerifyResponseSchema } from '../contracts/verify.ts';
import { auditOrigin, verifyCheckpoint } from '../lib/audit/checkpoint.ts';
import { verifyInclusion } from '../lib/audit/merkle.ts';
import { holderWitnessKeys } from '../lib/holder/witnesses.ts';
import { log } from '../lib/log/logger.ts';
import { witnessStatus } from '../lib/witness/quorum.ts';
import { startDynamoDbLocal } from './dynamodb-local.ts';
import { type Federation, type RunningProvince, startFederation } from './federation.ts';
import { SAMPLE_TYPE } from './provinces.ts';

// The AWS SDK's notice that its 2027 releases will need Node 22 says nothing a demo can act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The story is the output: the federation's request lines only with ELG_LOG_LEVEL, failures always.
if (!process.env.ELG_LOG_LEVEL) log.setLevel('warn');

/**
 * `npm run demo`: the cross-province story end to end on a fresh, throw-away federation (its own
 * DynamoDB Local and free ports, so it runs beside `npm start`), printed as it happens.
 */
const out = (line = '') => process.stdout.write(`${line}\n`);
const use = { matterCode: 'DEMO0001', useCause: '跨省通办演示：办理施工许可' };
const AgreementSchema = z.object({ id: z.string(), state: z.string() });

async function http(
  p: RunningProvince,
  role: keyof RunningProvince['tokens'],
  path: string,
  body?: unknown,
  method = body === undefined ? 'GET' : 'POST',
) {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.tokens[role]}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json: unknown = await res.json();
  if (res.status >= 400) throw new Error(`${p.id} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

async function verifyIn(p: RunningProvince, identifier: string): Promise<VerifyResponse> {
  const answer = VerifyResponseSchema.parse(await http(p, 'platform', '/v1/verify', { identifier, ...use }));
  const reasons = answer.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
  out(`   verdict ${answer.verdict.toUpperCase()}${reasons ? ` (${reasons})` : ''}`);
  out(
    `   receipt from ${answer.issuerProvince ?? '?'}: ${answer.receipt ? 'yes, signed' : 'none'}; trace ${answer.traceId}`,
  );
  return answer;
}

async function waitActive(p: RunningProvince, id: string) {
  for (let i = 0; i < 100; i++) {
    const a = AgreementSchema.parse(await http(p, 'operator', `/v1/agreements/${id}`));
    if (a.state === 'active') return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`agreement ${id} did not become active at ${p.id} within 20 s`);
}

async function story(f: Federation) {
  const sh = f.province('310000');
  const zj = f.province('330000');
  const sc = f.province('510000');
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

  out('1. Shanghai (310000) issues a construction worker’s certificate');
  const issued = IssueResponseSchema.parse(
    await http(sh, 'issuer', '/v1/licenses', {
      typeCode: SAMPLE_TYPE.code,
      typeName: SAMPLE_TYPE.name,
      number: '沪建安A(2026)000123',
      issuer: sh.departments[0],
      holder: { name: '张三', typeCode: '111', code: '11010519491231002X' },
      areaCode: '310000',
      issueDate: today,
      validFrom: today,
      fields: { category: '建筑电工' },
    }),
  );
  out(`   identifier ${issued.identifier}`);

  out('2. Zhejiang (330000) verifies it: both are in the Yangtze River Delta alliance');
  await verifyIn(zj, issued.identifier);

  out('3. Sichuan (510000) verifies it: no agreement with Shanghai yet');
  await verifyIn(sc, issued.identifier);

  out('4. Shanghai proposes a bilateral agreement with Sichuan; Sichuan’s operator signs');
  const until = `${Number(today.slice(0, 4)) + 2}${today.slice(4)}`;
  const proposed = AgreementSchema.parse(
    await http(sh, 'operator', '/v1/agreements', {
      name: '沪川电子证照互认协议',
      parties: ['310000', '510000'],
      grants: [
        {
          grantor: '310000',
          grantee: '510000',
          actions: ['verify', 'status'],
          licenseTypes: ['*'],
          matterCodes: ['*'],
          maxDataLevel: 2,
        },
        {
          grantor: '510000',
          grantee: '310000',
          actions: ['verify', 'status'],
          licenseTypes: ['*'],
          matterCodes: ['*'],
          maxDataLevel: 2,
        },
      ],
      validFrom: today,
      validUntil: until,
    }),
  );
  out(`   proposed ${proposed.id} (${proposed.state})`);
  await waitDelivered(sc, proposed.id);
  await http(sc, 'operator', `/v1/agreements/${proposed.id}/signatures`, {});
  await waitActive(sh, proposed.id);
  await waitActive(sc, proposed.id);
  out('   active in both provinces');

  out('5. Sichuan verifies again');
  await verifyIn(sc, issued.identifier);

  out('6. A service window in Zhejiang finds the category wrong and reports it to Shanghai (差错反馈)');
  const filed = ReportFiledSchema.parse(
    await http(zj, 'platform', '/v1/reports', {
      identifier: issued.identifier,
      fields: [{ path: 'fields.category', problem: '作业类别与原件不符', suggested: '建筑架子工' }],
      description: '窗口受理时核对纸质证书，作业类别登记有误',
    }),
  );
  out(`   report ${filed.reportId}, due ${filed.dueDate} (5 working days)`);
  const queue = ReportQueuePageSchema.parse(await http(sh, 'issuer', '/v1/reports'));
  const queued = queue.items.find((r) => r.reportId === filed.reportId);
  out(
    `   in the Shanghai department's queue: ${queued ? `from ${queued.reporter.province}, ${queued.state}` : 'MISSING'}`,
  );

  out('7. Shanghai issues a corrected version for the report and resolves it');
  const corrected = IssueResponseSchema.parse(
    await http(sh, 'issuer', `/v1/licenses/${issued.identifier}/versions`, {
      fields: { category: '建筑架子工' },
      reason: '根据差错报告更正作业类别',
      reportId: filed.reportId,
    }),
  );
  await http(sh, 'issuer', `/v1/reports/${filed.reportId}/resolution`, {
    outcome: 'corrected',
    reason: '经核实原件，已更正作业类别',
    newIdentifier: corrected.identifier,
  });
  const seen = await waitFor(
    () => http(zj, 'platform', `/v1/reports/${filed.reportId}`).then((b) => ReportViewSchema.parse(b)),
    (v) => v.state === 'resolved',
    'the outcome to reach Zhejiang',
  );
  out(`   Zhejiang sees: ${seen.outcome}, new version ${seen.newIdentifier}`);

  out('8. Sichuan relied on the license in step 5: it receives a change notice');
  await noticeIn(sc, issued.identifier);

  out('9. Shanghai holds public-security requests for a person to decide (人工复核); Zhejiang asks one');
  await http(sh, 'operator', '/v1/review-policy', { rules: [{ matterCodes: ['ZJ-GA-01'] }] }, 'PUT');
  const held = VerifyResponseSchema.parse(
    await http(zj, 'platform', '/v1/verify', {
      identifier: corrected.identifier,
      matterCode: 'ZJ-GA-01',
      useCause: '公安机关办理案件核查从业资格',
    }),
  );
  out(
    `   verdict ${held.verdict.toUpperCase()} (${held.reasons.map((r) => r.code).join(', ')}), review ${held.reviewId}`,
  );
  const pending = ReviewsPageSchema.parse(await http(sh, 'reviewer', '/v1/reviews'));
  const asked = pending.items.find((r) => r.reviewId === held.reviewId);
  out(
    `   Shanghai's reviewer sees: ${asked?.caller} asks ${asked?.request.matterCode} at level ${asked?.dataLevel}`,
  );
  await http(sh, 'reviewer', `/v1/reviews/${held.reviewId}/decisions`, {
    decision: 'approve',
    reason: '手续齐全，同意核查',
  });
  const decided = await waitFor(
    () => http(zj, 'platform', `/v1/reviews/${held.reviewId}`).then((b) => CallerReviewSchema.parse(b)),
    (v) => v.state !== 'pending',
    'the decision to reach Zhejiang',
  );
  out(
    `   Zhejiang reads: ${decided.state}, verdict ${decided.verdict.verdict.toUpperCase()}, signed by Shanghai: ${decided.decisionSignature ? 'yes' : 'no'}`,
  );

  out('10. Shanghai revokes the license (吊销)');
  await http(sh, 'issuer', `/v1/licenses/${corrected.identifier}/status`, {
    status: '07',
    reason: '违规作业，依法吊销',
  });
  out('   status 07');

  out('11. Zhejiang verifies it again, and has the revocation notice too');
  await verifyIn(zj, corrected.identifier);
  await noticeIn(zj, corrected.identifier);

  out('12. The holder, 张三, at home in Anhui (340000), sees every use of the license (知情权)');
  await holderSees(f.province('340000'), issued.identifier);

  out("13. Every province's log is witnessed: its checkpoint cosigned by the other provinces (C2SP)");
  await witnessed(f);
}

/** Each province's published checkpoint, checked as an auditor checks it: signature and quorum. */
async function witnessed(f: Federation) {
  const registry = f.province('310000').gateway.registry;
  for (const p of f.provinces) {
    const checked = await waitFor(
      async () => {
        const res = await fetch(`${p.url}/v1/audit/checkpoint`, {
          headers: { authorization: `Bearer ${p.tokens.auditor}` },
        });
        if (!res.ok) throw new Error(`${p.id}'s checkpoint: ${res.status}`);
        return checkCheckpoint(p.id, await res.text(), registry);
      },
      (r) => r.status === 'WITNESSED',
      `${p.id}'s checkpoint to reach its witness quorum`,
    );
    const w = checked.witness;
    out(
      `   ${p.id}  tree ${checked.treeSize}  cosigned by ${w?.cosigners.map((c) => c.province).join(', ')} (quorum ${w?.policy?.quorum} of ${w?.policy?.witnesses.join(', ')})`,
    );
  }
}

/** Waits for a notice about `identifier` at `p` and prints it. */
async function noticeIn(p: RunningProvince, identifier: string) {
  const notices = await waitFor(
    () => http(p, 'platform', '/v1/notices').then((b) => NoticesPageSchema.parse(b)),
    (page) => page.items.some((n) => n.identifier === identifier),
    `a notice about ${identifier} to reach ${p.id}`,
  );
  const n = notices.items.find((i) => i.identifier === identifier);
  if (n) {
    out(
      `   notice from ${n.from}: ${n.change === 'version' ? `new version ${n.newIdentifier}` : `status now ${n.status}`}`,
    );
  }
}

/** Reads until `done` holds, for up to 20 s (deliveries go out within a few seconds). */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`waited 20 s for ${what}`);
}

/** Waits for the issuer's log to hold every use, then prints each one with its proof checked here. */
async function holderSees(home: RunningProvince, identifier: string) {
  const query = `/v1/holder/uses?identifier=${identifier}`;
  let page = HolderUsesPageSchema.parse(await http(home, 'holder', query));
  // The issuer's sequencer integrates new events within a few seconds.
  for (let i = 0; i < 50 && page.items.some((u) => 'pending' in u && u.pending); i++) {
    await new Promise((r) => setTimeout(r, 200));
    page = HolderUsesPageSchema.parse(await http(home, 'holder', query));
  }
  for (const u of page.items) {
    if ('sealed' in u) {
      out(`   ${u.time}  ${u.province}  sealed until ${u.until}`);
      continue;
    }
    const proof = u.proof;
    let mark = 'pending (not in the log yet)';
    if (proof) {
      const checkpoint = verifyCheckpoint(
        proof.checkpoint,
        page.auditKey,
        auditOrigin(page.license.province),
      );
      const b = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
      const ok =
        checkpoint.treeSize === proof.treeSize &&
        verifyInclusion(
          proof.index,
          proof.treeSize,
          b(proof.leafHash),
          proof.proof.map(b),
          checkpoint.rootHash,
        );
      mark = ok
        ? `proven in ${page.license.province}'s log (leaf ${proof.index} of ${proof.treeSize})`
        : 'PROOF FAILED';
    }
    const cosigned =
      proof && page.witnesses
        ? witnessStatus(proof.checkpoint, {
            policy: page.witnesses.policy,
            witnessKeys: holderWitnessKeys(page.witnesses),
          })
        : undefined;
    const seal = cosigned ? (cosigned.witnessed ? ', witnessed' : ', NOT_WITNESSED') : '';
    out(`   ${u.time}  ${u.province}  ${u.platform}  ${u.outcome}  ${mark}${seal}`);
  }
}

async function waitDelivered(p: RunningProvince, id: string) {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${p.url}/v1/agreements/${id}`, {
      headers: { authorization: `Bearer ${p.tokens.operator}` },
    });
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the proposal ${id} did not reach ${p.id} within 20 s`);
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'elg-demo-'));
  out('Starting a throw-away federation (DynamoDB Local and five provinces) ...');
  const ddb = await startDynamoDbLocal();
  let f: Federation | undefined;
  let code = 0;
  try {
    f = await startFederation({ dir, dynamodbEndpoint: ddb.endpoint, ports: 'ephemeral' });
    out();
    await story(f);
    out();
    out('Done. Every step above left audit events in each province it touched.');
  } catch (err) {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    code = 1;
  } finally {
    await f?.stop();
    await ddb.stop();
    await rm(dir, { recursive: true, force: true });
  }
  process.exit(code);
}

void main();
