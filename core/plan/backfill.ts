/**
 * The work a plan does for one new snapshot: every interval from the model's start up to the last
 * ready interval at the plan's execution time, minus the intervals already completed for that
 * snapshot (a snapshot shared with another environment shares its completed intervals), as
 * SQLMesh's plan computes it.
 *
 * Time-sliced kinds (INCREMENTAL_BY_TIME_RANGE, INCREMENTAL_BY_UNIQUE_KEY) run one execution per
 * batch of `batch_size` intervals. The others run once: a FULL model rebuilds its whole table, a
 * SEED loads its file, a VIEW creates its view; that one execution completes every missing
 * interval. A view or seed that was never built is built even when none of its intervals is ready
 * yet (the environment's view must point at something); EMBEDDED models have nothing to execute,
 * their readers inline them.
 */
import { type Interval, missingIntervals, normalizeIntervals } from '../intervals.ts';
import type { Model } from '../project/types.ts';
import type { BackfillEntry } from './types.ts';

export interface BackfillArgs {
  model: Model;
  snapshotId: string;
  /** intervals already completed for the snapshot. */
  completed: readonly Interval[];
  /** the plan's execution time, epoch ms. */
  now: number;
  /** a development plan's narrower range: `start` inclusive, `end` exclusive. */
  restrictTo?: { start?: number; end?: number };
}

/** The backfill entry for one snapshot, or null when it has nothing to execute. */
export function backfillFor(args: BackfillArgs): BackfillEntry | null {
  const { model } = args;
  const kind = model.kind;
  const common = {
    cron: model.cron,
    cronTz: model.cronTz,
    intervalUnit: model.intervalUnit,
    now: args.now,
    start: model.start.ms,
    ...(model.end ? { end: model.end.ms } : {}),
    completed: args.completed,
    ...(args.restrictTo ? { restrictTo: args.restrictTo } : {}),
  };
  const entry = (execution: BackfillEntry['execution'], intervals: Interval[]): BackfillEntry => ({
    model: model.name,
    snapshotId: args.snapshotId,
    kind: kind.name,
    execution,
    intervals: intervals.map(([start, end]) => [start, end] as const),
  });

  switch (kind.name) {
    case 'INCREMENTAL_BY_TIME_RANGE':
    case 'INCREMENTAL_BY_UNIQUE_KEY': {
      const batches = missingIntervals({
        ...common,
        lookback: kind.lookback,
        ...(kind.batchSize === undefined ? {} : { batchSize: kind.batchSize }),
      });
      return batches.length > 0 ? entry('batched', batches) : null;
    }
    case 'FULL': {
      const missing = normalizeIntervals(missingIntervals(common));
      return missing.length > 0 ? entry('single', missing) : null;
    }
    case 'SEED':
    case 'VIEW': {
      const missing = normalizeIntervals(missingIntervals(common));
      if (missing.length > 0) return entry('single', missing);
      return args.completed.length === 0 ? entry('single', []) : null;
    }
    case 'EMBEDDED':
      return null;
  }
}
