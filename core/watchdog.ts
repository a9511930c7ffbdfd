/**
 * The watchdog's judgement of work that should have ended: a run or a plan application going on for
 * longer than a few times the longest batch seen for its models, and never less than a floor (an
 * hour by default), is stuck. Pure functions: the environment workflow says when each piece of work
 * began and its limit; whoever reads the state (API, CLI, metrics) judges it against the clock.
 */

/** The least time a run or an application may take before it is called stuck. */
export const DEFAULT_STUCK_AFTER_MS = 3_600_000;
/** How many times its models' longest batch a run may take. */
export const STUCK_FACTOR = 3;

/** How long work over `models` may take: a few times their longest batch seen, at least `floorMs`. */
export function stuckLimitMs(
  models: readonly string[],
  longestBatchMs: Readonly<Record<string, number>>,
  floorMs: number = DEFAULT_STUCK_AFTER_MS,
): number {
  let longest = 0;
  for (const model of models) longest = Math.max(longest, longestBatchMs[model] ?? 0);
  return Math.max(floorMs, STUCK_FACTOR * longest);
}

export interface WorkInFlight {
  kind: 'run' | 'plan';
  /** the run id or the plan id. */
  id: string;
  /** the Temporal workflow to look at. */
  workflowId: string;
  /** epoch ms */
  startedAt: number;
  limitMs: number;
}

export interface StuckWork extends WorkInFlight {
  runningForMs: number;
}

/** Of the work in flight, what has gone on longer than its limit at `now`, longest first. */
export function stuckWork<W extends WorkInFlight>(work: readonly W[], now: number): Array<W & StuckWork> {
  return work
    .map((w) => ({ ...w, runningForMs: Math.max(0, now - w.startedAt) }))
    .filter((w) => w.runningForMs > w.limitMs)
    .sort((a, b) => b.runningForMs - a.runningForMs);
}
