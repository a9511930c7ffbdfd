/**
 * How far the backfill of plans got, as the state database records it: the runs a plan's
 * application started (`runs.plan_id`) and their model executions that succeeded, counted per model.
 */
import { and, count, eq, inArray } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { modelExecutions, runs } from '../db/schema.ts';
import { requireTextList } from './validate.ts';

/** plan id → model → executions that succeeded in the plan's runs; plans with none are left out. */
export async function succeededPlanBatches(
  db: StateDb,
  planIds: readonly string[],
): Promise<Map<string, Map<string, number>>> {
  const ids = [...new Set(requireTextList('planIds', planIds))];
  const result = new Map<string, Map<string, number>>();
  if (ids.length === 0) return result;
  const rows = await db
    .select({ planId: runs.planId, model: modelExecutions.model, succeeded: count() })
    .from(modelExecutions)
    .innerJoin(runs, eq(runs.id, modelExecutions.runId))
    .where(and(inArray(runs.planId, ids), eq(modelExecutions.status, 'succeeded')))
    .groupBy(runs.planId, modelExecutions.model);
  for (const row of rows) {
    if (row.planId === null) continue;
    const models = result.get(row.planId) ?? new Map<string, number>();
    models.set(row.model, Number(row.succeeded));
    result.set(row.planId, models);
  }
  return result;
}
