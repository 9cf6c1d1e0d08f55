import { ISSUE_REQUEST } from '../contracts/examples.ts';
import { IssueResponseSchema } from '../contracts/license.ts';
import { ReportFiledSchema } from '../contracts/reports.ts';
import { SCHEDULED_FUNCTIONS } from '../functions/province.ts';
import { expandFanouts } from '../functions/reports/delivery.ts';
import { reportRoundDeps } from '../functions/reports/function.ts';
import type { DynamoTally } from './dynamo-meter.ts';
import { type Budget, type Measurement, measure, type Section } from './harness.ts';
import { callGateway, meteredFederation } from './metered-federation.ts';

const USES = 1000;
const CHANGES = 200;

/**
 * The error loop (docs/protocol.md §17) off the hot path: what a cross-province report costs
 * (330000 files, 310000 takes it by signed call, one HTTP request end to end), and what expanding
 * one change's notices costs for a license verified 1,000 times in its 90 days (by 320000, 330000
 * and 310000's own platforms), with the DynamoDB requests and read units each takes.
 */
export const reports: Section = {
  name: 'reports',
  title: `error reports and change notices (a report over HTTP; a change of a license with ${USES} uses)`,
  async run(budget: Budget): Promise<Measurement[]> {
    const { f, meter: m, stop } = await meteredFederation(['310000', '320000', '330000'], 'reports');
    try {
      const sh = f.province('310000');
      const callers = [f.province('320000'), f.province('330000'), sh];
      const issued = IssueResponseSchema.parse(
        await callGateway(sh, 'issuer', '/v1/licenses', {
          ...structuredClone(ISSUE_REQUEST),
          issuer: sh.departments[0],
        }),
      );
      const identifier = issued.identifier;
      // Setup, not measured: 1,000 verifications from three provinces, 8 at a time.
      const use = { identifier, matterCode: 'BENCH001', useCause: '办理从业登记' };
      for (let i = 0; i < USES; i += 8) {
        await Promise.all(
          Array.from({ length: Math.min(8, USES - i) }, (_, j) =>
            callGateway(callers[(i + j) % callers.length] ?? sh, 'platform', '/v1/verify', use),
          ),
        );
      }
      const report = {
        identifier,
        fields: [{ path: 'holder.name', problem: '姓名错一字' }],
        description: '基准测试：窗口发现的差错',
      };
      const zj = f.province('330000');
      const filing = await metered(
        m,
        'a report filed in 330000 on a 310000 license (signed call to 310000)',
        async () => {
          ReportFiledSchema.parse(await callGateway(zj, 'platform', '/v1/reports', report));
        },
        budget,
        'report',
      );

      // Setup, not measured: status changes back and forth, each storing one fan-out.
      for (let i = 0; i < CHANGES; i++) {
        const status = i % 2 === 0 ? '02' : '01';
        await callGateway(sh, 'issuer', `/v1/licenses/${identifier}/status`, { status, reason: '基准测试' });
      }
      const deps = reportRoundDeps(sh.gateway.scopedTo(SCHEDULED_FUNCTIONS.reportDelivery.scope));
      const expansion = await metered(
        m,
        `a change's notices expanded (${USES} uses by 3 provinces in 90 days)`,
        async () => {
          if ((await expandFanouts(deps, deps.clock.now(), 1)) !== 1) throw new Error('no fan-out left');
        },
        { ...budget, maxOps: CHANGES / 2 },
        'change',
      );
      return [filing, expansion];
    } finally {
      await stop();
    }
  },
};

async function metered(
  m: { tally(): DynamoTally; reset(): void },
  name: string,
  op: () => Promise<void>,
  budget: Budget,
  what: string,
): Promise<Measurement> {
  m.reset();
  const result = await measure(name, op, { ...budget, maxOps: Math.min(budget.maxOps, 2000) });
  const t = m.tally();
  const requests = Object.values(t.requests).reduce((a, b) => a + b, 0);
  // The warm-up's operations are counted by the meter too, but not in result.ops: an upper bound.
  const ops = Math.max(1, result.ops);
  return {
    ...result,
    note: `${(requests / ops).toFixed(1)} DynamoDB requests, ${(t.readUnits / ops).toFixed(1)} read and ${(t.writeUnits / ops).toFixed(1)} write units a ${what} at most (warm-up included)`,
  };
}
