import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { firstIssue, firstIssueText, issuePath } from '../../contracts/issue-text.ts';

const Schema = z.object({ parties: z.array(z.string()) });
const errorOf = (value: unknown) => {
  const parsed = Schema.safeParse(value);
  if (parsed.success) throw new Error('expected a failed parse');
  return parsed.error;
};

describe('firstIssueText', () => {
  it('names a nested issue by its dotted path', () => {
    expect(firstIssueText(errorOf({ parties: ['310000', 7] }))).toBe(
      'parties.1: Invalid input: expected string, received number',
    );
  });

  it('calls an empty path (root), or what root says, or leaves it out', () => {
    const error = errorOf([]);
    expect(firstIssueText(error)).toBe('(root): Invalid input: expected object, received array');
    expect(firstIssueText(error, { root: '(body)' })).toBe(
      '(body): Invalid input: expected object, received array',
    );
    expect(firstIssueText(error, { root: '' })).toBe('Invalid input: expected object, received array');
  });

  it('takes plain issue lists and says invalid when there is none', () => {
    expect(firstIssueText({ issues: [{ path: ['validUntil'], message: 'ended' }] })).toBe(
      'validUntil: ended',
    );
    expect(firstIssueText({ issues: [] })).toBe('(root): invalid');
    expect(firstIssue({ issues: [] })).toBeUndefined();
    expect(issuePath(undefined, { root: '' })).toBe('');
  });
});
