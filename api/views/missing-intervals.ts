/**
 * How many intervals each model of an environment misses since its start: the unit intervals the
 * scheduler would run for it now (core/interval-coverage.ts). Kinds without intervals of their own
 * (plain views, seeds, embedded models) have none to miss: null. Every model's completed intervals
 * are read in one query, merged by the database.
 */
import { missingIntervalCount } from '../../core/interval-coverage.ts';
import type { Model } from '../../core/project/types.ts';
import { runsOnSchedule } from '../../core/schedule.ts';
import type { StateDb } from '../../db/client.ts';
import { mergedCompletedIntervals } from '../../state/intervals.ts';

/** Whether the model's kind keeps intervals of its own (the kinds with work on a cron). */
export function hasIntervals(model: Model): boolean {
  return runsOnSchedule({
    kind: model.kind.name,
    ...(model.kind.name === 'VIEW' ? { materialized: model.kind.materialized } : {}),
  });
}

/** The readiness and range of a model, as missingIntervals reads them. */
export function intervalArgs(model: Model, now: number) {
  return {
    cron: model.cron,
    cronTz: model.cronTz,
    intervalUnit: model.intervalUnit,
    now,
    start: model.start.ms,
    ...(model.end ? { end: model.end.ms } : {}),
  };
}

export async function missingIntervalCounts(
  db: StateDb,
  models: ReadonlyArray<{ name: string; snapshotId: string; definition: Model }>,
  now: number,
): Promise<Map<string, number | null>> {
  const withIntervals = models.filter((m) => hasIntervals(m.definition));
  const completed = await mergedCompletedIntervals(
    db,
    withIntervals.map((m) => m.snapshotId),
  );
  const counts = new Map<string, number | null>(models.map((m) => [m.name, null]));
  for (const model of withIntervals) {
    counts.set(
      model.name,
      missingIntervalCount({
        ...intervalArgs(model.definition, now),
        completed: completed[model.snapshotId] ?? [],
      }),
    );
  }
  return counts;
}
