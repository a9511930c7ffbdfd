/**
 * Before a plan is applied: it must be stored and not finished, the project must be the one it was
 * computed from, and the environment must still have the snapshot map it was computed against (a
 * plan computed before another plan changed the environment would undo that plan's work).
 */
import { checkProjectMatchesDiff } from '../../core/plan/requests.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { environmentSnapshotMap, getEnvironment } from '../environments.ts';
import { getPlan, type PlanStatus } from '../plans.ts';

/** A plan in one of these states has had its outcome: it is never applied (again). */
const FINISHED: readonly PlanStatus[] = ['applied', 'failed', 'cancelled', 'rejected', 'terminated'];

export interface CheckPlanInput {
  db: StateDb;
  project: Project;
  diff: PlanDiff;
  planId: string;
}

export async function checkPlanApplicable(input: CheckPlanInput): Promise<void> {
  const { db, project, diff, planId } = input;
  const plan = await getPlan(db, planId);
  if (!plan) throw new Error(`unknown plan "${planId}"`);
  if (plan.environment !== diff.environment) {
    throw new Error(`plan "${planId}" is for environment "${plan.environment}", not "${diff.environment}"`);
  }
  if (FINISHED.includes(plan.status)) {
    throw new Error(`plan "${planId}" is ${plan.status}; it cannot be applied`);
  }
  checkProjectMatchesDiff(project, diff);

  const exists = (await getEnvironment(db, diff.environment)) !== null;
  if (diff.base !== diff.environment) {
    if (exists) {
      throw new Error(
        `plan "${planId}" creates environment "${diff.environment}", which exists now: compute the plan again`,
      );
    }
    return;
  }
  const expected = diff.previousSnapshotMap;
  if (!exists && Object.keys(expected).length === 0) return;
  const current = await environmentSnapshotMap(db, diff.environment);
  const names = new Set([...Object.keys(current), ...Object.keys(expected)]);
  const moved = [...names].filter((name) => current[name] !== expected[name]).sort();
  if (!exists || moved.length > 0) {
    throw new Error(
      `environment "${diff.environment}" changed since plan "${planId}" was computed` +
        `${moved.length > 0 ? ` (${moved.join(', ')})` : ''}: compute the plan again`,
    );
  }
}
