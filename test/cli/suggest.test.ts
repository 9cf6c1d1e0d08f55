import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/elg.ts';
import { closest, didYouMean, editDistance } from '../../cli/suggest.ts';

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and swapped neighbours as one edit each', () => {
    // Assess
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('--holder-id', '--hodler-id')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('suggests only what is close enough, and every candidate as close', () => {
    // Prepare
    const commands = ['issue', 'show', 'verify', 'status', 'change', 'check'];

    // Assess
    expect(closest('isue', commands)).toEqual(['issue']);
    expect(closest('chek', commands)).toEqual(['check']);
    expect(closest('statsu', commands)).toEqual(['status']);
    expect(closest('deploy', commands)).toEqual([]);
    expect(closest('--out', ['--url', '--out'])).toEqual(['--out']);
    expect(didYouMean('shox', ['show', 'shop'])).toBe('; did you mean show or shop?');
    expect(didYouMean('xyz', commands)).toBe('');
  });

  it('suggests from the commands elg registers, reports, notices, reviews and breakers among them', () => {
    // Prepare
    const names = COMMANDS.map((c) => c.name);

    // Assess
    expect(names).toEqual(
      expect.arrayContaining(['reports', 'notices', 'review-policy', 'reviews', 'breakers']),
    );
    expect(closest('reprots', names)).toEqual(['reports']);
    expect(closest('notice', names)).toEqual(['notices']);
    expect(closest('reveiws', names)).toEqual(['reviews']);
    expect(closest('review-polcy', names)).toEqual(['review-policy']);
    expect(closest('breaker', names)).toEqual(['breakers']);
    expect(didYouMean('aprove', ['list', 'show', 'approve', 'reject'])).toBe('; did you mean approve?');
    expect(didYouMean('resolv', ['file', 'list', 'show', 'resolve'])).toBe('; did you mean resolve?');
  });
});
