/**
 * Stored plans as the scheduler activities read them: the diff and the project it was computed
 * from. Both are written when the plan is created and never change once it has begun, so each
 * activity worker keeps the few it used last instead of reading a whole project for every batch of
 * a backfill. The one exception, an auto-applied plan whose diff is computed again when its turn
 * comes, is not kept until it has begun.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { readStoredProject } from '../../state/plan/stored-project.ts';
import { getPlan, getPlanProject } from '../../state/plans.ts';
import { FAILURE_TYPES } from './failures.ts';

export interface StoredPlan {
  id: string;
  environment: string;
  diff: PlanDiff;
  /** null for a plan stored without its project (it cannot be applied by the workflows). */
  project: Project | null;
  /** epoch ms. */
  submittedAt: number;
}

const KEPT = 16;

export class PlanCache {
  private readonly plans = new Map<string, StoredPlan>();

  constructor(private readonly db: StateDb) {}

  /** The plan, or null when no plan has this id. */
  async get(planId: string): Promise<StoredPlan | null> {
    const kept = this.plans.get(planId);
    if (kept) {
      this.plans.delete(planId);
      this.plans.set(planId, kept);
      return kept;
    }
    const record = await getPlan(this.db, planId);
    if (!record) return null;
    const stored = await getPlanProject(this.db, planId);
    let project: Project | null = null;
    try {
      project = stored === null ? null : readStoredProject(stored, planId);
    } catch (error) {
      // A damaged record reads the same on every attempt.
      throw ApplicationFailure.nonRetryable((error as Error).message, FAILURE_TYPES.planNotApplicable);
    }
    const plan: StoredPlan = {
      id: record.id,
      environment: record.environment,
      diff: record.diff as PlanDiff,
      project,
      submittedAt: Date.parse(record.submittedAt),
    };
    const diffMayChange =
      record.recomputeOnTurn && (record.status === 'pending' || record.status === 'queued');
    if (diffMayChange) return plan;
    this.plans.set(planId, plan);
    if (this.plans.size > KEPT) this.plans.delete(this.plans.keys().next().value!);
    return plan;
  }
}
