import { describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER } from '../../../contracts/reviews.ts';
import { fixedClock } from '../../../lib/clock.ts';
import { type AppError, DependencyUnavailableError } from '../../../lib/errors.ts';
import { POLICY_REUSE_MS, ReviewPolicyCache } from '../../../lib/reviews/policy-cache.ts';
import type { StoredPolicy } from '../../../lib/reviews/records.ts';

const T0 = '2026-06-01T08:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms);

const breaker = {
  callsPerMinute: 100,
  notFoundShare: 0.5,
  windowMinutes: 5,
  minCalls: 10,
  whenOpen: 'review' as const,
};

function stored(version: number, extra: Partial<StoredPolicy> = {}): StoredPolicy {
  return { rules: [{ minDataLevel: 3 }], updatedAt: T0, updatedBy: 'op', version, ...extra };
}

/** The policy item as the cache reads it, with reads counted. */
function fakeStore(policy: StoredPolicy | undefined) {
  const s = {
    policy: policy as StoredPolicy | undefined,
    down: false as boolean | Error,
    reads: 0,
    async read(): Promise<StoredPolicy | undefined> {
      s.reads++;
      if (s.down === true) throw new DependencyUnavailableError('the reviews table');
      if (s.down instanceof Error) throw s.down;
      return s.policy;
    },
  };
  return s;
}

/** A store and a cache over it; `null`: no policy was ever stored. */
function world(policy: StoredPolicy | null = stored(1)) {
  const store = fakeStore(policy ?? undefined);
  const clock = fixedClock(T0);
  const cache = new ReviewPolicyCache({ policy: () => store.read() }, clock);
  return { store, clock, cache };
}

describe('the review policy read at most once a second', () => {
  it('bounds the reuse at one second', () => {
    expect(POLICY_REUSE_MS).toBe(1000);
  });

  it('answers the rules and the breaker settings, the defaults filled in', async () => {
    const none = world(null);
    const defaults = world(stored(1));
    const set = world(stored(2, { breaker }));

    expect(await none.cache.current()).toEqual({ rules: [], breaker: DEFAULT_BREAKER });
    expect(await defaults.cache.current()).toEqual({
      rules: [{ minDataLevel: 3 }],
      breaker: DEFAULT_BREAKER,
    });
    expect(await set.cache.current()).toEqual({ rules: [{ minDataLevel: 3 }], breaker });
    expect(await set.cache.breaker()).toEqual(breaker);
  });

  it('reads once for the calls within the bound, and again once it has passed', async () => {
    const { store, clock, cache } = world();

    for (const ms of [0, 1, 500, POLICY_REUSE_MS - 1]) {
      clock.set(at(ms));
      await cache.current();
    }
    expect(store.reads).toBe(1);
    clock.set(at(POLICY_REUSE_MS));
    await cache.current();

    expect(store.reads).toBe(2);
  });

  it('makes a change effective within the bound, and not before the policy is read again', async () => {
    const { store, clock, cache } = world();
    await cache.current();

    store.policy = stored(2, { rules: [], breaker });
    clock.set(at(POLICY_REUSE_MS - 1));
    const before = await cache.current();
    clock.set(at(POLICY_REUSE_MS));
    const after = await cache.current();

    expect(before).toEqual({ rules: [{ minDataLevel: 3 }], breaker: DEFAULT_BREAKER });
    expect(after).toEqual({ rules: [], breaker });
  });

  it('shares one read among concurrent calls', async () => {
    const { store, cache } = world();

    const answers = await Promise.all(Array.from({ length: 8 }, () => cache.current()));

    expect(new Set(answers).size).toBe(1);
    expect(store.reads).toBe(1);
  });

  it('does not let a call join a read asked for longer ago than the bound', async () => {
    const { store, clock, cache } = world();
    let answer: (p: StoredPolicy) => void = () => undefined;
    const read = store.read;
    store.read = () => {
      store.reads++;
      return new Promise<StoredPolicy>((resolve) => {
        answer = resolve;
      });
    };
    const slow = cache.current();
    await Promise.resolve();
    const held = answer;

    store.read = read;
    store.policy = stored(2, { rules: [] });
    clock.set(at(POLICY_REUSE_MS));
    const late = await cache.current();
    held(stored(1));

    expect(late.rules).toEqual([]);
    expect((await slow).rules).toEqual([{ minDataLevel: 3 }]);
    // The slow read, older than the late one, did not replace it.
    expect((await cache.current()).rules).toEqual([]);
    expect(store.reads).toBe(2);
  });

  it('fails closed with 503 once the bound has passed and the store does not answer, until it does', async () => {
    const { store, clock, cache } = world();
    await cache.current();

    store.down = true;
    clock.set(at(POLICY_REUSE_MS - 1));
    const within = await cache.current();
    const refusals: unknown[] = [];
    for (const ms of [POLICY_REUSE_MS, POLICY_REUSE_MS + 1, 5 * POLICY_REUSE_MS]) {
      clock.set(at(ms));
      refusals.push(await cache.current().catch((err: unknown) => err));
    }
    store.down = false;
    const back = await cache.current();

    expect(within.rules).toEqual([{ minDataLevel: 3 }]);
    for (const err of refusals) {
      expect(err).toBeInstanceOf(DependencyUnavailableError);
      expect((err as AppError).status).toBe(503);
    }
    expect(store.reads).toBe(5);
    expect(back.rules).toEqual([{ minDataLevel: 3 }]);
  });

  it('answers 503 for whatever the store throws', async () => {
    const { store, cache } = world();
    const cause = new Error('socket hang up');
    store.down = cause;

    const refused = await cache.current().catch((err: unknown) => err);

    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expect((refused as AppError).status).toBe(503);
    expect((refused as Error).cause).toBe(cause);
  });

  it('reads again when the clock went back instead of stretching the bound', async () => {
    const { store, clock, cache } = world();
    clock.set(at(POLICY_REUSE_MS));
    await cache.current();

    store.policy = stored(2, { rules: [] });
    clock.set(at(0));

    expect((await cache.current()).rules).toEqual([]);
    expect(store.reads).toBe(2);
  });
});
