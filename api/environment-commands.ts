/**
 * What people and CI can ask of an environment, as plain functions over a Temporal client (and the
 * state DB where a plan is computed): start its workflow, submit a plan, trigger or restate runs,
 * pause and resume, read its state. The HTTP API and the CLI call these; nothing here touches a
 * warehouse.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { planChangesSomething } from '../core/plan/changes.ts';
import type { PlanDiff } from '../core/plan/types.ts';
import type { Project } from '../core/project/types.ts';
import { priorityOf, slotLimitProblem } from '../core/run-slots.ts';
import { countProblem, THREADS_LIMIT } from '../core/validation/limits.ts';
import { environmentWorkflowId } from '../core/workflow-ids.ts';
import type { StateDb } from '../db/client.ts';
import { checkPlanApplicable } from '../state/plan/check.ts';
import { createPlanRecord } from '../state/plan/record.ts';
import { getPlan, setRecomputeOnTurn, updatePlan } from '../state/plans.ts';
import {
  type EnvironmentInput,
  type EnvironmentState,
  environmentWorkflow,
} from '../workflows/environment.ts';
import { SluiceEnvironment } from '../workflows/search-attributes.ts';
import {
  cancelPlanSignal,
  cancelQueuedRunSignal,
  pauseEnvironmentSignal,
  pauseModelSignal,
  resumeEnvironmentSignal,
  resumeModelSignal,
  stateQuery,
  submitPlanUpdate,
  type TriggerRequest,
  triggerRunUpdate,
} from '../workflows/signals.ts';

export { planChangesSomething };

export interface EnvironmentOptions {
  threads?: number;
  /** set typed search attributes (the server must have them registered). */
  searchAttributes?: boolean;
  /** the least time a run or plan may take before it is reported stuck (SLUICE_STUCK_AFTER). */
  stuckAfterMs?: number;
  /** continue-as-new once the workflow's history reaches this many events (10,000 when omitted). */
  maxHistoryEvents?: number;
  /** SLUICE_RUN_SLOTS: runs at once across every environment; unlimited when omitted. */
  runSlots?: number;
  /** SLUICE_RUN_PRIORITY: each environment's priority for a free run slot (0 when not named). */
  runPriority?: Readonly<Record<string, number>>;
}

/**
 * Starts the environment's workflow unless it is already running; returns a handle to whichever run
 * of it is current. The handle `start` returns is bound to the chain of the run it found, which ends
 * at that run's continue-as-new, so updates sent through it would be refused once the environment
 * has continued as new.
 */
export async function ensureEnvironmentWorkflow(
  client: Client,
  environment: string,
  options: EnvironmentOptions = {},
) {
  if (options.threads !== undefined) {
    const problem = countProblem('threads', options.threads, THREADS_LIMIT);
    if (problem) throw new Error(`environment ${environment}: ${problem.message}`);
  }
  if (options.runSlots !== undefined) {
    const problem = slotLimitProblem(options.runSlots);
    if (problem) throw new Error(`environment ${environment}: ${problem}`);
  }
  const input: EnvironmentInput = {
    environment,
    threads: options.threads,
    searchAttributes: options.searchAttributes,
    ...(options.stuckAfterMs === undefined ? {} : { stuckAfterMs: options.stuckAfterMs }),
    maxHistoryEvents: options.maxHistoryEvents,
    ...(options.runSlots === undefined
      ? {}
      : {
          runSlots: { limit: options.runSlots, priority: priorityOf(options.runPriority ?? {}, environment) },
        }),
  };
  await client.workflow.start(environmentWorkflow, {
    taskQueue: TASK_QUEUES.scheduler,
    workflowId: environmentWorkflowId(environment),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `environment ${environment}`,
    ...(options.searchAttributes === false
      ? {}
      : { typedSearchAttributes: [{ key: SluiceEnvironment, value: environment }] }),
  });
  return client.workflow.getHandle<typeof environmentWorkflow>(environmentWorkflowId(environment));
}

export interface SubmittedPlan {
  planId: string;
  diff: PlanDiff;
  /** position in the environment's plan queue (1 = next); undefined when nothing changed. */
  position?: number;
}

/**
 * Computes a plan for `project` against `environment` and stores it as pending: nothing is queued,
 * the plan waits for `queuePlan` (or `queueAutoAppliedPlan`, when stored with `recomputeOnTurn`).
 */
export async function createPendingPlan(args: {
  db: StateDb;
  project: Project;
  environment: string;
  submittedBy: string;
  now?: number;
  start?: number;
  end?: number;
  /** the environment a new environment starts from (prod by default; see computePlan). */
  createFrom?: string;
  recomputeOnTurn?: boolean;
  environmentTtlMs?: number | null;
}): Promise<{ planId: string; diff: PlanDiff }> {
  return createPlanRecord({
    db: args.db,
    project: args.project,
    environment: args.environment,
    submittedBy: args.submittedBy,
    now: args.now ?? Date.now(),
    start: args.start,
    end: args.end,
    ...(args.createFrom === undefined ? {} : { createFrom: args.createFrom }),
    ...(args.recomputeOnTurn === undefined ? {} : { recomputeOnTurn: args.recomputeOnTurn }),
    ...(args.environmentTtlMs == null ? {} : { environmentTtlMs: args.environmentTtlMs }),
  });
}

/**
 * Queues a stored plan on its environment's workflow (starting the workflow when needed) and marks
 * it queued; returns its position in the queue (1 = next).
 */
export async function queuePlan(args: {
  db: StateDb;
  client: Client;
  planId: string;
  environment: string;
  submittedBy: string;
  options?: EnvironmentOptions;
}): Promise<{ position: number }> {
  const handle = await ensureEnvironmentWorkflow(args.client, args.environment, args.options);
  const { position } = await handle.executeUpdate(submitPlanUpdate, {
    args: [{ planId: args.planId, submittedBy: args.submittedBy }],
  });
  await markQueued(args.db, args.planId);
  return { position };
}

/**
 * Queues an auto-applied plan, stored pending with `recomputeOnTurn`, behind whatever the
 * environment's queue holds: plans queue in submission order, and each is computed again against
 * the environment when its turn comes. A plan that came first in the queue while the environment
 * was still what it was computed against applies as computed (`recomputeOnTurn` is cleared); a
 * plan that changes nothing and finds the queue empty is applied at once, with no work. Returns
 * its position in the queue, null when it was applied at once.
 */
export async function queueAutoAppliedPlan(args: {
  db: StateDb;
  client: Client;
  planId: string;
  project: Project;
  environment: string;
  submittedBy: string;
  options?: EnvironmentOptions;
}): Promise<{ position: number | null }> {
  const { db, planId } = args;
  const stored = await getPlan(db, planId);
  if (!stored) throw new Error(`unknown plan "${planId}"`);
  const diff = stored.diff as PlanDiff;
  if (!planChangesSomething(diff)) {
    const handle = await ensureEnvironmentWorkflow(args.client, args.environment, args.options);
    const state = await handle.query(stateQuery);
    if (state.applyingPlan === null && state.plansQueued.length === 0) {
      await setRecomputeOnTurn(db, planId, false);
      await updatePlan(db, planId, { status: 'applying' });
      await updatePlan(db, planId, { status: 'applied', progress: { step: 'unchanged' } });
      return { position: null };
    }
  }
  const { position } = await queuePlan(args);
  if (position === 1 && (await stillApplicable(args.db, args.project, diff, planId))) {
    // Nothing can change the environment before this plan now: the diff stays right.
    await setRecomputeOnTurn(db, planId, false);
  }
  return { position };
}

async function stillApplicable(db: StateDb, project: Project, diff: PlanDiff, planId: string) {
  try {
    await checkPlanApplicable({ db, project, diff, planId });
    return true;
  } catch {
    return false;
  }
}

/** pending → queued; a plan the workflow has already taken further keeps its newer status. */
async function markQueued(db: StateDb, planId: string): Promise<void> {
  const plan = await getPlan(db, planId);
  if (plan?.status !== 'pending') return;
  try {
    await updatePlan(db, planId, { status: 'queued' });
  } catch (err) {
    const now = await getPlan(db, planId);
    if (now?.status === 'pending') throw err;
  }
}

/**
 * Computes a plan for `project` against `environment`, stores it, and queues it on the environment's
 * workflow. A plan that changes nothing is stored but not queued.
 */
export async function submitPlan(args: {
  db: StateDb;
  client: Client;
  project: Project;
  environment: string;
  submittedBy: string;
  now?: number;
  start?: number;
  end?: number;
  options?: EnvironmentOptions;
}): Promise<SubmittedPlan> {
  const { planId, diff } = await createPendingPlan(args);
  if (!planChangesSomething(diff)) return { planId, diff };
  const { position } = await queuePlan({
    db: args.db,
    client: args.client,
    planId,
    environment: args.environment,
    submittedBy: args.submittedBy,
    options: args.options,
  });
  return { planId, diff, position };
}

function handle(client: Client, environment: string) {
  return client.workflow.getHandle(environmentWorkflowId(environment));
}

/** Runs now: the environment's models, or a selection (with their upstream when asked). */
export async function triggerRun(
  client: Client,
  environment: string,
  request: TriggerRequest,
): Promise<string> {
  const { runId } = await handle(client, environment).executeUpdate(triggerRunUpdate, { args: [request] });
  return runId;
}

/** Clears the models' completed intervals in [start, end) and runs them again; downstream follows. */
export function restate(
  client: Client,
  environment: string,
  args: { models: string[]; start: number; end: number; requestedBy: string },
): Promise<string> {
  return triggerRun(client, environment, {
    models: args.models,
    restate: { start: args.start, end: args.end },
    requestedBy: args.requestedBy,
  });
}

export async function pauseEnvironment(client: Client, environment: string, reason: string, actor: string) {
  await handle(client, environment).signal(pauseEnvironmentSignal, reason, actor);
}

export async function resumeEnvironment(client: Client, environment: string, actor: string) {
  await handle(client, environment).signal(resumeEnvironmentSignal, actor);
}

export async function pauseModel(
  client: Client,
  environment: string,
  model: string,
  reason: string,
  actor: string,
) {
  await handle(client, environment).signal(pauseModelSignal, model, reason, actor);
}

export async function resumeModel(client: Client, environment: string, model: string, actor: string) {
  await handle(client, environment).signal(resumeModelSignal, model, actor);
}

export function environmentState(client: Client, environment: string): Promise<EnvironmentState> {
  return handle(client, environment).query(stateQuery);
}

/** Cancels a queued plan, or the application of the plan being applied (its statements are cancelled). */
export async function cancelPlan(client: Client, environment: string, planId: string, actor: string) {
  await handle(client, environment).signal(cancelPlanSignal, planId, actor);
}

/** Cancels a run: its statements are cancelled on the warehouse and its models not yet started stay unrun. */
export async function cancelRun(client: Client, runId: string) {
  await client.workflow.getHandle(runId).cancel();
}

/**
 * Cancels a queued run: a triggered run still waiting in its environment's queue leaves it (and ends
 * `cancelled`), and one whose workflow has started, waiting for a run slot, is cancelled there.
 */
export async function cancelQueuedRun(client: Client, environment: string, runId: string, actor: string) {
  await handle(client, environment).signal(cancelQueuedRunSignal, runId, actor);
  try {
    await cancelRun(client, runId);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}
