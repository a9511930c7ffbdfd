/**
 * A model's interval coverage since its start, as a timeline: which stretches of the intervals it
 * may process now are complete, missing, being run or failed at their last attempt. What counts as
 * missing is what the scheduler would run (`missingIntervals`, without lookback), so the timeline
 * and the next run agree.
 */
import { ceilToUnit, floorToUnit, UNIT_MIN_MS, unitsBetween } from './interval-unit.ts';
import {
  type Interval,
  intersectIntervals,
  type MissingIntervalsArgs,
  missingIntervals,
  normalizeIntervals,
  readyEnd,
  subtractIntervals,
} from './intervals.ts';

export type CoverageStatus = 'complete' | 'missing' | 'running' | 'failed';

export interface CoverageRange {
  start: number;
  end: number;
  status: CoverageStatus;
}

export type CoverageArgs = Omit<MissingIntervalsArgs, 'lookback' | 'batchSize' | 'restrictTo'> & {
  /** intervals of executions queued or running now. */
  running: readonly Interval[];
  /** intervals whose latest execution failed. */
  failed: readonly Interval[];
  /** the most ranges returned; the oldest are left out beyond it. */
  maxRanges: number;
};

export interface Coverage {
  /** the span the timeline covers: from the model's start to the end of its last ready interval. */
  start: number;
  end: number;
  /** the newest `maxRanges` ranges, oldest first, each a run of one status. */
  ranges: CoverageRange[];
  /** how many older ranges were left out (0 when none). */
  omitted: number;
  /** unit intervals missing (running and failed ones included): what the next run would process. */
  missingIntervals: number;
}

/** The missing unit intervals since the model's start: the batches the scheduler would run, counted. */
export function missingIntervalCount(args: Omit<MissingIntervalsArgs, 'lookback' | 'batchSize'>): number {
  return missingIntervals(args).reduce(
    (count, [start, end]) => count + unitsBetween(start, end, args.intervalUnit),
    0,
  );
}

export function intervalCoverage(args: CoverageArgs): Coverage {
  if (!Number.isInteger(args.maxRanges) || args.maxRanges < 1) {
    throw new Error(`maxRanges must be a positive whole number, got ${args.maxRanges}`);
  }
  const unit = args.intervalUnit;
  const start = floorToUnit(args.start, unit);
  const none: Coverage = { start, end: start, ranges: [], omitted: 0, missingIntervals: 0 };
  // as missingIntervals: a model whose range is shorter than one unit has no interval yet
  if (Math.min(args.now, args.end ?? args.now) - args.start < UNIT_MIN_MS[unit]) return none;
  let end = readyEnd(args);
  if (args.end !== undefined) end = Math.min(end, ceilToUnit(args.end, unit));
  end = Math.min(end, ceilToUnit(args.now, unit));
  if (end <= start) return none;

  const { running, failed, maxRanges, ...readiness } = args;
  const missing = normalizeIntervals(missingIntervals(readiness));
  const span: Interval[] = [[start, end]];
  const runningNow = intersectIntervals(missing, running);
  const failedLast = subtractIntervals(intersectIntervals(missing, failed), runningNow);
  const pieces: CoverageRange[] = [
    ...subtractIntervals(span, missing).map(([s, e]) => range(s, e, 'complete')),
    ...runningNow.map(([s, e]) => range(s, e, 'running')),
    ...failedLast.map(([s, e]) => range(s, e, 'failed')),
    ...subtractIntervals(missing, [...runningNow, ...failedLast]).map(([s, e]) => range(s, e, 'missing')),
  ].sort((a, b) => a.start - b.start);

  const ranges: CoverageRange[] = [];
  for (const piece of pieces) {
    const last = ranges[ranges.length - 1];
    if (last && last.status === piece.status && last.end === piece.start) last.end = piece.end;
    else ranges.push(piece);
  }
  const omitted = Math.max(0, ranges.length - maxRanges);
  return {
    start,
    end,
    ranges: ranges.slice(omitted),
    omitted,
    missingIntervals: missing.reduce((count, [s, e]) => count + unitsBetween(s, e, unit), 0),
  };
}

function range(start: number, end: number, status: CoverageStatus): CoverageRange {
  return { start, end, status };
}
