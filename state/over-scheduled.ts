/**
 * Which models of an environment are over-scheduled (core/over-scheduled.ts judges), from how long
 * their recent executions took: a model's execution in a run lasts from its first batch's start to
 * its last batch's finish. Only scheduled and manual runs count: a plan's backfill or a restatement
 * runs many intervals at once and says nothing about what one tick costs.
 */
import { sql } from 'drizzle-orm';
import { OVER_SCHEDULED_RECENT_RUNS, type OverScheduled, overScheduled } from '../core/over-scheduled.ts';
import type { StateDb } from '../db/client.ts';
import { queryRows } from '../db/query-rows.ts';

/**
 * How long each model of `environment` took in each of its `limit` latest runs where every batch of
 * it succeeded, newest first, in one query; `models` narrows the models read.
 */
export async function recentExecutionDurations(
  db: StateDb,
  environment: string,
  limit: number = OVER_SCHEDULED_RECENT_RUNS,
  models?: readonly string[],
): Promise<Map<string, number[]>> {
  if (models?.length === 0) return new Map();
  const only =
    models === undefined
      ? sql``
      : sql`and e.model in (${sql.join(
          models.map((m) => sql`${m}`),
          sql`, `,
        )})`;
  const rows = await queryRows<{ model: string; ms: number | string }>(
    db,
    sql`select model, ms from (
          select e.model,
                 extract(epoch from max(e.finished_at) - min(e.started_at)) * 1000 as ms,
                 row_number() over (partition by e.model order by max(e.finished_at) desc, e.run_id desc) as n
            from sluice.model_executions e
            join sluice.runs r on r.id = e.run_id
           where e.environment = ${environment}
             and e.started_at is not null
             and r.trigger in ('schedule', 'manual')
             ${only}
           group by e.model, e.run_id
          having bool_and(e.status = 'succeeded')
        ) d
        where n <= ${limit}
        order by model, n`,
  );
  const durations = new Map<string, number[]>();
  for (const row of rows) {
    const list = durations.get(row.model) ?? [];
    list.push(Math.round(Number(row.ms)));
    durations.set(row.model, list);
  }
  return durations;
}

export interface CronOfModel {
  name: string;
  cron: string;
  cronTz: string;
}

/** The over-scheduled models among `models` of `environment` at `at`, by name. */
export async function overScheduledModels(
  db: StateDb,
  environment: string,
  models: readonly CronOfModel[],
  at: number,
): Promise<Map<string, OverScheduled>> {
  const names = models.map((m) => m.name);
  const durations = await recentExecutionDurations(db, environment, OVER_SCHEDULED_RECENT_RUNS, names);
  const found = new Map<string, OverScheduled>();
  for (const model of models) {
    const durationsMs = durations.get(model.name);
    if (!durationsMs) continue;
    const judged = overScheduled({ cron: model.cron, cronTz: model.cronTz, durationsMs }, at);
    if (judged) found.set(model.name, judged);
  }
  return found;
}
