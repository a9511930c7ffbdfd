import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intervalCoverage, missingIntervalCount } from '../../core/interval-coverage.ts';
import type { Interval } from '../../core/intervals.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const D = (day: number) => Date.UTC(2026, 10, day);
const daily = { cron: '@daily', cronTz: 'UTC', intervalUnit: 'day' as const };
const show = (ranges: ReadonlyArray<{ start: number; end: number; status: string }>) =>
  ranges.map(
    (r) =>
      `${new Date(r.start).toISOString().slice(5, 13)}..${new Date(r.end).toISOString().slice(5, 13)} ${r.status}`,
  );

describe('intervalCoverage', () => {
  it('lays out complete, missing, running and failed runs from the start to the last ready interval', () => {
    const coverage = intervalCoverage({
      ...daily,
      // 12:00 on the 20th: the 19th is the last ready day
      now: D(20) + 12 * HOUR,
      start: D(1),
      completed: [
        [D(1), D(5)],
        [D(5), D(8)],
        [D(12), D(14) + 6 * HOUR],
      ],
      running: [[D(16), D(17)]],
      // the 3rd failed once and was completed since: complete wins; the 10th and the 16th failed
      failed: [
        [D(3), D(4)],
        [D(10), D(11)],
        [D(16), D(17)],
      ],
      maxRanges: 100,
    });
    expect(coverage.start).toBe(D(1));
    expect(coverage.end).toBe(D(20));
    expect(show(coverage.ranges)).toEqual([
      '11-01T00..11-08T00 complete',
      '11-08T00..11-10T00 missing',
      '11-10T00..11-11T00 failed',
      '11-11T00..11-12T00 missing',
      '11-12T00..11-14T00 complete',
      // a part of a day is not a complete day
      '11-14T00..11-16T00 missing',
      '11-16T00..11-17T00 running',
      '11-17T00..11-20T00 missing',
    ]);
    expect(coverage.omitted).toBe(0);
    expect(coverage.missingIntervals).toBe(2 + 1 + 1 + 2 + 1 + 3);
  });

  it('keeps the newest ranges and says how many older ones it left out', () => {
    const completed: Interval[] = [1, 3, 5, 7, 9].map((day) => [D(day), D(day + 1)]);
    const coverage = intervalCoverage({
      ...daily,
      now: D(11),
      start: D(1),
      completed,
      running: [],
      failed: [],
      maxRanges: 4,
    });
    expect(show(coverage.ranges)).toEqual([
      '11-07T00..11-08T00 complete',
      '11-08T00..11-09T00 missing',
      '11-09T00..11-10T00 complete',
      '11-10T00..11-11T00 missing',
    ]);
    expect(coverage.omitted).toBe(6);
    // the count covers the whole span, not only the ranges shown
    expect(coverage.missingIntervals).toBe(5);
  });

  it('is empty before the first interval is ready, and stops at the model’s end', () => {
    const early = intervalCoverage({
      ...daily,
      now: D(1) + 5 * HOUR,
      start: D(1),
      completed: [],
      running: [],
      failed: [],
      maxRanges: 10,
    });
    expect(early).toEqual({ start: D(1), end: D(1), ranges: [], omitted: 0, missingIntervals: 0 });
    const ended = intervalCoverage({
      ...daily,
      now: D(20),
      start: D(1),
      end: D(4),
      completed: [],
      running: [],
      failed: [],
      maxRanges: 10,
    });
    expect(show(ended.ranges)).toEqual(['11-01T00..11-04T00 missing']);
    expect(() =>
      intervalCoverage({
        ...daily,
        now: D(2),
        start: D(1),
        completed: [],
        running: [],
        failed: [],
        maxRanges: 0,
      }),
    ).toThrow('maxRanges must be a positive whole number, got 0');
  });

  it('tiles its span with ranges of alternating status whose missing units add up to the missing count', () => {
    const day = fc.integer({ min: 0, max: 40 });
    const ranges = fc.array(
      fc
        .tuple(day, fc.integer({ min: 1, max: 5 }))
        .map(([s, n]): Interval => [D(1) + s * DAY, D(1) + (s + n) * DAY]),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(day, ranges, ranges, ranges, (nowDay, completed, running, failed) => {
        const args = { ...daily, now: D(2) + nowDay * DAY, start: D(1), completed };
        const coverage = intervalCoverage({ ...args, running, failed, maxRanges: 1_000 });
        let cursor = coverage.start;
        let missingDays = 0;
        coverage.ranges.forEach((range, index) => {
          expect(range.start).toBe(cursor);
          expect(range.end).toBeGreaterThan(range.start);
          if (index > 0) expect(range.status).not.toBe(coverage.ranges[index - 1]!.status);
          if (range.status !== 'complete') missingDays += (range.end - range.start) / DAY;
          cursor = range.end;
        });
        expect(cursor).toBe(coverage.end);
        expect(coverage.missingIntervals).toBe(missingDays);
        expect(missingIntervalCount(args)).toBe(missingDays);
      }),
    );
  });
});

describe('missingIntervalCount', () => {
  it('counts the unit intervals the scheduler would run, months by the calendar', () => {
    expect(
      missingIntervalCount({
        cron: '@monthly',
        cronTz: 'UTC',
        intervalUnit: 'month',
        now: Date.UTC(2026, 10, 25),
        start: Date.UTC(2026, 0, 1),
        completed: [[Date.UTC(2026, 2, 1), Date.UTC(2026, 5, 1)]],
      }),
    ).toBe(10 - 3);
  });
});
