import { asc, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StateDb } from '../../../db/client.ts';
import { intervals } from '../../../db/schema.ts';
import {
  clearIntervalRanges,
  clearIntervals,
  completedIntervals,
  type Interval,
  mergedCompletedIntervals,
  mergeIntervals,
  recordIntervals,
} from '../../../state/intervals.ts';
import { upsertSnapshots } from '../../../state/snapshots.ts';
import { DRIVERS, resetState, useStateDb } from './harness.ts';
import { snapshotInput } from './snapshot-fixtures.ts';

const A = 'db.orders@1111';
const B = 'db.customers@2222';

async function seedSnapshots(db: StateDb): Promise<void> {
  await upsertSnapshots(db, [snapshotInput('db.orders', '1111'), snapshotInput('db.customers', '2222')]);
}

async function storedRows(db: StateDb, snapshotId: string) {
  return db
    .select({ start: intervals.startMs, end: intervals.endMs, runId: intervals.runId })
    .from(intervals)
    .where(eq(intervals.snapshotId, snapshotId))
    .orderBy(asc(intervals.startMs), asc(intervals.endMs));
}

describe('mergeIntervals', () => {
  it('joins overlapping and touching ranges and keeps gaps', () => {
    expect(
      mergeIntervals([
        [30, 40],
        [0, 10],
        [5, 15],
        [15, 20],
        [21, 22],
      ]),
    ).toEqual([
      [0, 20],
      [21, 22],
      [30, 40],
    ]);
    const input: Interval[] = [[3, 4]];
    mergeIntervals(input)[0]![1] = 99;
    expect(input).toEqual([[3, 4]]);
  });
});

describe.each(DRIVERS)('intervals on %s', (driver) => {
  const state = useStateDb(driver, 'intervals');

  it('records a range once however often it is reported', async () => {
    await seedSnapshots(state.db);
    expect(await recordIntervals(state.db, A, [[0, 10]], { runId: 'run-1' })).toEqual({ recorded: 1 });
    expect(await recordIntervals(state.db, A, [[0, 10]], { runId: 'run-2' })).toEqual({ recorded: 0 });
    expect(
      await recordIntervals(state.db, A, [
        [10, 20],
        [10, 20],
      ]),
    ).toEqual({ recorded: 1 });
    expect(await storedRows(state.db, A)).toEqual([
      { start: 0, end: 10, runId: 'run-1' },
      { start: 10, end: 20, runId: null },
    ]);
    expect(await completedIntervals(state.db, [A])).toEqual({ [A]: [[0, 20]] });
  });

  it('keeps overlapping and adjacent ranges as recorded and merges them on read', async () => {
    await seedSnapshots(state.db);
    await recordIntervals(state.db, A, [
      [0, 10],
      [5, 15],
    ]);
    await recordIntervals(state.db, A, [[15, 20]]);
    await recordIntervals(state.db, A, [[30, 40]]);
    await recordIntervals(state.db, B, [[100, 200]]);
    expect((await storedRows(state.db, A)).length).toBe(4);
    expect(await completedIntervals(state.db, [A, B, 'db.unknown@0'])).toEqual({
      [A]: [
        [0, 20],
        [30, 40],
      ],
      [B]: [[100, 200]],
      'db.unknown@0': [],
    });
  });

  it('reads the same merged ranges when the database merges them, for any ranges recorded', async () => {
    const range = fc
      .tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 12 }))
      .map(([start, length]): Interval => [start, start + length]);
    await fc.assert(
      fc.asyncProperty(
        fc.array(range, { maxLength: 10 }),
        fc.array(range, { maxLength: 4 }),
        async (a, b) => {
          await resetState(state.db);
          await seedSnapshots(state.db);
          if (a.length > 0) await recordIntervals(state.db, A, a);
          if (b.length > 0) await recordIntervals(state.db, B, b);
          const ids = [A, B, 'db.unknown@0'];
          expect(await mergedCompletedIntervals(state.db, ids)).toEqual(
            await completedIntervals(state.db, ids),
          );
        },
      ),
      { numRuns: 25 },
    );
    expect(await mergedCompletedIntervals(state.db, [])).toEqual({});
  });

  it('splits a stored range around a restated range and keeps its provenance', async () => {
    await seedSnapshots(state.db);
    await recordIntervals(state.db, A, [[0, 100]], { runId: 'run-1', executionId: 'exec-1' });
    await recordIntervals(state.db, B, [[0, 100]], { runId: 'run-9' });
    expect(await clearIntervals(state.db, [A], [40, 60])).toEqual({ [A]: [[40, 60]] });
    expect(await storedRows(state.db, A)).toEqual([
      { start: 0, end: 40, runId: 'run-1' },
      { start: 60, end: 100, runId: 'run-1' },
    ]);
    expect(await completedIntervals(state.db, [A, B])).toEqual({
      [A]: [
        [0, 40],
        [60, 100],
      ],
      [B]: [[0, 100]],
    });
  });

  it('clears across several stored ranges and snapshots, clipping the ends', async () => {
    await seedSnapshots(state.db);
    await recordIntervals(state.db, A, [
      [0, 10],
      [10, 20],
      [20, 30],
      [50, 60],
    ]);
    await recordIntervals(state.db, B, [[15, 25]]);
    expect(await clearIntervals(state.db, [A, B], [5, 25])).toEqual({ [A]: [[5, 25]], [B]: [[15, 25]] });
    expect(await completedIntervals(state.db, [A, B])).toEqual({
      [A]: [
        [0, 5],
        [25, 30],
        [50, 60],
      ],
      [B]: [],
    });
    expect(await clearIntervals(state.db, [A], [35, 45])).toEqual({ [A]: [] });
    expect(await clearIntervals(state.db, [A], [0, 100])).toEqual({
      [A]: [
        [0, 5],
        [25, 30],
        [50, 60],
      ],
    });
    expect(await storedRows(state.db, A)).toEqual([]);
  });

  it('clears a range per snapshot in one go, several ranges of one snapshot included', async () => {
    await seedSnapshots(state.db);
    await recordIntervals(state.db, A, [[0, 100]], { runId: 'run-1' });
    await recordIntervals(state.db, B, [[0, 100]]);
    expect(
      await clearIntervalRanges(state.db, [
        { snapshotId: A, range: [10, 20] },
        { snapshotId: B, range: [40, 60] },
        { snapshotId: A, range: [15, 30] },
      ]),
    ).toEqual({ [A]: [[10, 30]], [B]: [[40, 60]] });
    expect(await storedRows(state.db, A)).toEqual([
      { start: 0, end: 10, runId: 'run-1' },
      { start: 30, end: 100, runId: 'run-1' },
    ]);
    expect((await completedIntervals(state.db, [B]))[B]).toEqual([
      [0, 40],
      [60, 100],
    ]);
    expect(await clearIntervalRanges(state.db, [])).toEqual({});
    await expect(
      clearIntervalRanges(state.db, [
        { snapshotId: B, range: [0, 100] },
        { snapshotId: A, range: [50, 50] },
      ]),
    ).rejects.toThrow('requests[1].range end (50) must be greater than its start (50)');
    expect((await completedIntervals(state.db, [B]))[B]).toHaveLength(2);
  });

  it('rejects bad ranges and unknown snapshots before writing anything', async () => {
    await seedSnapshots(state.db);
    await expect(
      recordIntervals(state.db, A, [
        [0, 10],
        [20, 5],
      ]),
    ).rejects.toThrow(`intervals[1] of ${A} end (5) must be greater than its start (20)`);
    await expect(recordIntervals(state.db, A, [[10, 10]])).rejects.toThrow(
      'end (10) must be greater than its start',
    );
    await expect(recordIntervals(state.db, A, [[0.5, 10]])).rejects.toThrow(
      `intervals[0] of ${A} start must be an integer (got 0.5)`,
    );
    await expect(recordIntervals(state.db, A, [[0, 10, 20] as unknown as Interval])).rejects.toThrow(
      'must be a [start, end] pair (got [0,10,20])',
    );
    await expect(recordIntervals(state.db, 'db.orders@9999', [[0, 10]])).rejects.toThrow(
      'unknown snapshot "db.orders@9999"',
    );
    await expect(clearIntervals(state.db, [A], [50, 40])).rejects.toThrow(
      'range end (40) must be greater than its start (50)',
    );
    await expect(recordIntervals(state.db, ' ', [[0, 1]])).rejects.toThrow(
      'snapshotId must be a non-empty string',
    );
    expect(await storedRows(state.db, A)).toEqual([]);
  });

  it('agrees with a unit-by-unit model under any sequence of records and clears', async () => {
    const operation = fc.tuple(
      fc.boolean(),
      fc.integer({ min: 0, max: 39 }),
      fc.integer({ min: 1, max: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 12 }), async (operations) => {
        await resetState(state.db);
        await seedSnapshots(state.db);
        const units = new Set<number>();
        for (const [record, start, length] of operations) {
          const range: Interval = [start, start + length];
          if (record) {
            await recordIntervals(state.db, A, [range]);
            for (let unit = range[0]; unit < range[1]; unit++) units.add(unit);
          } else {
            await clearIntervals(state.db, [A], range);
            for (let unit = range[0]; unit < range[1]; unit++) units.delete(unit);
          }
        }
        const expected = mergeIntervals([...units].map((unit): Interval => [unit, unit + 1]));
        expect((await completedIntervals(state.db, [A]))[A]).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });
});
