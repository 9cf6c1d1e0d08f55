import { describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER, type ReviewRule } from '../../../contracts/reviews.ts';
import {
  approvalsNeeded,
  effectiveBreaker,
  matchesRule,
  needsReview,
  type ReviewCall,
} from '../../../lib/reviews/policy.ts';

const call: ReviewCall = { matterCode: 'DEMO0001', licenseType: 'BL01', dataLevel: 2, peer: '330000' };

describe('matching a call against a review rule', () => {
  it('matches every call with the empty rule', () => {
    expect(matchesRule({}, call)).toBe(true);
    expect(matchesRule({}, { ...call, dataLevel: 1, peer: '110000' })).toBe(true);
  });

  it('matches on the matter code when the rule names matter codes', () => {
    expect(matchesRule({ matterCodes: ['DEMO0002', 'DEMO0001'] }, call)).toBe(true);
    expect(matchesRule({ matterCodes: ['DEMO0002'] }, call)).toBe(false);
  });

  it('matches on the license type when the rule names license types', () => {
    expect(matchesRule({ licenseTypes: ['BL01'] }, call)).toBe(true);
    expect(matchesRule({ licenseTypes: ['BL02', 'FD01'] }, call)).toBe(false);
  });

  it('matches a data level at or above minDataLevel', () => {
    expect(matchesRule({ minDataLevel: 1 }, call)).toBe(true);
    expect(matchesRule({ minDataLevel: 2 }, call)).toBe(true);
    expect(matchesRule({ minDataLevel: 3 }, call)).toBe(false);
    expect(matchesRule({ minDataLevel: 3 }, { ...call, dataLevel: 4 })).toBe(true);
  });

  it('matches on the calling province when the rule names peers', () => {
    expect(matchesRule({ peers: ['330000'] }, call)).toBe(true);
    expect(matchesRule({ peers: ['320000', '110000'] }, call)).toBe(false);
  });

  it('needs every member the rule gives to match', () => {
    const rule: ReviewRule = {
      matterCodes: ['DEMO0001'],
      licenseTypes: ['BL01'],
      minDataLevel: 2,
      peers: ['330000'],
    };

    expect(matchesRule(rule, call)).toBe(true);
    expect(matchesRule(rule, { ...call, matterCode: 'DEMO0009' })).toBe(false);
    expect(matchesRule(rule, { ...call, licenseType: 'FD01' })).toBe(false);
    expect(matchesRule(rule, { ...call, dataLevel: 1 })).toBe(false);
    expect(matchesRule(rule, { ...call, peer: '320000' })).toBe(false);
  });
});

describe('a review policy', () => {
  it('holds a call that matches any one of its rules', () => {
    const rules: ReviewRule[] = [{ peers: ['110000'] }, { minDataLevel: 2, licenseTypes: ['BL01'] }];

    expect(needsReview({ rules }, call)).toBe(true);
    expect(needsReview({ rules }, { ...call, licenseType: 'FD01' })).toBe(false);
    expect(needsReview({ rules }, { ...call, licenseType: 'FD01', peer: '110000' })).toBe(true);
  });

  it('holds nothing without rules, and everything with the empty rule', () => {
    expect(needsReview({ rules: [] }, call)).toBe(false);
    expect(needsReview({ rules: [{}] }, call)).toBe(true);
  });

  it("uses the policy's breaker settings, else the defaults", () => {
    const breaker = {
      callsPerMinute: 100,
      notFoundShare: 0.5,
      windowMinutes: 5,
      minCalls: 10,
      whenOpen: 'review' as const,
    };

    expect(effectiveBreaker({ rules: [], breaker })).toBe(breaker);
    expect(effectiveBreaker({ rules: [] })).toBe(DEFAULT_BREAKER);
    expect(effectiveBreaker(undefined)).toBe(DEFAULT_BREAKER);
  });

  it('has the defaults docs/protocol.md §18.1 gives', () => {
    expect(DEFAULT_BREAKER).toEqual({
      callsPerMinute: 60_000,
      notFoundShare: 0.2,
      windowMinutes: 10,
      minCalls: 50,
      whenOpen: 'refuse',
    });
  });

  it('needs two approvals from data level 3 up, one below', () => {
    expect([1, 2, 3, 4].map(approvalsNeeded)).toEqual([1, 1, 2, 2]);
  });
});
