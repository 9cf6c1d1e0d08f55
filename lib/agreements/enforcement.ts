import type { Authorization, AuthorizationQuery } from '../../contracts/agreement.ts';
import type { Clock } from '../clock.ts';
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

/** A stamp read, the agreements as they were at that stamp, and when the read was asked for. */
interface Snapshot {
  stamp: number;
  records: AgreementRecord[];
  readAt: number;
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
  private snapshot: Snapshot | undefined;
  private reading: { readAt: number; snapshot: Promise<Snapshot> } | undefined;

  constructor(
    private readonly store: Pick<AgreementStore, 'stamp' | 'list'>,
    private readonly clock: Clock,
  ) {}

  async authorize(query: AuthorizationQuery): Promise<Authorization> {
    const snapshot = await this.current();
    return authorize(snapshot.records, query, this.clock.now());
  }

  /** The snapshot, re-read when its stamp read is older than the bound. */
  private current(): Promise<Snapshot> {
    const now = this.clock.now().getTime();
    const held = this.snapshot;
    if (held && fresh(held.readAt, now)) return Promise.resolve(held);
    // Calls share a read in flight, unless it was asked for longer ago than the bound.
    const inFlight = this.reading;
    if (inFlight && fresh(inFlight.readAt, now)) return inFlight.snapshot;
    const reading = {
      readAt: now,
      snapshot: this.read(now, held).finally(() => {
        if (this.reading === reading) this.reading = undefined;
      }),
    };
    this.reading = reading;
    return reading.snapshot;
  }

  private async read(readAt: number, held: Snapshot | undefined): Promise<Snapshot> {
    const stamp = await this.store.stamp();
    // Read after the stamp: a change racing this read is at worst seen early, never missed.
    const records = held?.stamp === stamp ? held.records : await this.store.list();
    const snapshot = { stamp, records, readAt };
    // A slow read must not replace a newer one.
    if (!this.snapshot || this.snapshot.readAt <= readAt) this.snapshot = snapshot;
    return snapshot;
  }
}

/** A read asked for at `readAt` may still be used at `now`. */
function fresh(readAt: number, now: number): boolean {
  const age = now - readAt;
  return age >= 0 && age < AGREEMENT_STAMP_REUSE_MS;
}
