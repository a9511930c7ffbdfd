/**
 * The stored plan an activity is asked about, checked the same way by every activity that takes a
 * plan id: the environment's name is valid, the plan exists and is for that environment; and, for
 * those that render its models, that it was stored with its project.
 */
import { validateEnvironmentName } from '../../core/naming.ts';
import { type PlanIndex, planIndex } from '../../core/plan/requests.ts';
import type { Project } from '../../core/project/types.ts';
import type { SchedulerContext } from './context.ts';
import { FAILURE_TYPES, rejected } from './failures.ts';
import type { StoredPlan } from './plan-cache.ts';

export async function storedPlan(
  ctx: SchedulerContext,
  activity: string,
  input: { planId: string; environment: string },
): Promise<StoredPlan> {
  try {
    validateEnvironmentName(input.environment);
  } catch (error) {
    throw rejected(activity, FAILURE_TYPES.invalidInput, (error as Error).message);
  }
  const plan = await ctx.plans.get(input.planId);
  if (!plan) throw rejected(activity, FAILURE_TYPES.unknownPlan, `unknown plan "${input.planId}"`);
  if (plan.environment !== input.environment) {
    throw rejected(
      activity,
      FAILURE_TYPES.invalidInput,
      `plan "${plan.id}" is for environment "${plan.environment}", not "${input.environment}"`,
    );
  }
  return plan;
}

/** The project the plan was computed from; a plan stored without it cannot be applied. */
export function projectOf(activity: string, plan: StoredPlan): Project {
  if (!plan.project) {
    throw rejected(
      activity,
      FAILURE_TYPES.planNotApplicable,
      `plan "${plan.id}" was stored without its project`,
    );
  }
  return plan.project;
}

const indexes = new WeakMap<StoredPlan, PlanIndex>();

/**
 * The plan's index (core/plan/requests.ts) over its project and diff, worked out once for each plan
 * the cache keeps: every segment of its backfill and every chunk of its tables renders with it.
 */
export function storedPlanIndex(plan: StoredPlan, project: Project): PlanIndex {
  let index = indexes.get(plan);
  if (index === undefined) {
    index = planIndex(project, plan.diff);
    indexes.set(plan, index);
  }
  return index;
}
