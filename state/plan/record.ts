/**
 * Creating a plan: what the API and `sluice dev` do before they submit a plan to the environment's
 * workflow. The plan is computed against the state database (state/plan/compute.ts) and stored
 * pending, with the project it was computed from (without warehouse credentials), which its
 * application renders. An auto-applied plan that queued behind another is computed again, the same
 * way, when its turn comes (recomputePlanRecord).
 */
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { createPlan, replacePlanDiff } from '../plans.ts';
import { computePlan } from './compute.ts';
import { storableProject } from './stored-project.ts';

export interface PlanRecordInput {
  db: StateDb;
  project: Project;
  environment: string;
  submittedBy: string;
  /** the plan's execution time, epoch ms. */
  now: number;
  /** development plans only: backfill from here (epoch ms, inclusive). */
  start?: number;
  /** development plans only: backfill up to here (epoch ms, exclusive). */
  end?: number;
  /** the environment a new environment starts from (see computePlan). */
  createFrom?: string | null;
  /** a stable id makes a retried submission idempotent; generated when omitted. */
  planId?: string;
  /** compute the diff again when the plan's turn comes (an auto-applied plan; see recomputePlanRecord). */
  recomputeOnTurn?: boolean;
  /** how long the environment lives once the plan is applied (non-prod only). */
  environmentTtlMs?: number | null;
}

export async function createPlanRecord(input: PlanRecordInput): Promise<{ planId: string; diff: PlanDiff }> {
  const diff = await computePlan({
    db: input.db,
    project: input.project,
    environment: input.environment,
    now: input.now,
    ...(input.start === undefined ? {} : { start: input.start }),
    ...(input.end === undefined ? {} : { end: input.end }),
    ...(input.createFrom === undefined ? {} : { createFrom: input.createFrom }),
  });
  const plan = await createPlan(input.db, {
    ...(input.planId === undefined ? {} : { id: input.planId }),
    environment: input.environment,
    diff,
    submittedBy: input.submittedBy,
    project: storableProject(input.project),
    ...(input.recomputeOnTurn === undefined ? {} : { recomputeOnTurn: input.recomputeOnTurn }),
    ...(input.environmentTtlMs == null ? {} : { environmentTtlMs: input.environmentTtlMs }),
  });
  return { planId: plan.id, diff: plan.diff as PlanDiff };
}

/**
 * Computes a stored plan's diff again from the project it was stored with, against its environment
 * as it is now, and stores it in place of the old one (only while the plan has not begun). The range
 * it asked for and the environment it is created from stay as they were; `now` is its new execution
 * time.
 */
export async function recomputePlanRecord(input: {
  db: StateDb;
  planId: string;
  project: Project;
  previous: PlanDiff;
  now: number;
}): Promise<PlanDiff> {
  const { previous } = input;
  const diff = await computePlan({
    db: input.db,
    project: input.project,
    environment: previous.environment,
    now: input.now,
    ...(previous.start === null ? {} : { start: previous.start }),
    ...(previous.end === null ? {} : { end: previous.end }),
    ...(previous.base === previous.environment ? {} : { createFrom: previous.base }),
  });
  const plan = await replacePlanDiff(input.db, input.planId, diff);
  return plan.diff as PlanDiff;
}
