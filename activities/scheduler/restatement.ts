/**
 * `clearIntervals`: a restatement forgets that the environment's snapshots of `models` completed
 * the intervals in [start, end), so the next run executes them again. Snapshots shared with other
 * environments are restated there too: they are the same data.
 */
import { z } from 'zod';
import { clearIntervals as clearSnapshotIntervals } from '../state/intervals.ts';
import type { SchedulerContext } from './context.ts';
import { loadEnvironmentModels, requireModels } from './environment-models.ts';
import { epochMs, parseInput, text, textList } from './input.ts';

const CLEAR_ARGS = z
  .object({ environment: text, models: textList, start: epochMs, end: epochMs })
  .refine(({ start, end }) => end > start, { message: 'must have its end after its start', path: ['end'] });

export type ClearArgs = z.infer<typeof CLEAR_ARGS>;

export async function clearIntervals(ctx: SchedulerContext, args: ClearArgs): Promise<void> {
  const input = parseInput('clearIntervals', CLEAR_ARGS, args);
  const env = await loadEnvironmentModels(ctx.db, ctx.plans, input.environment);
  const snapshots = requireModels('clearIntervals', env, input.models).map((entry) => entry.snapshotId);
  await clearSnapshotIntervals(ctx.db, snapshots, [input.start, input.end]);
}
