/**
 * `loadSchedule`: what the environment workflow schedules, read from the environment's snapshot
 * map. Every mapped model is listed (the workflow itself leaves out the kinds with nothing to run
 * on a cron), each with the models of the environment it reads, and its interval unit, start and
 * end, which a restatement's range is checked against.
 */
import type { ScheduledModel } from '../../core/schedule.ts';
import type { SchedulerContext } from './context.ts';
import { loadEnvironmentModels, parentsInEnvironment } from './environment-models.ts';
import { parseInput, text } from './input.ts';

export async function loadSchedule(ctx: SchedulerContext, environment: string): Promise<ScheduledModel[]> {
  const name = parseInput('loadSchedule', text, environment);
  const env = await loadEnvironmentModels(ctx.db, ctx.plans, name, ctx.environments);
  return env.models.map((entry) => {
    const { model } = entry;
    return {
      name: entry.name,
      snapshotId: entry.snapshotId,
      kind: model.kind.name,
      ...(model.kind.name === 'VIEW' ? { materialized: model.kind.materialized } : {}),
      cron: model.cron,
      cronTz: model.cronTz,
      dependsOn: parentsInEnvironment(env, entry),
      gateway: entry.gateway,
      intervalUnit: model.intervalUnit,
      startMs: model.start.ms,
      ...(model.end ? { endMs: model.end.ms } : {}),
    };
  });
}
