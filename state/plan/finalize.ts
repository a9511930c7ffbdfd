/**
 * Part of `finishPlan` (activities/scheduler/plans.ts), once the apply workflow has swapped the
 * views: records the environment's new snapshot map (all at once: readers see the old map or the
 * new one) and marks the plan applied. A plan with a TTL sets the environment's expiry to that long
 * from now, extending it when it was sooner; a plan without one leaves it as it is.
 */
import type { PlanDiff } from '../../core/plan/types.ts';
import type { StateDb } from '../../db/client.ts';
import { type EnvironmentRecord, promoteEnvironment } from '../environments.ts';
import { updatePlan } from '../plans.ts';

export interface FinalizeInput {
  db: StateDb;
  diff: PlanDiff;
  planId: string;
  /** how long the environment lives from now (the plan's TTL); null or absent: its expiry stays. */
  environmentTtlMs?: number | null;
  /** epoch ms; now by default. */
  now?: number;
}

export async function finalizePlan(input: FinalizeInput): Promise<EnvironmentRecord> {
  const { db, diff, planId } = input;
  const ttl = input.environmentTtlMs ?? null;
  const environment = await promoteEnvironment(
    db,
    diff.environment,
    diff.snapshotMap,
    planId,
    ttl === null ? {} : { expiresAt: (input.now ?? Date.now()) + ttl },
  );
  await updatePlan(db, planId, {
    status: 'applied',
    progress: { step: 'environment', models: environment.modelCount },
  });
  return environment;
}
