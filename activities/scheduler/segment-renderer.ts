/**
 * Renders the batches of a segment: the environment's models (or the plan, for a plan's backfill)
 * are loaded once, the run checked (or, for a plan, its run record created) once, and each item is
 * then rendered without another look at the state database.
 */
import { formatInterval, type Interval } from '../../core/intervals.ts';
import { batchRequest } from '../../core/plan/requests.ts';
import { createRun, getRun } from '../../state/runs.ts';
import type { SchedulerContext } from './context.ts';
import { loadEnvironmentModels, requireModels } from './environment-models.ts';
import { FAILURE_TYPES, rejectCheckFailures, rejected } from './failures.ts';
import { type RenderedBatch, renderEnvironmentBatch } from './render-batch.ts';
import { projectOf, storedPlan, storedPlanIndex } from './stored-plan.ts';

const ACTIVITY = 'prepareSegment';

export interface SegmentItem {
  model: string;
  snapshotId: string;
  interval: Interval | null;
}

export interface SegmentTarget {
  runId: string;
  environment: string;
  scheduledAt: number;
  planId?: string | undefined;
  items: SegmentItem[];
}

export interface SegmentRenderer {
  /** when the segment's batches were planned (the run's creation, or the plan's submission), epoch ms. */
  plannedAt: number;
  /** renders one item; throws the non-retryable RENDER_FAILED naming the model when it cannot. */
  render(item: SegmentItem): RenderedBatch;
}

/** Checks the run (or creates the plan's) and every item's model and snapshot, then renders on demand. */
export function segmentRenderer(ctx: SchedulerContext, target: SegmentTarget): Promise<SegmentRenderer> {
  return target.planId === undefined
    ? environmentRenderer(ctx, target)
    : planRenderer(ctx, { ...target, planId: target.planId });
}

async function environmentRenderer(ctx: SchedulerContext, target: SegmentTarget): Promise<SegmentRenderer> {
  const env = await loadEnvironmentModels(ctx.db, ctx.plans, target.environment, ctx.environments);
  const entries = requireModels(
    ACTIVITY,
    env,
    target.items.map((item) => item.model),
  );
  target.items.forEach((item, index) => {
    const mapped = entries[index]!.snapshotId;
    if (mapped !== item.snapshotId) {
      throw rejected(
        ACTIVITY,
        FAILURE_TYPES.invalidInput,
        `environment "${target.environment}" maps ${item.model} to snapshot ${mapped}, not ${item.snapshotId}`,
      );
    }
  });
  const run = await getRun(ctx.db, target.runId);
  if (!run) {
    throw rejected(ACTIVITY, FAILURE_TYPES.unknownRun, `run "${target.runId}" was never recorded started`);
  }
  if (run.environment !== target.environment) {
    throw rejected(
      ACTIVITY,
      FAILURE_TYPES.invalidInput,
      `run "${target.runId}" belongs to environment "${run.environment}", not "${target.environment}"`,
    );
  }
  return {
    plannedAt: Date.parse(run.createdAt),
    render: (item) =>
      rendering(item, () =>
        renderEnvironmentBatch(env, env.byName.get(item.model)!, item.interval, target.scheduledAt),
      ),
  };
}

async function planRenderer(
  ctx: SchedulerContext,
  target: SegmentTarget & { planId: string },
): Promise<SegmentRenderer> {
  const plan = await storedPlan(ctx, ACTIVITY, target);
  const project = projectOf(ACTIVITY, plan);
  for (const item of target.items) {
    if (plan.diff.snapshotMap[item.model] !== item.snapshotId) {
      throw rejected(
        ACTIVITY,
        FAILURE_TYPES.unknownModel,
        `plan "${plan.id}" does not map model ${item.model} to snapshot ${item.snapshotId}`,
      );
    }
  }
  await rejectCheckFailures(ACTIVITY, FAILURE_TYPES.invalidInput, () =>
    createRun(ctx.db, {
      id: target.runId,
      environment: target.environment,
      trigger: 'plan',
      scheduledAt: target.scheduledAt,
      models: plan.diff.backfill.map((entry) => entry.model),
      planId: plan.id,
      status: 'running',
    }),
  );
  // the plan's physical tables and models by name, worked out once for all its segments
  const index = storedPlanIndex(plan, project);
  return {
    plannedAt: plan.submittedAt,
    render: (item) =>
      rendering(item, () =>
        batchRequest(
          project,
          plan.diff,
          { model: item.model, snapshotId: item.snapshotId },
          item.interval,
          index,
        ),
      ),
  };
}

/** Rendering is pure: a failure is the same on every attempt. */
function rendering(item: SegmentItem, body: () => RenderedBatch): RenderedBatch {
  try {
    return body();
  } catch (error) {
    const what = item.interval ? formatInterval(item.interval) : '(whole table)';
    throw rejected(
      ACTIVITY,
      FAILURE_TYPES.renderFailed,
      `cannot render ${item.model} ${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
