/**
 * How far a plan's backfill got: its models and batches done of the total its diff asks for. A
 * `batched` entry runs one execution per interval batch, a `single` one runs once (see
 * BackfillExecution); a model is done once all of its batches succeeded.
 */

/** A backfill entry measured: its model, how it executes, and how many interval batches it lists. */
export interface BackfillSize {
  model: string;
  execution: string;
  intervals: number;
}

export interface Progress {
  done: number;
  total: number;
}

export interface BackfillProgress {
  models: Progress;
  batches: Progress;
}

/** The executions a backfill entry runs. */
export function backfillBatches(entry: Pick<BackfillSize, 'execution' | 'intervals'>): number {
  return entry.execution === 'single' ? 1 : entry.intervals;
}

/** `succeeded`: per model, how many of its backfill executions succeeded. */
export function backfillProgress(
  backfill: readonly BackfillSize[],
  succeeded: ReadonlyMap<string, number>,
): BackfillProgress {
  const progress: BackfillProgress = { models: { done: 0, total: 0 }, batches: { done: 0, total: 0 } };
  for (const entry of backfill) {
    const total = backfillBatches(entry);
    const done = Math.min(total, succeeded.get(entry.model) ?? 0);
    progress.models.total += 1;
    progress.batches.total += total;
    progress.batches.done += done;
    if (done === total) progress.models.done += 1;
  }
  return progress;
}
