import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ciBackfillStart, DEFAULT_CI_BACKFILL_DAYS } from '../../../core/ci/backfill-range.ts';
import { pullRequestEnvironment, pullRequestProblem } from '../../../core/ci/pull-request.ts';

const DAY = 86_400_000;

describe('ciBackfillStart', () => {
  it('starts at midnight UTC, backfill_days whole days before today', () => {
    expect(ciBackfillStart(Date.parse('2026-12-07T16:36:00Z'), 3)).toBe(Date.parse('2026-12-04T00:00:00Z'));
    expect(ciBackfillStart(Date.parse('2026-12-07T00:00:00Z'), 1)).toBe(Date.parse('2026-12-06T00:00:00Z'));
    expect(DEFAULT_CI_BACKFILL_DAYS).toBe(3);
    expect(ciBackfillStart(Date.parse('2026-12-07T23:59:59Z'))).toBe(Date.parse('2026-12-04T00:00:00Z'));
  });

  it('is the same all day long and always a day boundary', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 1, max: 366 }), (now, days) => {
        const start = ciBackfillStart(now, days);
        expect(Math.abs(start % DAY)).toBe(0);
        expect(now - start).toBeGreaterThanOrEqual(days * DAY);
        expect(now - start).toBeLessThan((days + 1) * DAY);
      }),
    );
  });

  it('refuses a count of days that is not a whole number from 1', () => {
    expect(() => ciBackfillStart(0, 0)).toThrow('backfill days must be a whole number from 1 (got 0)');
    expect(() => ciBackfillStart(0, 1.5)).toThrow('(got 1.5)');
  });
});

describe('pull request numbers', () => {
  it('names the environment pr_<n> and refuses what is not a whole number from 1', () => {
    expect(pullRequestEnvironment(7)).toBe('pr_7');
    expect(pullRequestProblem('7')).toBeNull();
    for (const bad of ['0', '-1', '07', '7a', '', '1.5', ' 7']) {
      expect(pullRequestProblem(bad), bad).toContain('pull request number must be a whole number from 1');
    }
    expect(pullRequestProblem('99999999999')).toContain('must be at most 2147483647');
  });
});
