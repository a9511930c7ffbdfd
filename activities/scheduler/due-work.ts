/**
 * `findDueWork`: the batches a run executes for the models it was started for, as SQLMesh's
 * `run` finds them. For each model: the intervals of its snapshot that are ready at `now` (ended,
 * and past the model's cron tick) and not completed, in batches of the model's `batch_size`. A FULL
 * model (or a materialized VIEW) rebuilds its whole table once, so its missing intervals make one
 * batch spanning them all, which records them all complete.
 *
 * With `restrict` (a restatement run's requested range), each model's batches stay inside the range
 * it restates (see `restatedRanges`: the requested range widened to its interval unit and to what
 * its restated upstream models restate), and lookback does not widen them: the run executes exactly
 * the intervals the restatement cleared.
 *
 * A model never runs ahead of the models it reads: an interval is due only once each upstream
 * model that runs on a cron has completed it, or executes it in the same run (the run then starts
 * the model after those upstream models, see `dependsOn`). Upstream views, embedded models and
 * seeds have no intervals of their own to wait for: a view or an embedded model passes on the
 * readiness of the models it reads, a seed is loaded when its plan applies.
 */
import { z } from 'zod';
import { ceilToUnit, floorToUnit } from '../../core/interval-unit.ts';
import {
  type Interval,
  intersectIntervals,
  missingIntervals,
  normalizeIntervals,
  unionIntervals,
} from '../../core/intervals.ts';
import type { IntervalUnit, Model } from '../../core/project/types.ts';
import { completedIntervals } from '../../state/intervals.ts';
import type { ModelWork } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import {
  loadEnvironmentModels,
  parentsInEnvironment,
  requireModels,
  runsOnCron,
} from './environment-models.ts';
import { epochMs, parseInput, text, textList } from './input.ts';
import { nearestUpstream } from './lineage.ts';
import { restatedRanges } from './restatement.ts';

const DUE_WORK_ARGS = z.object({
  environment: text,
  models: textList,
  now: epochMs,
  restrict: z
    .object({ start: epochMs, end: epochMs })
    .refine(({ start, end }) => end > start, { message: 'must be after restrict.start', path: ['end'] })
    .optional(),
});

export type DueWorkArgs = z.infer<typeof DUE_WORK_ARGS>;

export async function findDueWork(ctx: SchedulerContext, args: DueWorkArgs): Promise<ModelWork[]> {
  const input = parseInput('findDueWork', DUE_WORK_ARGS, args);
  const env = await loadEnvironmentModels(ctx.db, ctx.plans, input.environment, ctx.environments);
  requireModels('findDueWork', env, input.models);
  const requested = new Set(input.models);
  const scheduled = new Set(env.models.filter((entry) => runsOnCron(entry.model)).map((entry) => entry.name));
  const parentsOf = (name: string) => parentsInEnvironment(env, env.byName.get(name)!);
  const candidates = env.models.filter((entry) => requested.has(entry.name) && scheduled.has(entry.name));
  const upstream = new Map(
    candidates.map((entry) => [entry.name, nearestUpstream(entry.name, parentsOf, scheduled)]),
  );
  const snapshotOf = (name: string) => env.byName.get(name)!.snapshotId;
  const completed = await completedIntervals(ctx.db, [
    ...new Set([
      ...candidates.map((entry) => entry.snapshotId),
      ...[...upstream.values()].flat().map(snapshotOf),
    ]),
  ]);

  const restated = input.restrict
    ? restatedRanges(env, input.models, [input.restrict.start, input.restrict.end])
    : null;

  const planned = new Map<string, Interval[]>();
  const work: ModelWork[] = [];
  for (const entry of candidates) {
    const parents = upstream.get(entry.name)!;
    const ready = parents
      .map((parent) => unionIntervals(completed[snapshotOf(parent)] ?? [], planned.get(parent) ?? []))
      .reduce<Interval[] | null>((all, one) => (all === null ? one : intersectIntervals(all, one)), null);
    const batches = dueBatches(
      entry.model,
      completed[entry.snapshotId] ?? [],
      input.now,
      restated?.get(entry.name) ?? null,
      ready,
    );
    if (batches.length === 0) continue;
    planned.set(entry.name, batches);
    work.push({
      model: entry.name,
      snapshotId: entry.snapshotId,
      gateway: entry.gateway,
      dependsOn: parents.filter((parent) => planned.has(parent)),
      batches,
    });
  }
  return work;
}

/**
 * The model's due batches; `restated` (in a restatement run) is the only range they may cover, and
 * `ready` (when it has upstream to wait for) bounds them.
 */
function dueBatches(
  model: Model,
  completed: readonly Interval[],
  now: number,
  restated: Interval | null,
  ready: readonly Interval[] | null,
): Interval[] {
  const common = {
    cron: model.cron,
    cronTz: model.cronTz,
    intervalUnit: model.intervalUnit,
    now,
    start: model.start.ms,
    ...(model.end ? { end: model.end.ms } : {}),
    completed,
    ...(restated ? { restrictTo: { start: restated[0], end: restated[1] } } : {}),
  };
  const kind = model.kind;
  if (kind.name === 'INCREMENTAL_BY_TIME_RANGE' || kind.name === 'INCREMENTAL_BY_UNIQUE_KEY') {
    const batches = missingIntervals({
      ...common,
      // a restatement runs exactly its range: lookback does not reach back from it
      lookback: restated ? 0 : kind.lookback,
      ...(kind.batchSize === undefined ? {} : { batchSize: kind.batchSize }),
    });
    if (ready === null) return batches;
    return batches.flatMap((batch) => wholeUnits(intersectIntervals([batch], ready), model.intervalUnit));
  }
  let missing = normalizeIntervals(missingIntervals(common));
  if (ready !== null) missing = wholeUnits(intersectIntervals(missing, ready), model.intervalUnit);
  const first = missing[0];
  const last = missing[missing.length - 1];
  return first && last ? [[first[0], last[1]]] : [];
}

/** The whole intervals of `unit` inside each range. */
function wholeUnits(ranges: readonly Interval[], unit: IntervalUnit): Interval[] {
  return ranges.flatMap(([start, end]): Interval[] => {
    const from = ceilToUnit(start, unit);
    const to = floorToUnit(end, unit);
    return from < to ? [[from, to]] : [];
  });
}
