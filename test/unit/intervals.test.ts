import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUnits } from '../../core/interval-unit.ts';
import {
  containsInterval,
  formatInterval,
  type Interval,
  intersectIntervals,
  intervalsLength,
  missingIntervals,
  normalizeIntervals,
  readyEnd,
  subtractIntervals,
  unionIntervals,
  unitIntervals,
} from '../../core/intervals.ts';
import type { IntervalUnit } from '../../core/project/types.ts';
import { formatUtc, parseEndTimeValue, parseTimeValue } from '../../core/time.ts';

const T = (value: string) => parseTimeValue(value, 0);
const show = (intervals: readonly Interval[]) => intervals.map(([s, e]) => [formatUtc(s), formatUtc(e)]);
const DAY = 86_400_000;

describe('interval set algebra against a brute-force model', () => {
  const DOMAIN = 40;
  const interval = fc.tuple(fc.integer({ min: -2, max: DOMAIN }), fc.integer({ min: -2, max: DOMAIN }));
  const set = fc.array(interval, { maxLength: 8 }) as fc.Arbitrary<Interval[]>;
  /** The unit cells [k, k+1) an interval set covers, as a bitmap over the domain. */
  const cells = (xs: readonly Interval[]) =>
    Array.from({ length: DOMAIN + 4 }, (_, i) => i - 2).map((k) => xs.some(([s, e]) => s <= k && k + 1 <= e));
  const isNormal = (xs: readonly Interval[]) =>
    xs.every(([s, e], i) => s < e && (i === 0 || s > xs[i - 1]![1]));

  it('normalize keeps the covered points and yields sorted, disjoint, non-adjacent intervals', () => {
    fc.assert(
      fc.property(set, (a) => {
        const n = normalizeIntervals(a);
        expect(isNormal(n)).toBe(true);
        expect(cells(n)).toEqual(cells(a));
        expect(normalizeIntervals(n)).toEqual(n);
      }),
    );
  });

  it('union, subtract and intersect are OR, AND NOT and AND', () => {
    fc.assert(
      fc.property(set, set, (a, b) => {
        const ca = cells(a);
        const cb = cells(b);
        const union = unionIntervals(a, b);
        const minus = subtractIntervals(a, b);
        const both = intersectIntervals(a, b);
        for (const r of [union, minus, both]) expect(isNormal(r)).toBe(true);
        expect(cells(union)).toEqual(ca.map((x, i) => x || cb[i]!));
        expect(cells(minus)).toEqual(ca.map((x, i) => x && !cb[i]!));
        expect(cells(both)).toEqual(ca.map((x, i) => x && cb[i]!));
      }),
    );
  });

  it('obeys the set laws', () => {
    fc.assert(
      fc.property(set, set, set, (a, b, c) => {
        expect(unionIntervals(a, b)).toEqual(unionIntervals(b, a));
        expect(intersectIntervals(a, b)).toEqual(intersectIntervals(b, a));
        expect(unionIntervals(subtractIntervals(a, b), intersectIntervals(a, b))).toEqual(
          normalizeIntervals(a),
        );
        expect(intersectIntervals(subtractIntervals(a, b), b)).toEqual([]);
        expect(intersectIntervals(a, unionIntervals(b, c))).toEqual(
          unionIntervals(intersectIntervals(a, b), intersectIntervals(a, c)),
        );
        expect(subtractIntervals(a, unionIntervals(b, c))).toEqual(
          subtractIntervals(subtractIntervals(a, b), c),
        );
        expect(intervalsLength(unionIntervals(a, b))).toBe(
          intervalsLength(a) + intervalsLength(b) - intervalsLength(intersectIntervals(a, b)),
        );
      }),
    );
  });

  it('containsInterval is true exactly when every cell is covered', () => {
    fc.assert(
      fc.property(set, interval, (a, i) => {
        const ca = cells(a);
        const ci = cells([i]);
        expect(containsInterval(a, i)).toBe(ci.every((x, k) => !x || ca[k]));
      }),
    );
  });
});

describe('unitIntervals', () => {
  it('splits a range into unit intervals, widened to unit boundaries', () => {
    expect(show(unitIntervals(T('2024-01-30 12:00:00'), T('2024-03-01 00:00:01'), 'month'))).toEqual([
      ['2024-01-01 00:00:00', '2024-02-01 00:00:00'],
      ['2024-02-01 00:00:00', '2024-03-01 00:00:00'],
      ['2024-03-01 00:00:00', '2024-04-01 00:00:00'],
    ]);
    expect(unitIntervals(T('2024-01-01'), T('2024-01-01 01:00:00'), 'quarter_hour')).toHaveLength(4);
    expect(unitIntervals(T('2024-01-01'), T('2024-01-01'), 'day')).toEqual([]);
    expect(() => unitIntervals(0, DAY * 10, 'minute', 100)).toThrow(
      '[1970-01-01 00:00:00, 1970-01-11 00:00:00) holds more than 100 minute intervals',
    );
  });

  it('formats intervals for messages', () => {
    expect(formatInterval([T('2020-01-01'), T('2020-01-02')])).toBe('[2020-01-01 00:00, 2020-01-02 00:00)');
    expect(formatInterval([T('2020-01-01 00:00:30'), T('2020-01-02')])).toBe(
      '[2020-01-01 00:00:30, 2020-01-02 00:00)',
    );
  });
});

describe('readyEnd', () => {
  const ready = (cron: string, intervalUnit: IntervalUnit, now: string, cronTz = 'UTC') =>
    formatUtc(readyEnd({ cron, cronTz, intervalUnit, now: T(now) }));

  it('waits for the cron tick after the interval ends', () => {
    expect(ready('@daily', 'day', '2020-01-05 00:00:00')).toBe('2020-01-05 00:00:00');
    expect(ready('@daily', 'day', '2020-01-04 23:59:59')).toBe('2020-01-04 00:00:00');
    expect(ready('0 10 * * *', 'day', '2020-01-05 09:59:59')).toBe('2020-01-04 00:00:00');
    expect(ready('0 10 * * *', 'day', '2020-01-05 10:00:00')).toBe('2020-01-05 00:00:00');
  });

  it('keeps intervals on UTC boundaries whatever the cron zone', () => {
    expect(ready('0 0 * * *', 'day', '2020-01-05 07:59:00', 'America/Los_Angeles')).toBe(
      '2020-01-04 00:00:00',
    );
    expect(ready('0 0 * * *', 'day', '2020-01-05 08:00:00', 'America/Los_Angeles')).toBe(
      '2020-01-05 00:00:00',
    );
    expect(ready('0 0 * * *', 'day', '2020-01-05 18:30:00', 'Asia/Kolkata')).toBe('2020-01-05 00:00:00');
    expect(ready('30 * * * *', 'hour', '2020-01-05 18:29:00', 'Asia/Kolkata')).toBe('2020-01-05 18:00:00');
  });

  it('handles months, and a daily cron with an hourly unit', () => {
    expect(ready('0 6 1 * *', 'month', '2020-06-01 05:00:00')).toBe('2020-05-01 00:00:00');
    expect(ready('0 6 1 * *', 'month', '2020-06-01 06:00:00')).toBe('2020-06-01 00:00:00');
    expect(ready('0 3 * * *', 'hour', '2020-01-02 05:00:00')).toBe('2020-01-02 03:00:00');
  });
});

/**
 * `missing_intervals` from SQLMesh 0.236.4 for a model with these settings, batched as its scheduler
 * batches (`batch_size` intervals per batch, a new batch at every gap). Dates in `end` are inclusive
 * (SQLMesh's `make_exclusive`); `completed` and `restrictTo.end` are exact instants.
 */
const SQLMESH_MISSING: Array<{
  name: string;
  cron: string;
  cronTz?: string;
  unit: IntervalUnit;
  start: string;
  end?: string;
  lookback?: number;
  batchSize?: number;
  now: string;
  completed: Array<[string, string]>;
  restrictTo?: { start?: string; end?: string };
  expected: Array<[string, string]>;
}> = [
  {
    name: 'daily, nothing done',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-05 12:00:00',
    completed: [],
    expected: [['2020-01-01 00:00:00', '2020-01-05 00:00:00']],
  },
  {
    name: 'daily cron at 10:00 before the tick',
    cron: '0 10 * * *',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-05 09:59:00',
    completed: [],
    expected: [['2020-01-01 00:00:00', '2020-01-04 00:00:00']],
  },
  {
    name: 'daily cron at 10:00 after the tick',
    cron: '0 10 * * *',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-05 10:00:00',
    completed: [],
    expected: [['2020-01-01 00:00:00', '2020-01-05 00:00:00']],
  },
  {
    name: 'daily in Los Angeles before its midnight',
    cron: '0 0 * * *',
    cronTz: 'America/Los_Angeles',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-05 07:59:00',
    completed: [],
    expected: [['2020-01-01 00:00:00', '2020-01-04 00:00:00']],
  },
  {
    name: 'daily in Los Angeles after its midnight',
    cron: '0 0 * * *',
    cronTz: 'America/Los_Angeles',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-05 08:00:00',
    completed: [],
    expected: [['2020-01-01 00:00:00', '2020-01-05 00:00:00']],
  },
  {
    name: 'daily in Kolkata',
    cron: '0 0 * * *',
    cronTz: 'Asia/Kolkata',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-05 18:29:00',
    completed: [],
    expected: [['2020-01-01 00:00:00', '2020-01-04 00:00:00']],
  },
  {
    name: 'hourly with a gap',
    cron: '@hourly',
    unit: 'hour',
    start: '2020-01-01',
    now: '2020-01-01 06:30:00',
    completed: [
      ['2020-01-01 00:00:00', '2020-01-01 02:00:00'],
      ['2020-01-01 03:00:00', '2020-01-01 05:00:00'],
    ],
    expected: [
      ['2020-01-01 02:00:00', '2020-01-01 03:00:00'],
      ['2020-01-01 05:00:00', '2020-01-01 06:00:00'],
    ],
  },
  {
    name: 'partial completed interval is still missing',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-04 00:00:00',
    completed: [['2020-01-01 00:00:00', '2020-01-02 12:00:00']],
    expected: [['2020-01-02 00:00:00', '2020-01-04 00:00:00']],
  },
  {
    name: 'lookback after the last run',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    lookback: 2,
    now: '2020-01-10 01:00:00',
    completed: [['2020-01-01', '2020-01-08']],
    expected: [['2020-01-06 00:00:00', '2020-01-10 00:00:00']],
  },
  {
    name: 'lookback with a middle gap longer than the lookback',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    lookback: 2,
    now: '2020-01-10 01:00:00',
    completed: [
      ['2020-01-01', '2020-01-03'],
      ['2020-01-06', '2020-01-10'],
    ],
    expected: [
      ['2020-01-01 00:00:00', '2020-01-06 00:00:00'],
      ['2020-01-08 00:00:00', '2020-01-10 00:00:00'],
    ],
  },
  {
    name: 'lookback nothing missing',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    lookback: 2,
    now: '2020-01-10 01:00:00',
    completed: [['2020-01-01', '2020-01-10']],
    expected: [],
  },
  {
    name: 'model end',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    end: '2020-01-05',
    now: '2020-01-10 01:00:00',
    completed: [['2020-01-01', '2020-01-03']],
    expected: [['2020-01-03 00:00:00', '2020-01-06 00:00:00']],
  },
  {
    name: 'model end with lookback',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    end: '2020-01-05',
    lookback: 3,
    now: '2020-01-10 01:00:00',
    completed: [['2020-01-01', '2020-01-04']],
    expected: [['2020-01-01 00:00:00', '2020-01-06 00:00:00']],
  },
  {
    name: 'restricted range',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-10 01:00:00',
    completed: [['2020-01-03', '2020-01-04']],
    restrictTo: { start: '2020-01-02', end: '2020-01-06 00:00:00' },
    expected: [
      ['2020-01-02 00:00:00', '2020-01-03 00:00:00'],
      ['2020-01-04 00:00:00', '2020-01-06 00:00:00'],
    ],
  },
  {
    name: 'restricted range not aligned',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-10 01:00:00',
    completed: [],
    restrictTo: { start: '2020-01-02 12:00:00', end: '2020-01-05 06:00:00' },
    expected: [['2020-01-02 00:00:00', '2020-01-06 00:00:00']],
  },
  {
    name: 'restricted to less than a unit',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-10 01:00:00',
    completed: [],
    restrictTo: { start: '2020-01-02 12:00:00', end: '2020-01-03 06:00:00' },
    expected: [],
  },
  {
    name: 'monthly',
    cron: '@monthly',
    unit: 'month',
    start: '2020-01-15',
    now: '2020-06-01 00:00:00',
    completed: [['2020-02-01', '2020-03-01']],
    expected: [
      ['2020-01-01 00:00:00', '2020-02-01 00:00:00'],
      ['2020-03-01 00:00:00', '2020-06-01 00:00:00'],
    ],
  },
  {
    name: "monthly before the 1st's tick",
    cron: '0 6 1 * *',
    unit: 'month',
    start: '2020-01-01',
    now: '2020-06-01 05:00:00',
    completed: [],
    expected: [['2020-01-01 00:00:00', '2020-05-01 00:00:00']],
  },
  {
    name: 'weekly cron on a daily unit',
    cron: '0 0 * * 1',
    unit: 'day',
    start: '2020-01-01',
    now: '2020-01-15 12:00:00',
    completed: [],
    expected: [['2020-01-01 00:00:00', '2020-01-13 00:00:00']],
  },
  {
    name: 'yearly',
    cron: '@yearly',
    unit: 'year',
    start: '2018-06-01',
    now: '2021-03-01 00:00:00',
    completed: [],
    expected: [['2018-01-01 00:00:00', '2021-01-01 00:00:00']],
  },
  {
    name: 'explicit hour unit on a daily cron',
    cron: '0 3 * * *',
    unit: 'hour',
    start: '2020-01-01',
    now: '2020-01-02 05:00:00',
    completed: [['2020-01-01 00:00:00', '2020-01-01 12:00:00']],
    expected: [['2020-01-01 12:00:00', '2020-01-02 03:00:00']],
  },
  {
    name: 'batch size',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    batchSize: 3,
    now: '2020-01-10 01:00:00',
    completed: [['2020-01-05', '2020-01-06']],
    expected: [
      ['2020-01-01 00:00:00', '2020-01-04 00:00:00'],
      ['2020-01-04 00:00:00', '2020-01-05 00:00:00'],
      ['2020-01-06 00:00:00', '2020-01-09 00:00:00'],
      ['2020-01-09 00:00:00', '2020-01-10 00:00:00'],
    ],
  },
  {
    name: 'batch size with lookback',
    cron: '@daily',
    unit: 'day',
    start: '2020-01-01',
    lookback: 1,
    batchSize: 2,
    now: '2020-01-08 01:00:00',
    completed: [['2020-01-01', '2020-01-05']],
    expected: [
      ['2020-01-04 00:00:00', '2020-01-06 00:00:00'],
      ['2020-01-06 00:00:00', '2020-01-08 00:00:00'],
    ],
  },
];

describe('missingIntervals', () => {
  it.each(SQLMESH_MISSING)('$name, as SQLMesh', (c) => {
    const now = T(c.now);
    const result = missingIntervals({
      start: T(c.start),
      end: c.end === undefined ? undefined : parseEndTimeValue(c.end, now),
      intervalUnit: c.unit,
      cron: c.cron,
      cronTz: c.cronTz ?? 'UTC',
      now,
      completed: c.completed.map(([s, e]) => [T(s), T(e)] as const),
      lookback: c.lookback,
      batchSize: c.batchSize,
      restrictTo: c.restrictTo && {
        start: c.restrictTo.start === undefined ? undefined : T(c.restrictTo.start),
        end: c.restrictTo.end === undefined ? undefined : parseEndTimeValue(c.restrictTo.end, now),
      },
    });
    expect(show(result)).toEqual(c.expected);
  });

  it('fills the whole lookback before a missing run shorter than the lookback', () => {
    // SQLMesh re-adds only the 8th (three before the missing 11th) and the last three days:
    // [01-08, 01-09), [01-11, 01-12), [01-17, 01-20). sluice also re-runs the 9th and 10th.
    const result = missingIntervals({
      start: T('2020-01-01'),
      intervalUnit: 'day',
      cron: '@daily',
      cronTz: 'UTC',
      now: T('2020-01-20 01:00:00'),
      completed: [
        [T('2020-01-01'), T('2020-01-11')],
        [T('2020-01-12'), T('2020-01-20')],
      ],
      lookback: 3,
    });
    expect(show(result)).toEqual([
      ['2020-01-08 00:00:00', '2020-01-12 00:00:00'],
      ['2020-01-17 00:00:00', '2020-01-20 00:00:00'],
    ]);
  });

  it('returns nothing before the first interval is ready, or when the model ended', () => {
    const base = { intervalUnit: 'day' as const, cron: '@daily', cronTz: 'UTC', completed: [] };
    expect(missingIntervals({ ...base, start: T('2020-01-05'), now: T('2020-01-05 23:00:00') })).toEqual([]);
    expect(missingIntervals({ ...base, start: T('2020-01-05'), now: T('2020-01-04') })).toEqual([]);
    expect(
      missingIntervals({
        ...base,
        start: T('2020-01-01'),
        end: T('2020-01-03'),
        now: T('2020-02-01'),
        completed: [[T('2020-01-01'), T('2020-01-03')]],
        lookback: 2,
      }),
    ).toEqual([]);
  });

  it('rejects a bad lookback or batch size', () => {
    const base = {
      start: 0,
      intervalUnit: 'day' as const,
      cron: '@daily',
      cronTz: 'UTC',
      now: 10 * DAY,
      completed: [],
    };
    expect(() => missingIntervals({ ...base, lookback: -1 })).toThrow(
      'lookback must be a whole number of intervals, got -1',
    );
    expect(() => missingIntervals({ ...base, batchSize: 0 })).toThrow(
      'batch size must be a positive whole number, got 0',
    );
  });

  /** SQLMesh's `compute_missing_intervals` and scheduler batching, one unit interval at a time. */
  function sqlmeshMissing(
    unit: IntervalUnit,
    completed: readonly Interval[],
    start: number,
    end: number,
    lookback: number,
    modelEnd: number | undefined,
  ): Interval[] {
    const stamps = [start];
    while (stamps[stamps.length - 1]! < end) stamps.push(addUnits(stamps[stamps.length - 1]!, unit, 1));
    const units = stamps.slice(0, -1).map((s, i) => [s, stamps[i + 1]!] as const);
    const done = normalizeIntervals(completed);
    const missing = new Set<number>();
    units.forEach(([s, e], i) => {
      if (!done.some(([lo, hi]) => s >= lo && e <= hi)) missing.add(i);
    });
    if (missing.size > 0 && lookback > 0) {
      let lb = lookback;
      if (modelEnd !== undefined) {
        let b = addUnits(end, unit, -1);
        while (modelEnd < b) {
          b = addUnits(b, unit, -1);
          lb--;
        }
        lb = Math.max(lb, 0);
      }
      const original = new Set(missing);
      units.forEach((_, i) => {
        if (lb > 0 && (i + lb >= units.length || original.has(i + lb))) missing.add(i);
      });
    }
    return units.filter(([s], i) => missing.has(i) && (modelEnd === undefined || s < modelEnd));
  }

  it('equals SQLMesh interval by interval when no missing run is shorter than the lookback', () => {
    const day = (n: number) => T('2020-01-01') + n * DAY;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })), {
          maxLength: 5,
        }),
        fc.integer({ min: 0, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 32 }), { nil: undefined }),
        fc.integer({ min: 1, max: 31 }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        (pairs, lookback, endDay, nowDay, batchSize) => {
          const completed = pairs.map(([a, b]) => [day(Math.min(a, b)), day(Math.max(a, b))] as const);
          const now = day(nowDay) + 3_600_000;
          const modelEnd = endDay === undefined ? undefined : day(endDay);
          const result = missingIntervals({
            start: day(0),
            end: modelEnd,
            intervalUnit: 'day',
            cron: '@daily',
            cronTz: 'UTC',
            now,
            completed,
            lookback,
            batchSize,
          });
          // batches are ordered, disjoint, at most batchSize days, and break at every gap
          for (const [i, [s, e]] of result.entries()) {
            expect(e).toBeGreaterThan(s);
            if (batchSize !== undefined) expect((e - s) / DAY).toBeLessThanOrEqual(batchSize);
            if (i > 0) expect(s).toBeGreaterThanOrEqual(result[i - 1]![1]);
          }
          const rangeEnd = Math.min(day(nowDay), modelEnd ?? Number.POSITIVE_INFINITY);
          // SQLMesh cuts the range at the model's end before computing what is missing.
          const reference =
            rangeEnd - day(0) < DAY
              ? []
              : sqlmeshMissing('day', completed, day(0), rangeEnd, lookback, modelEnd);
          const got = normalizeIntervals(result);
          const expected = normalizeIntervals(reference);
          const base = sqlmeshMissing('day', completed, day(0), rangeEnd, 0, modelEnd);
          const runs = normalizeIntervals(rangeEnd - day(0) < DAY ? [] : base);
          if (runs.every(([s, e]) => (e - s) / DAY >= lookback)) {
            expect(show(got)).toEqual(show(expected));
          } else {
            // sluice's answer holds SQLMesh's and adds only days of the lookback before a run.
            expect(subtractIntervals(expected, got)).toEqual([]);
            const before = runs.map(([s]) => [Math.max(day(0), s - lookback * DAY), s] as const);
            expect(subtractIntervals(got, unionIntervals(expected, before))).toEqual([]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every batch inside restrictTo widened to the unit, whatever the lookback and batch size', () => {
    // A restatement run asks for its range with restrictTo: lookback never reaches out of it.
    const hour = (n: number) => T('2020-01-01') + n * 3_600_000;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(24 * 30), fc.nat(24 * 30)), { maxLength: 5 }),
        fc.nat(24 * 30),
        fc.integer({ min: 1, max: 24 * 5 }),
        fc.integer({ min: 0, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        fc.constantFrom<IntervalUnit>('day', 'hour'),
        (pairs, from, length, lookback, batchSize, unit) => {
          const completed = pairs.map(([a, b]) => [hour(Math.min(a, b)), hour(Math.max(a, b))] as const);
          const restrictTo = { start: hour(from), end: hour(from + length) };
          const result = missingIntervals({
            start: hour(0),
            intervalUnit: unit,
            cron: unit === 'day' ? '@daily' : '@hourly',
            cronTz: 'UTC',
            now: hour(24 * 40),
            completed,
            lookback,
            batchSize,
            restrictTo,
          });
          const unitMs = unit === 'day' ? DAY : 3_600_000;
          const widened: Interval = [
            Math.floor(restrictTo.start / unitMs) * unitMs,
            Math.ceil(restrictTo.end / unitMs) * unitMs,
          ];
          expect(subtractIntervals(result, [widened])).toEqual([]);
          if (lookback === 0) {
            // exactly the unit intervals of the range that are not complete; nothing for a range
            // shorter than one unit, as SQLMesh (a restatement passes the range widened already)
            const done = normalizeIntervals(completed);
            const expected =
              restrictTo.end - restrictTo.start < unitMs
                ? []
                : unitIntervals(widened[0], widened[1], unit).filter(
                    (i) => !done.some(([s, e]) => s <= i[0] && i[1] <= e),
                  );
            expect(normalizeIntervals(result)).toEqual(normalizeIntervals(expected));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
