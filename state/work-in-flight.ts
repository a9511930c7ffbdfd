/**
 * The runs and plan applications the state DB has as going (runs `running`, plans `applying`), each
 * with when it began and the watchdog's limit for it (core/watchdog.ts): a few times the longest
 * successful batch recorded for its models, at least the floor. What the metrics judge stuck.
 */
import { and, eq, inArray, isNotNull, max, ne } from 'drizzle-orm';
import { stuckLimitMs, type WorkInFlight } from '../core/watchdog.ts';
import type { StateDb } from '../db/client.ts';
import { modelExecutions, plans, runs } from '../db/schema.ts';

export interface EnvironmentWorkInFlight extends WorkInFlight {
  environment: string;
}

export async function workInFlight(db: StateDb, floorMs: number): Promise<EnvironmentWorkInFlight[]> {
  const open = await db
    .select({
      id: runs.id,
      environment: runs.environment,
      models: runs.models,
      startedAt: runs.startedAt,
      createdAt: runs.createdAt,
    })
    .from(runs)
    .where(and(eq(runs.status, 'running'), ne(runs.trigger, 'plan')));
  const applying = await db
    .select({ id: plans.id, environment: plans.environment, startedAt: plans.startedAt })
    .from(plans)
    .where(eq(plans.status, 'applying'));
  const environments = [...new Set([...open, ...applying].map((w) => w.environment))];
  if (environments.length === 0) return [];
  const longest = await db
    .select({
      environment: modelExecutions.environment,
      model: modelExecutions.model,
      ms: max(modelExecutions.durationMs),
    })
    .from(modelExecutions)
    .where(
      and(
        inArray(modelExecutions.environment, environments),
        eq(modelExecutions.status, 'succeeded'),
        isNotNull(modelExecutions.durationMs),
      ),
    )
    .groupBy(modelExecutions.environment, modelExecutions.model);
  const byEnvironment = new Map<string, Record<string, number>>();
  for (const row of longest) {
    const models = byEnvironment.get(row.environment) ?? {};
    models[row.model] = Number(row.ms ?? 0);
    byEnvironment.set(row.environment, models);
  }
  const seen = (environment: string) => byEnvironment.get(environment) ?? {};
  return [
    ...open.map((run) => ({
      kind: 'run' as const,
      id: run.id,
      workflowId: run.id,
      environment: run.environment,
      startedAt: (run.startedAt ?? run.createdAt).getTime(),
      limitMs: stuckLimitMs(run.models, seen(run.environment), floorMs),
    })),
    ...applying.map((plan) => ({
      kind: 'plan' as const,
      id: plan.id,
      workflowId: `sluice-plan-${plan.id}`,
      environment: plan.environment,
      startedAt: (plan.startedAt ?? new Date()).getTime(),
      limitMs: stuckLimitMs(Object.keys(seen(plan.environment)), seen(plan.environment), floorMs),
    })),
  ];
}
