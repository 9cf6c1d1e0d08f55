import { ISSUE_REQUEST } from '../contracts/examples.ts';
import { HolderUsesPageSchema } from '../contracts/holder.ts';
import { IssueResponseSchema } from '../contracts/license.ts';
import type { RunningProvince } from '../federation/federation.ts';
import type { DynamoTally } from './dynamo-meter.ts';
import { type Budget, type Measurement, measure, type Section } from './harness.ts';
import { callGateway, integrateAll, meteredFederation } from './metered-federation.ts';

const USES = 1000;
const PAGE = 50;

/**
 * A holder's questions (docs/protocol.md §16): pages of the uses of one license with 1,000 uses, each
 * use with its proof, answered over HTTP at the issuing province (310000) and at the holder's
 * home province (340000, which asks 310000 by signed call), one page at a time; with the DynamoDB
 * requests each page costs.
 */
export const holder: Section = {
  name: 'holder',
  title: `holder uses (a license with ${USES} uses, pages of ${PAGE} with proofs, over HTTP)`,
  async run(budget: Budget): Promise<Measurement[]> {
    const { f, meter: m, stop } = await meteredFederation(['310000', '340000'], 'holder');
    try {
      const sh = f.province('310000');
      const ah = f.province('340000');
      const issued = IssueResponseSchema.parse(
        await callGateway(sh, 'issuer', '/v1/licenses', {
          ...structuredClone(ISSUE_REQUEST),
          issuer: sh.departments[0],
        }),
      );
      const use = { identifier: issued.identifier, matterCode: 'BENCH001', useCause: '办理从业登记' };
      // Setup, not measured: 1,000 verifications in 310000, 8 at a time, then into the log.
      for (let i = 0; i < USES; i += 8) {
        await Promise.all(
          Array.from({ length: Math.min(8, USES - i) }, () => callGateway(sh, 'platform', '/v1/verify', use)),
        );
      }
      await integrateAll([sh]);
      const query = `/v1/holder/uses?identifier=${issued.identifier}&limit=${PAGE}`;
      const page = async (p: RunningProvince) => {
        const body = HolderUsesPageSchema.parse(await callGateway(p, 'holder', query));
        if (body.items.length !== PAGE || body.items.some((u) => !('proof' in u) || !u.proof))
          throw new Error('a page of uses without its proofs');
      };
      const local = await metered(
        m,
        'a page of uses at the issuing province (310000)',
        () => page(sh),
        budget,
      );
      const remote = await metered(
        m,
        'a page at the home province (340000 → 310000, signed call)',
        () => page(ah),
        budget,
      );
      return [local, remote];
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
): Promise<Measurement> {
  m.reset();
  const result = await measure(name, op, { ...budget, maxOps: 2000 });
  const t = m.tally();
  const requests = Object.values(t.requests).reduce((a, b) => a + b, 0);
  const ops = Math.max(1, result.ops);
  // The warm-up's pages are counted too: requests per page over every page the meter saw.
  return {
    ...result,
    note: `${PAGE} uses with proofs a page; ${(requests / ops).toFixed(1)} DynamoDB requests a page at most (warm-up included), ${(t.readUnits / ops).toFixed(1)} read units`,
  };
}
