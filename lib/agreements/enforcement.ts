import type { Authorization, AuthorizationQuery } from '../../contracts/agreement.ts';
import type { Clock } from '../clock.ts';
import { ReusedRead } from '../reused-read.ts';
import type { AgreementStore } from '../store/agreement-store.ts';
import { authorize } from './policy.ts';
import type { AgreementRecord } from './state.ts';

/**
 * How long a read of the agreement store's change stamp is reused, in milliseconds: the bound on
 * how late a signature or withdrawal stored by any instance takes effect at this one (plus the
 * store's own consistency; docs/protocol.md §8.5). The time counted is from when the read was
 * asked for, so an answer, "allowed" included, is never used past it; a clock that went back
 * counts as expired.
 */
export const AGREEMENT_STAMP_REUSE_MS = 1000;

/** A stamp read and the agreements as they were at that stamp. */
interface Snapshot {
  stamp: number;
  records: AgreementRecord[];
}

/**
 * Enforcement of agreements at this (grantor's) gateway on every inbound call. Agreements are
 * read once and kept until the store's change stamp moves; the stamp itself is read at most once
 * per AGREEMENT_STAMP_REUSE_MS (concurrent calls share one read), so a signature or withdrawal
 * stored by any instance takes effect within that bound. When the store does not answer a read
 * that is due, the call fails (503): enforcement never fails open, and nothing read before the
 * bound is used after it.
 */
export class AgreementPolicy {
  /** The snapshot, re-read when its stamp read is older than the bound (lib/reused-read.ts). */
  private readonly snapshot: ReusedRead<Snapshot>;

  constructor(
    private readonly store: Pick<AgreementStore, 'stamp' | 'list'>,
    private readonly clock: Clock,
  ) {
    this.snapshot = new ReusedRead(clock, AGREEMENT_STAMP_REUSE_MS, (held) => this.read(held));
  }

  async authorize(query: AuthorizationQuery): Promise<Authorization> {
    const snapshot = await this.snapshot.get();
    return authorize(snapshot.records, query, this.clock.now());
  }

  private async read(held: Snapshot | undefined): Promise<Snapshot> {
    const stamp = await this.store.stamp();
    // Read after the stamp: a change racing this read is at worst seen early, never missed.
    const records = held?.stamp === stamp ? held.records : await this.store.list();
    return { stamp, records };
  }
}
