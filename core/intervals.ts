/**
 * Intervals of a model's data: half-open UTC ranges `[start, end)` in epoch ms, the set algebra over
 * them, and SQLMesh's rules for which intervals are ready and which are missing.
 */
import { previousTick } from './cron.ts';
import { addUnits, ceilToUnit, floorToUnit, UNIT_MIN_MS } from './interval-unit.ts';
import type { IntervalUnit } from './project/types.ts';
import { formatUtc } from './time.ts';

export type Interval = readonly [start: number, end: number];

/** Sorted, with overlapping and adjacent intervals merged and empty ones dropped. */
export function normalizeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

export function unionIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  return normalizeIntervals([...a, ...b]);
}

/** Everything in `a` that is not in `b`. */
export function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const minus = normalizeIntervals(b);
  const out: Interval[] = [];
  let j = 0;
  for (const [start, end] of normalizeIntervals(a)) {
    let cursor = start;
    while (j < minus.length && minus[j]![1] <= cursor) j++;
    let k = j;
    while (k < minus.length && minus[k]![0] < end) {
      const [s, e] = minus[k]!;
      if (s > cursor) out.push([cursor, s]);
      cursor = Math.max(cursor, e);
      if (cursor >= end) break;
      k++;
    }
    if (cursor < end) out.push([cursor, end]);
  }
  return out;
}

export function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const x = normalizeIntervals(a);
  const y = normalizeIntervals(b);
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    const [xs, xe] = x[i]!;
    const [ys, ye] = y[j]!;
    const s = Math.max(xs, ys);
    const e = Math.min(xe, ye);
    if (s < e) out.push([s, e]);
    if (xe < ye) i++;
    else j++;
  }
  return out;
}

/** True when every instant of `interval` is covered by `set` (an empty interval always is). */
export function containsInterval(set: readonly Interval[], interval: Interval): boolean {
  const [start, end] = interval;
  if (end <= start) return true;
  return normalizeIntervals(set).some(([s, e]) => s <= start && end <= e);
}

/** Total length in ms. */
export function intervalsLength(intervals: readonly Interval[]): number {
  return normalizeIntervals(intervals).reduce((sum, [s, e]) => sum + e - s, 0);
}

/** `[start, end)` split into unit intervals, widened outwards to unit boundaries. */
export function unitIntervals(start: number, end: number, unit: IntervalUnit, limit = 1_000_000): Interval[] {
  const out: Interval[] = [];
  let cursor = floorToUnit(start, unit);
  while (cursor < end) {
    if (out.length >= limit) {
      throw new Error(`[${formatUtc(start)}, ${formatUtc(end)}) holds more than ${limit} ${unit} intervals`);
    }
    const next = addUnits(cursor, unit, 1);
    out.push([cursor, next]);
    cursor = next;
  }
  return out;
}

export interface ReadinessArgs {
  cron: string;
  cronTz: string;
  intervalUnit: IntervalUnit;
  now: number;
}

/**
 * The end of the last interval that may be processed at `now`: an interval is ready once it has ended
 * and the model's latest cron tick at or before `now` is at or after its end. That tick is floored to
 * the unit, so intervals stay on UTC boundaries: a daily model on `0 10 * * *` processes the 4th at
 * 10:00 UTC on the 5th, and one on `0 0 * * *` in America/Los_Angeles at 08:00 UTC (as SQLMesh's
 * `cron_floor` followed by the unit's floor).
 */
export function readyEnd(args: ReadinessArgs): number {
  const tick = previousTick(args.cron, args.cronTz, args.now);
  return floorToUnit(tick, args.intervalUnit);
}

export interface MissingIntervalsArgs extends ReadinessArgs {
  /** the model's start. */
  start: number;
  /** the model's exclusive end, if it has one. */
  end?: number;
  /** intervals already processed. */
  completed: readonly Interval[];
  /** number of intervals before each missing run to process again. */
  lookback?: number;
  /** most intervals per batch; undefined = one batch per contiguous run. */
  batchSize?: number;
  /** a narrower range asked for by a plan or run: `start` inclusive, `end` exclusive (default now). */
  restrictTo?: { start?: number; end?: number };
}

/** Unit-aligned [start, end) pieces of `intervals` (shrunk inwards to whole units). */
function wholeUnits(intervals: readonly Interval[], unit: IntervalUnit): Interval[] {
  const out: Interval[] = [];
  for (const [s, e] of normalizeIntervals(intervals)) {
    const start = ceilToUnit(s, unit);
    const end = floorToUnit(e, unit);
    if (start < end) out.push([start, end]);
  }
  return out;
}

/** Splits unit-aligned runs into batches of at most `batchSize` units each. */
function batch(runs: readonly Interval[], unit: IntervalUnit, batchSize: number | undefined): Interval[] {
  if (batchSize === undefined) return [...runs];
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batch size must be a positive whole number, got ${batchSize}`);
  }
  const out: Interval[] = [];
  for (const [start, end] of runs) {
    let cursor = start;
    while (cursor < end) {
      const next = Math.min(addUnits(cursor, unit, batchSize), end);
      out.push([cursor, next]);
      cursor = next;
    }
  }
  return out;
}

/**
 * The batches to process, ordered by start: every unit interval from the model's start (or
 * `restrictTo.start`) up to the ready end (and the model's end, and `restrictTo.end`) that is not
 * entirely inside a completed interval, as SQLMesh's `missing_intervals`:
 *
 * - the range is widened outwards to unit boundaries, then cut at `readyEnd`;
 * - a range shorter than one unit (a month counts 28 days) has nothing missing;
 * - with `lookback` N, when anything is missing, the N intervals before each missing run and the last
 *   N intervals of the range are processed again (SQLMesh re-adds only the interval exactly N before
 *   each missing one, which leaves holes before runs shorter than N; sluice fills them); N shrinks by
 *   the units the range reaches past the model's end;
 * - nothing at or after the model's end is returned;
 * - contiguous intervals are grouped into batches of at most `batchSize` intervals.
 */
export function missingIntervals(args: MissingIntervalsArgs): Interval[] {
  const unit = args.intervalUnit;
  const lookback = args.lookback ?? 0;
  if (!Number.isInteger(lookback) || lookback < 0) {
    throw new Error(`lookback must be a whole number of intervals, got ${lookback}`);
  }
  const rangeStart = Math.max(args.start, args.restrictTo?.start ?? args.start);
  let rangeEnd = args.restrictTo?.end ?? args.now;
  if (args.end !== undefined && args.end < rangeEnd) rangeEnd = args.end;
  if (rangeEnd - rangeStart < UNIT_MIN_MS[unit]) return [];

  const start = floorToUnit(rangeStart, unit);
  const end = Math.min(ceilToUnit(rangeEnd, unit), readyEnd(args));
  if (end <= start) return [];

  let missing = subtractIntervals([[start, end]], wholeUnits(args.completed, unit));
  if (missing.length === 0) return [];

  if (lookback > 0) {
    let n = lookback;
    if (args.end !== undefined) {
      let boundary = addUnits(end, unit, -1);
      while (args.end < boundary) {
        boundary = addUnits(boundary, unit, -1);
        n--;
      }
    }
    if (n > 0) {
      const extra: Interval[] = missing.map(([s, e]) => [Math.max(start, addUnits(s, unit, -n)), e]);
      extra.push([Math.max(start, addUnits(end, unit, -n)), end]);
      missing = unionIntervals(missing, extra);
    }
  }
  if (args.end !== undefined) {
    missing = intersectIntervals(missing, [[start, ceilToUnit(args.end, unit)]]);
  }
  return batch(missing, unit, args.batchSize);
}

function formatEdge(ms: number): string {
  const text = formatUtc(ms);
  return text.endsWith(':00') ? text.slice(0, -3) : text;
}

/** `[2020-01-01 00:00, 2020-01-02 00:00)`. */
export function formatInterval(interval: Interval): string {
  return `[${formatEdge(interval[0])}, ${formatEdge(interval[1])})`;
}
