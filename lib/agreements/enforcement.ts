import type { Authorization, AuthorizationQuery } from '../../contracts/agreement.ts';
import type { Clock } from '../clock.ts';
import type { AgreementStore } from '../store/agreement-store.ts';
import { authorize } from './policy.ts';
import type { AgreementRecord } from './state.ts';

/**
 * Enforcement of agreements at this (grantor's) gateway on every inbound call. Agreements are
 * read once and kept until the store's change stamp moves, so a call costs one consistent read
 * and a signature or withdrawal stored by any instance takes effect on the next call. When the
 * store does not answer, the call fails (503): enforcement never fails open.
 */
export class AgreementPolicy {
  private cache: { stamp: number; records: AgreementRecord[] } | undefined;

  constructor(
    private readonly store: AgreementStore,
    private readonly clock: Clock,
  ) {}

  async authorize(query: AuthorizationQuery): Promise<Authorization> {
    const stamp = await this.store.stamp();
    let cache = this.cache;
    if (cache?.stamp !== stamp) {
      // Read after the stamp: a change racing this read is at worst seen early, never missed.
      cache = { stamp, records: await this.store.list() };
      this.cache = cache;
    }
    return authorize(cache.records, query, this.clock.now());
  }
}
