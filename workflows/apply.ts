/**
 * The apply workflow: applies one plan to one environment, as a child of the environment workflow
 * (which guarantees plans apply one at a time, in submission order). Creates the physical tables,
 * backfills the new snapshots in DAG order on the apply executors (paused models included), then
 * swaps the environment's views and records its new snapshot map. Each executor step carries its
 * gateway's sealed scheduler-managed connection when the plan's work has one.
 *
 * It always ends with the plan's record final: `applied`, `failed` with each failed model's error and
 * each skipped model's reason, or `cancelled`. A failed or cancelled application leaves the
 * environment exactly as it was: its views and snapshot map change only after every batch
 * succeeded, and once the views begin to change the swap is finished whatever is asked.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  ExecutorActivities,
  ModelOutcome,
  PlanWork,
  SchedulerActivities,
} from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { ErrorCode } from '../core/errors.ts';
import { chunksUnder, EXECUTOR_LIST_BYTES } from '../core/payload-chunks.ts';
import type { ScheduledModel } from '../core/schedule.ts';
import { failureMessage } from './activity-failure.ts';
import { keepPlanArtifacts } from './artifacts.ts';
import { EXECUTOR_RETRY, executeModels } from './execute-models.ts';
import { notifyPlanEnded } from './notifications.ts';

export interface ApplyInput {
  planId: string;
  environment: string;
  threads: number;
}

const scheduler = proxyActivities<SchedulerActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const applyExecutor = proxyActivities<ExecutorActivities>({
  taskQueue: TASK_QUEUES.apply,
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: EXECUTOR_RETRY,
});

/** The backfill's failure, model by model: failed ones with their error, skipped ones with the reason. */
export function backfillFailure(outcomes: Record<string, ModelOutcome>): string | null {
  const lines = Object.entries(outcomes)
    .filter(([, o]) => o.status !== 'succeeded')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([model, o]) => `${model} ${o.status}: ${o.error ?? o.reason ?? o.status}`);
  return lines.length > 0 ? `backfill failed; ${lines.join('; ')}` : null;
}

export async function applyWorkflow(input: ApplyInput): Promise<ScheduledModel[]> {
  const { planId, environment } = input;
  const finish = (status: 'applied' | 'failed' | 'cancelled', error?: string) =>
    CancellationScope.nonCancellable(async () => {
      const models = await scheduler.finishPlan({
        planId,
        environment,
        status,
        ...(error === undefined ? {} : { error }),
      });
      await notifyPlanEnded({
        planId,
        environment,
        status,
        at: Date.now(),
        ...(error === undefined ? {} : { error }),
      });
      return models;
    }).then(async (schedule) => {
      await keepPlanArtifacts(planId);
      return schedule;
    });
  let work: PlanWork;
  try {
    work = await scheduler.beginPlan({ planId, environment });
    await createTables(work);
    if (work.backfill.length > 0) {
      const { outcomes, cancelled } = await executeModels({
        runId: workflowInfo().workflowId,
        environment,
        trigger: 'plan',
        scheduledAt: Date.now(),
        work: work.backfill,
        threads: input.threads,
        executorQueue: TASK_QUEUES.apply,
        planId,
      });
      if (cancelled) throw new CancelledFailure(`plan ${planId} was cancelled during backfill`);
      const failure = backfillFailure(outcomes);
      if (failure) throw ApplicationFailure.nonRetryable(failure, 'BACKFILL_FAILED' satisfies ErrorCode);
    }
  } catch (err) {
    const cancelled = isCancellation(err);
    const error = err instanceof ApplicationFailure ? err.message : failureMessage(err);
    // A plan refused because it already ended keeps its outcome: the refusal is what is reported.
    await finish(
      cancelled ? 'cancelled' : 'failed',
      cancelled ? `plan ${planId} was cancelled before its views changed` : error,
    ).catch((finishErr) =>
      log.warn('the plan could not be recorded as ended', { planId, error: failureMessage(finishErr) }),
    );
    // A cancelled application ends as cancelled in Temporal too.
    if (cancelled) throw err;
    throw err instanceof ApplicationFailure
      ? err
      : ApplicationFailure.nonRetryable(error, 'PLAN_FAILED' satisfies ErrorCode);
  }
  // From here the environment changes: the swap runs to its end even when cancellation is asked.
  try {
    await CancellationScope.nonCancellable(() => swapViews(work, environment));
  } catch (err) {
    const error = failureMessage(err);
    await finish('failed', `swapping the views of ${environment} failed: ${error}`);
    throw ApplicationFailure.nonRetryable(error, 'PLAN_FAILED' satisfies ErrorCode);
  }
  return finish('applied');
}

/** Tables created per executor activity: their statements travel in one payload. */
export const TABLES_PER_ACTIVITY = 50;

async function createTables(work: PlanWork): Promise<void> {
  const inChunks = patched('executor-payloads-in-chunks');
  for (const { gateway, models, connection } of work.tables) {
    for (let from = 0; from < models.length; from += TABLES_PER_ACTIVITY) {
      const chunk = models.slice(from, from + TABLES_PER_ACTIVITY);
      const requests = await scheduler.tableRequests({
        planId: work.planId,
        environment: work.environment,
        gateway,
        models: chunk,
      });
      // large statements split the chunk again, so an executor's payload stays bounded
      let first = from;
      for (const part of inChunks ? chunksUnder(requests, EXECUTOR_LIST_BYTES) : [requests]) {
        await applyExecutor.createPhysicalTables.executeWithOptions(
          {
            summary: `create physical tables ${first + 1}-${first + part.length} of ${models.length} on ${gateway}`,
          },
          [{ gateway, requests: part, ...(connection === undefined ? {} : { connection }) }],
        );
        first += part.length;
      }
    }
  }
}

async function swapViews(work: PlanWork, environment: string): Promise<void> {
  // thousands of views go in several activities, each payload bounded (core/payload-chunks.ts)
  const inChunks = patched('executor-payloads-in-chunks');
  const chunks = <T>(items: T[]) => (inChunks ? chunksUnder(items, EXECUTOR_LIST_BYTES) : [items]);
  for (const { gateway, entries, connection } of work.views) {
    if (entries.length === 0) continue;
    for (const part of chunks(entries)) {
      await applyExecutor.promoteViews.executeWithOptions(
        { summary: `point ${part.length} view(s) of ${environment} at the plan's snapshots` },
        [{ gateway, environment, entries: part, ...(connection === undefined ? {} : { connection }) }],
      );
    }
  }
  for (const { gateway, models, connection } of work.removed) {
    if (models.length === 0) continue;
    for (const part of chunks(models)) {
      await applyExecutor.dropViews.executeWithOptions(
        { summary: `drop ${part.length} removed view(s) from ${environment}` },
        [{ gateway, environment, models: part, ...(connection === undefined ? {} : { connection }) }],
      );
    }
  }
}
