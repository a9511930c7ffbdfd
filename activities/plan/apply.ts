/**
 * Applies a plan without Temporal: (a) store the new snapshots, (b) create their physical tables,
 * (c) backfill, (d) swap the environment's views, (e) record the environment's snapshot map and
 * mark the plan applied. Each step is its own exported function (in this folder) so an apply
 * workflow can run each one as an activity.
 *
 * A plan that cannot be applied (stale, already finished, computed from another project) is marked
 * failed without touching anything. A failure before (d) leaves the environment exactly as it was: its views and its snapshot map
 * are untouched (new snapshots and the intervals already backfilled for them stay, so applying a
 * new plan for the same change resumes where this one stopped). The plan is marked failed with
 * the error, and the error is thrown again: a backfill failure as a PlanBackfillError that names
 * the model and the interval.
 */
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import type { EnginePool } from '../engines/pool.ts';
import type { EnvironmentRecord } from '../state/environments.ts';
import { getPlan, updatePlan } from '../state/plans.ts';
import { type BackfillResult, backfillPlan } from './backfill.ts';
import { checkPlanApplicable } from './check.ts';
import { createPlanTables } from './create-tables.ts';
import { finalizePlan } from './finalize.ts';
import type { PlanProgress } from './progress.ts';
import { storePlanSnapshots } from './store-snapshots.ts';
import { swapPlanViews } from './swap-views.ts';

export interface ApplyPlanInput {
  db: StateDb;
  engines: EnginePool;
  project: Project;
  diff: PlanDiff;
  /** the stored plan (see createPlan); it must be pending, queued or applying. */
  planId: string;
  /** when the application starts; now by default. */
  now?: number;
  onProgress?: (progress: PlanProgress) => void;
  signal?: AbortSignal;
}

export interface ApplyPlanResult {
  environment: EnvironmentRecord;
  snapshots: { inserted: string[]; existing: string[] };
  tablesCreated: number;
  backfill: BackfillResult;
  views: { promoted: number; dropped: number };
}

export async function applyPlan(input: ApplyPlanInput): Promise<ApplyPlanResult> {
  const { db, planId } = input;
  try {
    await checkPlanApplicable(input);
  } catch (error) {
    await markFailed(db, planId, error);
    throw error;
  }
  await updatePlan(db, planId, { status: 'applying', ...(input.now === undefined ? {} : { at: input.now }) });
  const report = async (progress: PlanProgress): Promise<void> => {
    input.onProgress?.(progress);
    await updatePlan(db, planId, { progress });
  };

  try {
    const snapshots = await storePlanSnapshots(input);
    await report({ step: 'snapshots', stored: snapshots.inserted.length });
    const tables = await createPlanTables(input);
    await report({ step: 'tables', created: tables.created });
    const backfill = await backfillPlan({ ...input, onProgress: report });
    const views = await swapPlanViews(input);
    await report({ step: 'views', ...views });
    const environment = await finalizePlan(input);
    input.onProgress?.({ step: 'environment', models: environment.modelCount });
    return { environment, snapshots, tablesCreated: tables.created, backfill, views };
  } catch (error) {
    await markFailed(db, planId, error);
    throw error;
  }
}

/** Marks the plan failed when it is still open; the original failure is the one reported. */
async function markFailed(db: StateDb, planId: string, error: unknown): Promise<void> {
  const plan = await getPlan(db, planId).catch(() => null);
  if (!plan || plan.status === 'applied' || plan.status === 'failed' || plan.status === 'cancelled') return;
  await updatePlan(db, planId, {
    status: 'failed',
    error: error instanceof Error ? error.message : String(error),
  }).catch(() => undefined);
}
