/**
 * `clearIntervals`: a restatement forgets that snapshots completed the intervals it restates, so
 * that runs execute them again, as SQLMesh's restatement plans do.
 *
 * - Each named model of the environment restates the range widened to its interval unit and to
 *   the ranges its restated upstream models restate (`restatedRanges`); the environment's
 *   snapshots of those models forget exactly that. A snapshot the environment shares with other
 *   environments is the same data there, so they see it cleared too.
 * - When the environment is prod, every other version of those models is restated too, so that
 *   no environment keeps serving data prod has just declared wrong: in each other environment, its
 *   snapshot of each restated model and of every model downstream of one in that environment; and
 *   the snapshots of those models that no environment maps (a plan's, not promoted yet). Each
 *   forgets the range prod restates for its model, widened to its own unit and passed downstream
 *   the same way. Those environments refill the intervals on their next runs.
 * - Seeds, views and embedded models have no intervals a run would fill again: they pass ranges
 *   on to their downstream, and nothing of theirs is cleared (SQLMesh skips seeds too).
 *
 * Everything is cleared in one transaction. A range outside a model's start and now clears nothing
 * there (the API refuses a range that misses a selected model altogether).
 */
import { z } from 'zod';
import type { Interval } from '../../core/intervals.ts';
import { PROD_ENVIRONMENT } from '../../core/naming.ts';
import { coveringRange, restatementRanges } from '../../core/restatement.ts';
import { environmentsMapping } from '../../state/environments.ts';
import { clearIntervalRanges } from '../../state/intervals.ts';
import { unreferencedSnapshots } from '../../state/snapshots.ts';
import type { SchedulerContext } from './context.ts';
import {
  type EnvironmentModels,
  loadEnvironmentModels,
  parentsInEnvironment,
  requireModels,
  runsOnCron,
} from './environment-models.ts';
import { epochMs, parseInput, text, textList } from './input.ts';

const CLEAR_ARGS = z
  .object({ environment: text, models: textList, start: epochMs, end: epochMs })
  .refine(({ start, end }) => end > start, { message: 'must have its end after its start', path: ['end'] });

export type ClearArgs = z.infer<typeof CLEAR_ARGS>;

/**
 * The range each model of `env` restates when `models` are restated over `range`: theirs and
 * their downstream's (see core/restatement.ts). `findDueWork` runs exactly these.
 */
export function restatedRanges(
  env: EnvironmentModels,
  models: readonly string[],
  range: Interval,
): Map<string, Interval> {
  return rangesFrom(env, new Map(models.map((name) => [name, range])));
}

function rangesFrom(env: EnvironmentModels, requested: ReadonlyMap<string, Interval>): Map<string, Interval> {
  const nodes = env.models.map((entry) => ({
    name: entry.name,
    intervalUnit: entry.model.intervalUnit,
    parents: parentsInEnvironment(env, entry),
  }));
  return restatementRanges(nodes, requested);
}

export async function clearIntervals(ctx: SchedulerContext, args: ClearArgs): Promise<void> {
  const input = parseInput('clearIntervals', CLEAR_ARGS, args);
  const env = await loadEnvironmentModels(ctx.db, ctx.plans, input.environment, ctx.environments);
  requireModels('clearIntervals', env, input.models);
  const ranges = restatedRanges(env, input.models, [input.start, input.end]);

  const clears = new Map<string, Interval>();
  const named = new Map<string, Interval>();
  for (const name of new Set(input.models)) {
    const entry = env.byName.get(name)!;
    const range = ranges.get(name)!;
    named.set(name, range);
    if (runsOnCron(entry.model)) widen(clears, entry.snapshotId, range);
  }
  if (input.environment === PROD_ENVIRONMENT) await addOtherVersions(ctx, env, named, clears);
  await clearIntervalRanges(
    ctx.db,
    [...clears].map(([snapshotId, [start, end]]) => ({ snapshotId, range: [start, end] })),
  );
}

/** Adds to `clears` every other version of the models prod restates (see the top of this file). */
async function addOtherVersions(
  ctx: SchedulerContext,
  prod: EnvironmentModels,
  restated: ReadonlyMap<string, Interval>,
  clears: Map<string, Interval>,
): Promise<void> {
  const prodSnapshots = new Set(prod.models.map((entry) => entry.snapshotId));
  const widest = new Map(restated);
  for (const name of await environmentsMapping(ctx.db, [...restated.keys()])) {
    if (name === PROD_ENVIRONMENT) continue;
    const env = await loadEnvironmentModels(ctx.db, ctx.plans, name, ctx.environments);
    const requested = new Map([...restated].filter(([model]) => env.byName.has(model)));
    for (const [model, range] of rangesFrom(env, requested)) {
      widen(widest, model, range);
      const entry = env.byName.get(model)!;
      // prod's own snapshots forget what prod restates, and nothing more
      if (prodSnapshots.has(entry.snapshotId) || !runsOnCron(entry.model)) continue;
      widen(clears, entry.snapshotId, range);
    }
  }
  for (const snapshot of await unreferencedSnapshots(ctx.db, { names: [...widest.keys()] })) {
    if (!runsOnCron(snapshot.definition)) continue;
    widen(clears, snapshot.id, coveringRange(widest.get(snapshot.name)!, snapshot.definition.intervalUnit));
  }
}

/** Makes `ranges[key]` the smallest range holding both what it was and `range`. */
function widen(ranges: Map<string, Interval>, key: string, range: Interval): void {
  const known = ranges.get(key);
  ranges.set(key, known ? [Math.min(known[0], range[0]), Math.max(known[1], range[1])] : range);
}
