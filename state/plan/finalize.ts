/**
 * Part of `finishPlan` (activities/scheduler/plans.ts), once the apply workflow has swapped the
 * views: records the environment's new snapshot map (all at once: readers see the old map or the
 * new one) and marks the plan applied.
 */
import type { PlanDiff } from '../../core/plan/types.ts';
import type { StateDb } from '../../db/client.ts';
import { type EnvironmentRecord, promoteEnvironment } from '../environments.ts';
import { updatePlan } from '../plans.ts';

export interface FinalizeInput {
  db: StateDb;
  diff: PlanDiff;
  planId: string;
}

export async function finalizePlan(input: FinalizeInput): Promise<EnvironmentRecord> {
  const { db, diff, planId } = input;
  const environment = await promoteEnvironment(db, diff.environment, diff.snapshotMap, planId);
  await updatePlan(db, planId, {
    status: 'applied',
    progress: { step: 'environment', models: environment.modelCount },
  });
  return environment;
}
