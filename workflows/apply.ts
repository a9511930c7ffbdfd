/**
 * The apply workflow: applies one plan to one environment, as a child of the environment workflow
 * (which guarantees plans apply one at a time, in submission order). Creates the physical tables,
 * backfills the new snapshots in DAG order on the apply executors (paused models included), then
 * swaps the environment's views and records its new snapshot map. A failed backfill leaves the
 * environment exactly as it was. Each executor step carries its gateway's sealed scheduler-managed
 * connection when the plan's work has one.
 */
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ExecutorActivities, SchedulerActivities } from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { ScheduledModel } from '../core/schedule.ts';
import { executeModels, failureMessage, NON_RETRYABLE_ERRORS } from './execute-models.ts';

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
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

export async function applyWorkflow(input: ApplyInput): Promise<ScheduledModel[]> {
  const { planId, environment } = input;
  const work = await scheduler.beginPlan({ planId, environment });
  try {
    for (const { gateway, requests, connection } of work.tables) {
      if (requests.length === 0) continue;
      await applyExecutor.createPhysicalTables.executeWithOptions(
        { summary: `create ${requests.length} physical table(s) on ${gateway}` },
        [{ gateway, requests, ...(connection === undefined ? {} : { connection }) }],
      );
    }
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
      if (cancelled)
        throw ApplicationFailure.nonRetryable(
          `plan ${planId} was cancelled during backfill`,
          'PLAN_CANCELLED',
        );
      const failed = Object.entries(outcomes).filter(([, o]) => o.status !== 'succeeded');
      if (failed.length > 0) {
        const lines = failed.map(([model, o]) => `${model}: ${o.error ?? o.reason ?? o.status}`);
        throw ApplicationFailure.nonRetryable(`backfill failed; ${lines.join('; ')}`, 'BACKFILL_FAILED');
      }
    }
    for (const { gateway, entries, connection } of work.views) {
      if (entries.length === 0) continue;
      await applyExecutor.promoteViews.executeWithOptions(
        { summary: `point ${entries.length} view(s) of ${environment} at the plan's snapshots` },
        [{ gateway, environment, entries, ...(connection === undefined ? {} : { connection }) }],
      );
    }
    for (const { gateway, models, connection } of work.removed) {
      if (models.length === 0) continue;
      await applyExecutor.dropViews.executeWithOptions(
        { summary: `drop ${models.length} removed view(s) from ${environment}` },
        [{ gateway, environment, models, ...(connection === undefined ? {} : { connection }) }],
      );
    }
  } catch (err) {
    const error = err instanceof ApplicationFailure ? err.message : failureMessage(err);
    await scheduler.finishPlan({ planId, environment, status: 'failed', error });
    throw err instanceof ApplicationFailure ? err : ApplicationFailure.nonRetryable(error, 'PLAN_FAILED');
  }
  return scheduler.finishPlan({ planId, environment, status: 'applied' });
}
