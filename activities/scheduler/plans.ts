/**
 * `beginPlan` and `finishPlan`: the first and last steps of a plan's application by the apply
 * workflow. Beginning checks the plan still applies (state/plan/check.ts), marks it applying,
 * stores its new snapshots and prepares its work: the physical tables to create and the backfill,
 * rendered against the plan's new snapshot map, and the views to swap, each grouped by gateway.
 * Finishing promotes the environment's snapshot map (applied) or records the error (failed), and
 * closes the runs that recorded the plan's backfill.
 *
 * An auto-applied plan that queued behind another (`recomputeOnTurn`) has its diff computed again,
 * from its stored project against the environment as it is when its turn comes, and applies that.
 * A plan whose diff then changes nothing is finished at once: `applied`, with progress
 * `{ step: 'unchanged' }`, the environment (and the plan it names as its last) left as it was, and
 * no work for the workflow.
 *
 * A plan that cannot be applied is marked failed before the failure is raised: the apply workflow
 * does not get as far as reporting it.
 */
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { planChangesSomething } from '../../core/plan/changes.ts';
import { creationRequests, executionIntervals, gatewayOf } from '../../core/plan/requests.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { ScheduledModel } from '../../core/schedule.ts';
import { runs } from '../../db/schema.ts';
import { checkPlanApplicable } from '../../state/plan/check.ts';
import { finalizePlan } from '../../state/plan/finalize.ts';
import { recomputePlanRecord } from '../../state/plan/record.ts';
import { storePlanSnapshots } from '../../state/plan/store-snapshots.ts';
import { planViewChanges } from '../../state/plan/view-changes.ts';
import { getPlan, PLAN_FINAL, type PlanRecord, updatePlan } from '../../state/plans.ts';
import { updateRunStatus } from '../../state/runs.ts';
import type { ModelWork, PlanOutcome, PlanWork } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import { FAILURE_TYPES, isCheckFailure, rejected } from './failures.ts';
import { parseInput, text } from './input.ts';
import { nearestUpstream } from './lineage.ts';
import { managedConnections, withManagedConnection } from './managed-connections.ts';
import type { StoredPlan } from './plan-cache.ts';
import { loadSchedule } from './schedule.ts';
import { projectOf, storedPlan, storedPlanIndex } from './stored-plan.ts';

const BEGIN_ARGS = z.object({ planId: text, environment: text });
const FINISH_ARGS = z.object({
  planId: text,
  environment: text,
  status: z.enum(['applied', 'failed', 'cancelled', 'terminated']),
  error: z.string().optional(),
});

export async function beginPlan(
  ctx: SchedulerContext,
  args: { planId: string; environment: string },
): Promise<PlanWork> {
  const input = parseInput('beginPlan', BEGIN_ARGS, args);
  const stored = await storedPlan(ctx, 'beginPlan', input);
  try {
    const project = projectOf('beginPlan', stored);
    const record = await getPlan(ctx.db, stored.id);
    const plan = await diffOnTurn(ctx, stored, project, record);
    const { diff } = plan;
    const changes = planChangesSomething(diff);
    // a retried beginPlan of a plan that changed nothing finds it applied already
    if (!changes && record?.status === 'applied') return noWork(plan);
    await checkPlanApplicable({ db: ctx.db, project, diff, planId: plan.id });
    await updatePlan(ctx.db, plan.id, { status: 'applying', at: ctx.now() });
    if (!changes) {
      await updatePlan(ctx.db, plan.id, {
        status: 'applied',
        progress: { step: 'unchanged' },
        at: ctx.now(),
      });
      return noWork(plan);
    }
    const snapshots = await storePlanSnapshots({ db: ctx.db, project, diff });
    await updatePlan(ctx.db, plan.id, { progress: { step: 'snapshots', stored: snapshots.inserted.length } });
    const views = await planViewChanges(ctx.db, project, diff);
    const sealed = await managedConnections(ctx.db);
    return {
      planId: plan.id,
      environment: plan.environment,
      tables: creationsByGateway(project, plan).map((group) => withManagedConnection(group, sealed)),
      backfill: backfillWork(project, plan),
      views: Object.entries(views.promote).map(([gateway, entries]) =>
        withManagedConnection({ gateway, entries }, sealed),
      ),
      removed: Object.entries(views.drop).map(([gateway, models]) =>
        withManagedConnection({ gateway, models }, sealed),
      ),
    };
  } catch (error) {
    // A failed check (stale plan, changed project, a query that does not render) fails the same way
    // on every attempt; anything else (the database away) is retried.
    const final = error instanceof ApplicationFailure ? error.nonRetryable : isCheckFailure(error);
    if (!final) throw error;
    const message = (error as Error).message;
    await markEnded(ctx, stored.id, 'failed', message);
    throw error instanceof ApplicationFailure
      ? error
      : rejected('beginPlan', FAILURE_TYPES.planNotApplicable, message);
  }
}

const TABLE_ARGS = z.object({
  planId: text,
  environment: text,
  gateway: text,
  models: z.array(text).min(1),
});

export async function tableRequests(
  ctx: SchedulerContext,
  args: { planId: string; environment: string; gateway: string; models: string[] },
): Promise<unknown[]> {
  const input = parseInput('tableRequests', TABLE_ARGS, args);
  const plan = await storedPlan(ctx, 'tableRequests', input);
  const project = projectOf('tableRequests', plan);
  const wanted = new Set(input.models);
  let prepared: ReturnType<typeof creationRequests>;
  try {
    prepared = creationRequests(project, plan.diff, wanted, storedPlanIndex(plan, project));
  } catch (error) {
    // rendering is pure: a failure is the same on every attempt (beginPlan rendered them all once)
    throw rejected('tableRequests', FAILURE_TYPES.renderFailed, (error as Error).message);
  }
  const found = new Map(prepared.map((p) => [p.request.model, p]));
  const missing = input.models.filter((model) => found.get(model)?.gateway !== input.gateway);
  if (missing.length > 0) {
    throw rejected(
      'tableRequests',
      FAILURE_TYPES.invalidInput,
      `plan "${plan.id}" creates no table on gateway "${input.gateway}" for ${missing.join(', ')}`,
    );
  }
  return input.models.map((model) => found.get(model)!.request);
}

export async function finishPlan(
  ctx: SchedulerContext,
  args: { planId: string; environment: string; status: PlanOutcome; error?: string },
): Promise<ScheduledModel[]> {
  const input = parseInput('finishPlan', FINISH_ARGS, args);
  const plan = await storedPlan(ctx, 'finishPlan', input);
  const current = (await getPlan(ctx.db, plan.id))!;
  if (input.status === 'applied') {
    if (current.status !== 'applied') {
      if (current.status !== 'applying') {
        throw rejected(
          'finishPlan',
          FAILURE_TYPES.planNotApplicable,
          `plan "${plan.id}" is ${current.status}; only a plan being applied can be finished as applied`,
        );
      }
      await finalizePlan({
        db: ctx.db,
        diff: plan.diff,
        planId: plan.id,
        environmentTtlMs: current.environmentTtlMs,
        now: ctx.now(),
      });
    }
    await finishBackfillRuns(ctx, plan.id, 'succeeded', null);
  } else {
    if (current.status === 'applied') {
      throw rejected(
        'finishPlan',
        FAILURE_TYPES.planNotApplicable,
        `plan "${plan.id}" is applied; it cannot fail`,
      );
    }
    const error =
      input.error ?? `the application ${input.status === 'failed' ? 'failed' : `was ${input.status}`}`;
    await markEnded(ctx, plan.id, input.status, error);
    await finishBackfillRuns(ctx, plan.id, input.status === 'failed' ? 'failed' : input.status, error);
  }
  return loadSchedule(ctx, input.environment);
}

/**
 * The plan as it is applied: an auto-applied plan that has not begun and is to be computed again on
 * its turn gets its new diff (stored in place of the old one); any other plan as it was stored.
 */
async function diffOnTurn(
  ctx: SchedulerContext,
  plan: StoredPlan,
  project: Project,
  record: PlanRecord | null,
): Promise<StoredPlan> {
  if (!record?.recomputeOnTurn || (record.status !== 'pending' && record.status !== 'queued')) return plan;
  const diff: PlanDiff = await recomputePlanRecord({
    db: ctx.db,
    planId: plan.id,
    project,
    previous: record.diff as PlanDiff,
    now: ctx.now(),
  });
  return { ...plan, diff };
}

/** The work of a plan that changes nothing: none; it was applied as soon as it began. */
function noWork(plan: StoredPlan): PlanWork {
  return { planId: plan.id, environment: plan.environment, tables: [], backfill: [], views: [], removed: [] };
}

/** Marks how the plan ended while it is still open; a finished plan keeps its outcome. */
async function markEnded(
  ctx: SchedulerContext,
  planId: string,
  status: Exclude<PlanOutcome, 'applied'>,
  error: string,
): Promise<void> {
  const current = await getPlan(ctx.db, planId);
  if (!current || PLAN_FINAL.has(current.status)) return;
  // A plan still waiting in the queue never began: it can be cancelled but not terminated.
  const outcome = status === 'terminated' && current.status !== 'applying' ? 'cancelled' : status;
  await updatePlan(ctx.db, planId, { status: outcome, error, at: ctx.now() });
}

/** The runs that recorded the plan's backfill (one per application attempt) and are still open. */
async function finishBackfillRuns(
  ctx: SchedulerContext,
  planId: string,
  status: 'succeeded' | 'failed' | 'cancelled' | 'terminated',
  error: string | null,
): Promise<void> {
  const open = await ctx.db
    .select({ id: runs.id })
    .from(runs)
    .where(
      and(eq(runs.planId, planId), eq(runs.trigger, 'plan'), inArray(runs.status, ['queued', 'running'])),
    );
  for (const run of open) await updateRunStatus(ctx.db, run.id, status, { at: ctx.now(), error });
}

/** The models whose tables the plan creates, per gateway, in dependency order. */
function creationsByGateway(project: Project, plan: StoredPlan): PlanWork['tables'] {
  const groups = new Map<string, string[]>();
  for (const prepared of creationRequests(project, plan.diff, undefined, storedPlanIndex(plan, project))) {
    const models = groups.get(prepared.gateway);
    if (models === undefined) groups.set(prepared.gateway, [prepared.request.model]);
    else models.push(prepared.request.model);
  }
  return [...groups].map(([gateway, models]) => ({ gateway, models }));
}

/** One ModelWork per backfill entry; each waits for the nearest entries upstream of it. */
function backfillWork(project: Project, plan: StoredPlan): ModelWork[] {
  const models = new Map(project.models.map((model) => [model.name, model]));
  const inBackfill = new Set(plan.diff.backfill.map((entry) => entry.model));
  const parentsOf = (name: string) =>
    (models.get(name)?.dependsOn ?? []).filter((parent) => models.has(parent));
  return plan.diff.backfill.map((entry) => {
    const model = models.get(entry.model);
    if (!model)
      throw new Error(`plan "${plan.id}" backfills model ${entry.model}, which its project does not define`);
    return {
      model: entry.model,
      snapshotId: entry.snapshotId,
      gateway: gatewayOf(project, model),
      dependsOn: nearestUpstream(entry.model, parentsOf, inBackfill),
      batches: executionIntervals(entry),
    };
  });
}
