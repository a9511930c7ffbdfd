/**
 * Creating a plan: what the API and `sluice dev` do before they submit a plan to the environment's
 * workflow. The plan is computed against the state database (activities/plan/compute.ts) and stored
 * pending, with the project it was computed from (without warehouse credentials), which its
 * application renders.
 */
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { computePlan } from '../plan/compute.ts';
import { createPlan } from '../state/plans.ts';
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
  });
  return { planId: plan.id, diff: plan.diff as PlanDiff };
}
