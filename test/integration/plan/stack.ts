/**
 * Plans applied on the path production takes: a Temporal dev server, the scheduler worker on the
 * test's state database, and an apply executor in this process serving the project's gateways. A
 * plan is computed and queued with `submitPlan` (the environment workflow queues it and applies it
 * with the apply workflow as its child) and followed in the state database until its record is
 * final and its apply workflow has ended.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  environmentState,
  pauseEnvironment,
  queuePlan,
  type SubmittedPlan,
  submitPlan,
} from '../../../api/environment-commands.ts';
import type { PlanDiff } from '../../../core/plan/types.ts';
import type { Project } from '../../../core/project/types.ts';
import { environmentWorkflowId, planWorkflowId } from '../../../core/workflow-ids.ts';
import type { StateDb } from '../../../db/client.ts';
import { type ExecutionRecord, listExecutions } from '../../../state/executions.ts';
import { getPlan, PLAN_FINAL, type PlanRecord } from '../../../state/plans.ts';
import { startExecutorWorker } from '../../../workers/executor-worker.ts';
import type { RunningWorker } from '../../../workers/running-worker.ts';
import {
  bundleWorkflows,
  startSchedulerWorker,
  type WorkflowBundle,
} from '../../../workers/scheduler-worker.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes.ts';
import { startDevServer } from '../../support/temporal.ts';
import { waitFor } from '../../support/waiting.ts';

/** The identity the apply executor records on each execution. */
export const APPLY_EXECUTOR = 'apply@test';

let bundle: Promise<WorkflowBundle> | undefined;

/** The workflows bundled once per test process. */
function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflows();
  return bundle;
}

export interface PlanInput {
  project: Project;
  environment: string;
  /** the plan's execution time. */
  now: number;
  start?: number;
  end?: number;
}

export interface AppliedPlan {
  planId: string;
  diff: PlanDiff;
  /** the plan's final record. */
  plan: PlanRecord;
  /** the run that records the plan's backfill: the apply workflow's id. */
  runId: string;
  /** the backfill's executions, in the order they started (skipped ones when they were skipped). */
  executions: ExecutionRecord[];
}

export interface PlanStack {
  readonly temporal: TestWorkflowEnvironment;
  readonly db: StateDb;
  /** computes the plan, stores it and queues it on the environment's workflow. */
  submit(input: PlanInput): Promise<SubmittedPlan>;
  /** queues a plan stored earlier (createPendingPlan). */
  queue(planId: string, environment: string): Promise<{ position: number }>;
  /** waits until the plan's record is final and its apply workflow (if it started) has ended. */
  settle(planId: string): Promise<AppliedPlan>;
  /** submits a plan and waits until it is applied; fails with the plan's error otherwise. */
  planAndApply(input: PlanInput): Promise<AppliedPlan>;
  /** stops the apply executor in this process, for a test that runs its own elsewhere. */
  stopApplyExecutor(): Promise<void>;
  stop(): Promise<void>;
}

/** A plan's outcome should be final well within this. */
const SETTLE_TIMEOUT_MS = 90_000;

/**
 * Starts a dev server, the scheduler worker on `db` and an apply executor serving `project`'s
 * gateways (DuckDB files resolve against the project's folder).
 */
export async function startPlanStack(options: {
  db: StateDb;
  project: Project;
  /** SLUICE_JANITOR_GRACE of the scheduler worker (a day when omitted). */
  janitorGraceMs?: number;
}): Promise<PlanStack> {
  const { db, project } = options;
  const temporal = await startDevServer(SLUICE_SEARCH_ATTRIBUTES);
  const workers: RunningWorker[] = [];
  let applyExecutor: RunningWorker | undefined;
  const environments = new Set<string>();
  const stop = async () => {
    // Environment workflows live on; stopping them first keeps them from acting on what tests do next.
    for (const environment of environments) {
      await temporal.client.workflow
        .getHandle(environmentWorkflowId(environment))
        .terminate('test over')
        .catch(() => {});
    }
    for (const worker of workers.reverse()) await worker.stop().catch(() => {});
    await temporal.teardown();
  };
  try {
    workers.push(
      await startSchedulerWorker({
        connection: temporal.nativeConnection,
        db,
        client: temporal.client,
        identity: 'scheduler@test',
        workflowBundle: await workflowBundle(),
        ...(options.janitorGraceMs === undefined ? {} : { janitorGraceMs: options.janitorGraceMs }),
      }),
    );
    applyExecutor = await startExecutorWorker({
      connection: temporal.nativeConnection,
      role: 'apply',
      gateways: project.config.gateways,
      baseDir: project.root,
      identity: APPLY_EXECUTOR,
    });
    workers.push(applyExecutor);
  } catch (error) {
    await stop();
    throw error;
  }

  const settle = async (planId: string): Promise<AppliedPlan> => {
    const plan = await waitFor(
      `plan ${planId} to end`,
      async () => {
        const record = await getPlan(db, planId);
        return record && PLAN_FINAL.has(record.status) ? record : undefined;
      },
      SETTLE_TIMEOUT_MS,
    );
    // The apply workflow ends after the plan's runs are closed too; its failure is the plan's, read
    // from the record. A plan cancelled while queued never started one.
    await temporal.client.workflow
      .getHandle(planWorkflowId(planId))
      .result()
      .catch(() => undefined);
    // ... and its environment takes the next plan only once it has heard of that end.
    await waitFor(
      `environment ${plan.environment} to release plan ${planId}`,
      async () => {
        const state = await environmentState(temporal.client, plan.environment).catch(() => undefined);
        return state && state.applyingPlan !== planId ? true : undefined;
      },
      SETTLE_TIMEOUT_MS,
    );
    const runId = planWorkflowId(planId);
    const when = (e: ExecutionRecord) => e.startedAt ?? e.finishedAt ?? e.queuedAt;
    const executions = (await listExecutions(db, { runId, limit: 500 })).items.sort((a, b) =>
      when(a) < when(b) ? -1 : when(a) > when(b) ? 1 : a.id < b.id ? -1 : 1,
    );
    return { planId, diff: plan.diff as PlanDiff, plan: (await getPlan(db, planId))!, runId, executions };
  };

  /**
   * The stack serves no run executor: an environment is paused once its first plan is queued (plans
   * apply whatever is paused), so a cron tick falling during a test, at midnight for the daily
   * models, starts no scheduled run that would wait for one, and no plan behind it.
   */
  const track = async (environment: string) => {
    if (environments.has(environment)) return;
    environments.add(environment);
    await pauseEnvironment(
      temporal.client,
      environment,
      'plans only: this test stack runs no schedules',
      'tests',
    );
  };

  const submit = async (input: PlanInput): Promise<SubmittedPlan> => {
    const submitted = await submitPlan({
      db,
      client: temporal.client,
      project: input.project,
      environment: input.environment,
      submittedBy: 'tests',
      now: input.now,
      ...(input.start === undefined ? {} : { start: input.start }),
      ...(input.end === undefined ? {} : { end: input.end }),
    });
    if (submitted.position !== undefined) await track(input.environment);
    return submitted;
  };

  return {
    temporal,
    db,
    submit,
    async stopApplyExecutor() {
      const worker = applyExecutor;
      applyExecutor = undefined;
      if (!worker) return;
      workers.splice(workers.indexOf(worker), 1);
      await worker.stop();
    },
    async queue(planId, environment) {
      const queued = await queuePlan({
        db,
        client: temporal.client,
        planId,
        environment,
        submittedBy: 'tests',
      });
      await track(environment);
      return queued;
    },
    settle,
    async planAndApply(input) {
      const submitted = await submit(input);
      if (submitted.position === undefined) {
        throw new Error(
          `plan ${submitted.planId} changes nothing in ${input.environment}: it was not queued`,
        );
      }
      const applied = await settle(submitted.planId);
      if (applied.plan.status !== 'applied') {
        throw new Error(`plan ${submitted.planId} ${applied.plan.status}: ${applied.plan.error}`);
      }
      return applied;
    },
    stop,
  };
}
