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
  continueAsNew,
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
import { EXECUTOR_RETRY, type ExecutionCarry, executeModels } from './execute-models.ts';
import { historyOverBudget } from './history-budget.ts';
import { notifyPlanEnded } from './notifications.ts';

export interface ApplyInput {
  planId: string;
  environment: string;
  threads: number;
}

/**
 * What an application whose history grew past its budget carries into its continuation
 * (continue-as-new): the plan's work, and where it stood: the next table to create, or the
 * backfill's progress.
 */
export interface ApplyContinuation {
  work: PlanWork;
  /** tables are still being created, from this group and model on. */
  tablesFrom?: TablePosition;
  /** the backfill is under way (every table created). */
  backfill?: { scheduledAt: number; carry: ExecutionCarry };
}

interface TablePosition {
  group: number;
  model: number;
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

/**
 * `continued`: set in a continuation (continue-as-new once the history grew past its budget), which
 * goes on where the application stood.
 */
export async function applyWorkflow(
  input: ApplyInput,
  continued?: ApplyContinuation,
): Promise<ScheduledModel[]> {
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
  let continuation: ApplyContinuation | undefined;
  try {
    work = continued?.work ?? (await scheduler.beginPlan({ planId, environment }));
    const tablesLeft =
      continued === undefined || continued.tablesFrom !== undefined
        ? await createTables(work, continued?.tablesFrom ?? { group: 0, model: 0 })
        : undefined;
    if (tablesLeft !== undefined) {
      continuation = { work, tablesFrom: tablesLeft };
    } else if (work.backfill.length > 0) {
      const scheduledAt = continued?.backfill?.scheduledAt ?? Date.now();
      const { outcomes, cancelled, continueWith } = await executeModels(
        {
          runId: workflowInfo().workflowId,
          environment,
          trigger: 'plan',
          scheduledAt,
          work: work.backfill,
          threads: input.threads,
          executorQueue: TASK_QUEUES.apply,
          planId,
        },
        undefined,
        continued?.backfill?.carry,
      );
      if (cancelled) throw new CancelledFailure(`plan ${planId} was cancelled during backfill`);
      if (continueWith !== undefined) {
        // the rest of the backfill runs in the continuation, which reports every failure at its end
        continuation = { work, backfill: { scheduledAt, carry: continueWith } };
      } else {
        const failure = backfillFailure(outcomes);
        if (failure) throw ApplicationFailure.nonRetryable(failure, 'BACKFILL_FAILED' satisfies ErrorCode);
      }
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
  if (continuation !== undefined) {
    log.info('plan application continues as new: its history passed its budget', { planId });
    return continueAsNew<typeof applyWorkflow>(input, continuation);
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

/**
 * Creates the plan's tables from `from` on; returns where it stopped when the history passed its
 * budget (the application continues as new from there), undefined once every table exists.
 */
async function createTables(work: PlanWork, from: TablePosition): Promise<TablePosition | undefined> {
  const inChunks = patched('executor-payloads-in-chunks');
  const mayContinue = patched('continue-as-new-when-history-grows');
  for (let group = from.group; group < work.tables.length; group++) {
    const { gateway, models, connection } = work.tables[group]!;
    const first = group === from.group ? from.model : 0;
    for (let start = first; start < models.length; start += TABLES_PER_ACTIVITY) {
      if (mayContinue && start > first && historyOverBudget()) return { group, model: start };
      const chunk = models.slice(start, start + TABLES_PER_ACTIVITY);
      const requests = await scheduler.tableRequests({
        planId: work.planId,
        environment: work.environment,
        gateway,
        models: chunk,
      });
      // large statements split the chunk again, so an executor's payload stays bounded
      let done = start;
      for (const part of inChunks ? chunksUnder(requests, EXECUTOR_LIST_BYTES) : [requests]) {
        await applyExecutor.createPhysicalTables.executeWithOptions(
          {
            summary: `create physical tables ${done + 1}-${done + part.length} of ${models.length} on ${gateway}`,
          },
          [{ gateway, requests: part, ...(connection === undefined ? {} : { connection }) }],
        );
        done += part.length;
      }
    }
  }
  return undefined;
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
