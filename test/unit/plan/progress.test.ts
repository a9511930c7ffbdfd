import { describe, expect, it } from 'vitest';
import { backfillBatches, backfillProgress } from '../../../core/plan/progress.ts';

describe('backfillProgress', () => {
  const backfill = [
    { model: 'staging.orders', execution: 'batched', intervals: 3 },
    { model: 'marts.revenue', execution: 'single', intervals: 40 },
    { model: 'marts.view', execution: 'single', intervals: 0 },
  ];

  it('counts a batched entry by its batches and a single one as one execution', () => {
    expect(backfill.map(backfillBatches)).toEqual([3, 1, 1]);
    expect(backfillProgress(backfill, new Map())).toEqual({
      models: { done: 0, total: 3 },
      batches: { done: 0, total: 5 },
    });
  });

  it('counts a model done once all of its batches succeeded, and never more batches than it has', () => {
    const succeeded = new Map([
      ['staging.orders', 2],
      ['marts.revenue', 1],
      ['marts.view', 4],
      ['other.model', 9],
    ]);
    expect(backfillProgress(backfill, succeeded)).toEqual({
      models: { done: 2, total: 3 },
      batches: { done: 4, total: 5 },
    });
  });
});
