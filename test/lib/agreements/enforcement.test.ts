import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { AgreementDocument, AuthorizationQuery } from '../../../contracts/agreement.ts';
import { AGREEMENT_STAMP_REUSE_MS, AgreementPolicy } from '../../../lib/agreements/enforcement.ts';
import type { AgreementRecord } from '../../../lib/agreements/state.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { type AppError, DependencyUnavailableError } from '../../../lib/errors.ts';
import { AgreementStore } from '../../../lib/store/agreement-store.ts';
import type { AuditStore } from '../../../lib/store/audit-store.ts';
import { doc, SH, TYPE, ZJ } from './fixtures.ts';

const T0 = '2026-06-01T08:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms);

const query: AuthorizationQuery = {
  grantor: SH,
  grantee: ZJ,
  action: 'verify',
  licenseType: TYPE,
  matterCode: 'DEMO0001',
};

function signed(d: AgreementDocument): AgreementRecord {
  return {
    document: d,
    signatures: d.parties.map((party) => ({ party, kid: 'k', signature: 'A'.repeat(86) })),
    withdrawals: [],
  };
}

/** The store as the policy reads it: a change stamp and the agreements, with reads counted. */
function fakeStore(records: AgreementRecord[]) {
  const s = {
    records,
    n: 1,
    down: false,
    stampReads: 0,
    lists: 0,
    /** What a change at any instance does: the records change and the stamp moves. */
    withdraw(party: string) {
      s.records = s.records.map((r) => ({
        ...r,
        withdrawals: [
          ...r.withdrawals,
          {
            agreementId: r.document.id,
            party,
            withdrawnAt: T0,
            kid: 'k',
            signature: 'B'.repeat(86),
          },
        ],
      }));
      s.n++;
    },
    async stamp() {
      s.stampReads++;
      if (s.down) throw new DependencyUnavailableError('the agreement table');
      return s.n;
    },
    async list() {
      s.lists++;
      if (s.down) throw new DependencyUnavailableError('the agreement table');
      return s.records;
    },
  };
  return s;
}

function world() {
  const store = fakeStore([signed(doc({ parties: [SH, ZJ] }))]);
  const clock = fixedClock(T0);
  const policy = new AgreementPolicy(store, clock);
  return { store, clock, policy };
}

describe('enforcing agreements with a stamp read at most once per bound', () => {
  it('bounds the reuse at one second', () => {
    expect(AGREEMENT_STAMP_REUSE_MS).toBe(1000);
  });

  it('reads the stamp once for the calls within the bound, and the agreements once per stamp', async () => {
    const { store, clock, policy } = world();

    for (const ms of [0, 1, 500, AGREEMENT_STAMP_REUSE_MS - 1]) {
      clock.set(at(ms));
      expect(await policy.authorize(query)).toMatchObject({ ok: true });
    }
    expect(store.stampReads).toBe(1);
    clock.set(at(AGREEMENT_STAMP_REUSE_MS));
    expect(await policy.authorize(query)).toMatchObject({ ok: true });

    expect(store.stampReads).toBe(2);
    expect(store.lists).toBe(1);
  });

  it('makes a withdrawal effective within the bound, and not before the stamp is read again', async () => {
    const { store, clock, policy } = world();
    expect(await policy.authorize(query)).toMatchObject({ ok: true });

    store.withdraw(ZJ);
    clock.set(at(AGREEMENT_STAMP_REUSE_MS - 1));
    const before = await policy.authorize(query);
    clock.set(at(AGREEMENT_STAMP_REUSE_MS));
    const after = await policy.authorize(query);

    expect(before).toMatchObject({ ok: true });
    expect(after).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
    expect(store.stampReads).toBe(2);
    expect(store.lists).toBe(2);
  });

  it('refuses with 503 once the bound has passed and the store does not answer, and on every call until it does', async () => {
    const { store, clock, policy } = world();
    expect(await policy.authorize(query)).toMatchObject({ ok: true });

    store.down = true;
    clock.set(at(AGREEMENT_STAMP_REUSE_MS - 1));
    const within = await policy.authorize(query);
    const refusals: unknown[] = [];
    for (const ms of [AGREEMENT_STAMP_REUSE_MS, AGREEMENT_STAMP_REUSE_MS + 1, 5 * AGREEMENT_STAMP_REUSE_MS]) {
      clock.set(at(ms));
      refusals.push(await policy.authorize(query).catch((err: unknown) => err));
    }
    store.down = false;
    const back = await policy.authorize(query);

    expect(within).toMatchObject({ ok: true });
    for (const err of refusals) {
      expect(err).toBeInstanceOf(DependencyUnavailableError);
      expect((err as AppError).status).toBe(503);
    }
    expect(store.stampReads).toBe(5);
    expect(back).toMatchObject({ ok: true });
  });

  it('refuses with 503 when the stamp moved and the agreements cannot be read, without keeping the old ones', async () => {
    const { store, clock, policy } = world();
    expect(await policy.authorize(query)).toMatchObject({ ok: true });

    store.withdraw(ZJ);
    const list = store.list;
    store.list = async () => {
      throw new DependencyUnavailableError('the agreement table');
    };
    clock.set(at(AGREEMENT_STAMP_REUSE_MS));
    const refused = await policy.authorize(query).catch((err: unknown) => err);
    store.list = list;
    const after = await policy.authorize(query);

    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expect(after).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
  });

  it('shares one stamp read among concurrent calls', async () => {
    const { store, policy } = world();

    const answers = await Promise.all(Array.from({ length: 8 }, () => policy.authorize(query)));

    expect(answers.every((a) => a.ok)).toBe(true);
    expect(store.stampReads).toBe(1);
    expect(store.lists).toBe(1);
  });

  it('does not let a call join a read asked for longer ago than the bound', async () => {
    const { store, clock, policy } = world();
    let answer: (n: number) => void = () => undefined;
    store.stamp = () => {
      store.stampReads++;
      return new Promise<number>((resolve) => {
        answer = resolve;
      });
    };
    const slow = policy.authorize(query);
    await Promise.resolve();
    const held = answer;

    store.withdraw(ZJ);
    store.stamp = async () => {
      store.stampReads++;
      return store.n;
    };
    clock.set(at(AGREEMENT_STAMP_REUSE_MS));
    const late = await policy.authorize(query);
    held(1);

    expect(late).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
    expect(await slow).toMatchObject({ ok: false });
    expect(store.stampReads).toBe(2);
    // The slow read, older than the late one, did not replace it.
    expect(await policy.authorize(query)).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
    expect(store.stampReads).toBe(2);
  });

  it('reads again when the clock went back instead of stretching the bound', async () => {
    const { store, clock, policy } = world();
    clock.set(at(AGREEMENT_STAMP_REUSE_MS));
    expect(await policy.authorize(query)).toMatchObject({ ok: true });

    store.withdraw(ZJ);
    clock.set(at(0));

    expect(await policy.authorize(query)).toMatchObject({ ok: false, code: 'AGREEMENT_REQUIRED' });
    expect(store.stampReads).toBe(2);
  });

  it('fails closed with 503 over the DynamoDB store when the table does not answer', async () => {
    const failing = {
      send: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED'), { $metadata: {} });
      },
    } as unknown as DynamoDBDocumentClient;
    const store = new AgreementStore(failing, 'agreements', {} as AuditStore);
    const policy = new AgreementPolicy(store, fixedClock(T0));

    const refused = await policy.authorize(query).catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expect((refused as AppError).status).toBe(503);
  });
});
