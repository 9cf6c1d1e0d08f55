import { describe, expect, it } from 'vitest';
import type { AgreementSignature, Withdrawal } from '../../../contracts/agreement.ts';
import { stateOf } from '../../../lib/agreements/state.ts';
import { AH, doc, JS, SH, ZJ } from './fixtures.ts';

// stateOf trusts what it is given: the store holds only verified signatures and withdrawals.
const signed = (...parties: string[]): AgreementSignature[] =>
  parties.map((party) => ({ party, kid: `kid-${party}`, signature: 'A'.repeat(86) }));
const withdrew = (agreementId: string, ...parties: string[]): Withdrawal[] =>
  parties.map((party) => ({
    agreementId,
    party,
    withdrawnAt: '2026-06-01T00:00:00.000Z',
    kid: `kid-${party}`,
    signature: 'B'.repeat(86),
  }));

const NOW = new Date('2026-06-01T08:00:00Z');
const ALLIANCE = [SH, JS, ZJ, AH];

describe('the state of an agreement', () => {
  it('is proposed while a party has not signed', () => {
    const d = doc();

    const status = stateOf(d, signed(SH), [], NOW);

    expect(status).toEqual({ state: 'proposed', activeParties: [SH, ZJ] });
  });

  it('becomes active once every party has signed, within its validity', () => {
    const d = doc();

    expect(stateOf(d, signed(SH, ZJ), [], NOW).state).toBe('active');
  });

  it('stays proposed when fully signed before validFrom, and comes into force at 00:00 China time', () => {
    const d = doc({ validFrom: '2026-07-01' });

    expect(stateOf(d, signed(SH, ZJ), [], new Date('2026-06-30T15:59:59Z')).state).toBe('proposed');
    expect(stateOf(d, signed(SH, ZJ), [], new Date('2026-06-30T16:00:00Z')).state).toBe('active');
  });

  it('expires at the end of validUntil in China time', () => {
    const d = doc({ validUntil: '2026-06-30' });

    expect(stateOf(d, signed(SH, ZJ), [], new Date('2026-06-30T15:59:59Z')).state).toBe('active');
    expect(stateOf(d, signed(SH, ZJ), [], new Date('2026-06-30T16:00:00Z')).state).toBe('expired');
  });

  it('expires unsigned proposals too', () => {
    const d = doc({ validUntil: '2026-05-31' });

    expect(stateOf(d, signed(SH), [], NOW).state).toBe('expired');
  });

  it('ends a bilateral agreement when either party withdraws', () => {
    const d = doc();

    const status = stateOf(d, signed(SH, ZJ), withdrew(d.id, ZJ), NOW);

    expect(status).toEqual({ state: 'withdrawn', activeParties: [SH] });
  });

  it('continues an alliance without the withdrawing party', () => {
    const d = doc({ parties: ALLIANCE });

    const status = stateOf(d, signed(...ALLIANCE), withdrew(d.id, AH), NOW);

    expect(status).toEqual({ state: 'active', activeParties: [SH, JS, ZJ] });
  });

  it('brings an alliance into force without a party that withdrew before signing', () => {
    const d = doc({ parties: ALLIANCE });

    expect(stateOf(d, signed(SH, JS, ZJ), [], NOW).state).toBe('proposed');
    expect(stateOf(d, signed(SH, JS, ZJ), withdrew(d.id, AH), NOW).state).toBe('active');
  });

  it('ends an alliance when fewer than two parties remain', () => {
    const d = doc({ parties: [SH, JS, ZJ] });

    const status = stateOf(d, signed(SH, JS, ZJ), withdrew(d.id, JS, ZJ), NOW);

    expect(status).toEqual({ state: 'withdrawn', activeParties: [SH] });
  });

  it('reports withdrawn rather than expired for an agreement that ended by withdrawal', () => {
    const d = doc({ validUntil: '2026-05-31' });

    expect(stateOf(d, signed(SH, ZJ), withdrew(d.id, SH), NOW).state).toBe('withdrawn');
  });

  it('ignores a withdrawal that names another agreement', () => {
    const d = doc();

    expect(stateOf(d, signed(SH, ZJ), withdrew('agr_OTHER', ZJ), NOW).state).toBe('active');
  });
});
