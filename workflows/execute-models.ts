/**
 * Executes a run's model work in DAG order with at most `threads` executions at once per gateway.
 * A model whose upstream failed or was skipped is skipped with the reason. Each batch goes through
 * three activities: prepare (scheduler: render, record queued, claim), execute (executor: SQL in one
 * transaction) and complete (scheduler: record the outcome; the interval is recorded complete only
 * after its SQL committed). Shared by the run and apply workflows.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  BatchRef,
  ExecutorActivities,
  ExecutorReport,
  ModelOutcome,
  ModelWork,
  PreparedBatch,
  RunRequest,
  SchedulerActivities,
} from '../activities/contracts.ts';
import { formatInterval, type Interval } from '../core/intervals.ts';

/** Error types an executor raises that retrying cannot fix. */
export const NON_RETRYABLE_ERRORS = [
  'SQL_ERROR',
  'AUDIT_FAILED',
  'GATEWAY_NOT_CONFIGURED',
  'INVALID_REQUEST',
  'MEMORY_LIMIT',
  'CONNECTION_REJECTED',
  'INVALID_GATEWAY_CONFIG',
];

const scheduler = proxyActivities<SchedulerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

function executorFor(taskQueue: string) {
  return proxyActivities<ExecutorActivities>({
    taskQueue,
    startToCloseTimeout: '12 hours',
    heartbeatTimeout: '30 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 5,
      nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
    },
  });
}

/** The message of the failure at the bottom of an activity failure chain. */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure && e.type) return `${e.type}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

function batchRef(req: RunRequest, work: ModelWork, interval: Interval | null): BatchRef {
  return {
    runId: req.runId,
    environment: req.environment,
    model: work.model,
    snapshotId: work.snapshotId,
    interval,
    scheduledAt: req.scheduledAt,
    planId: req.planId,
  };
}

function batchLabel(model: string, interval: Interval | null): string {
  return interval ? `${model} ${formatInterval(interval)}` : `${model} (full rebuild)`;
}

/**
 * Executes one model's batches in order. A success is recorded in the background (`recordings`):
 * the next batch, and the downstream models, start as soon as the executor reports the commit, while
 * the scheduler records it; the run waits for every recording before it ends.
 */
async function executeModel(
  req: RunRequest,
  work: ModelWork,
  recordings: Promise<unknown>[],
  firstPrepared?: Promise<PreparedBatch>,
): Promise<ModelOutcome> {
  const executor = executorFor(req.executorQueue);
  let rowsAffected = 0;
  let batches = 0;
  for (const [index, interval] of work.batches.entries()) {
    const ref = batchRef(req, work, interval);
    const prepared = await (index === 0 && firstPrepared ? firstPrepared : scheduler.prepareBatch(ref));
    if (prepared.alreadyComplete) continue;
    let report: ExecutorReport;
    try {
      report = await executor.executeBatch.executeWithOptions({ summary: batchLabel(work.model, interval) }, [
        prepared,
      ]);
    } catch (err) {
      const cancelled = isCancellation(err);
      const error = cancelled ? 'cancelled' : failureMessage(err);
      await CancellationScope.nonCancellable(() =>
        scheduler.completeBatch({
          ...ref,
          executionId: prepared.executionId,
          status: cancelled ? 'cancelled' : 'failed',
          error,
          attempt: workflowInfo().attempt,
        }),
      );
      if (cancelled) throw err;
      return {
        status: 'failed',
        error: `${batchLabel(work.model, interval)}: ${error}`,
        batches,
        rowsAffected,
        finishedAt: Date.now(),
      };
    }
    recordings.push(
      scheduler.completeBatch({
        ...ref,
        executionId: prepared.executionId,
        status: 'succeeded',
        report,
        attempt: report.attempt,
      }),
    );
    batches++;
    rowsAffected += report.rowsAffected ?? 0;
  }
  return { status: 'succeeded', batches, rowsAffected, finishedAt: Date.now() };
}

/**
 * Runs every model of the request; returns each model's outcome. Cancellation of the calling scope
 * cancels the executions in flight (their statements are cancelled on the warehouse) and marks the
 * models not yet started as cancelled.
 */
export async function executeModels(
  req: RunRequest,
  onModelDone?: (model: string, outcome: ModelOutcome) => Promise<void>,
): Promise<{ outcomes: Record<string, ModelOutcome>; cancelled: boolean }> {
  const outcomes: Record<string, ModelOutcome> = {};
  const byName = new Map(req.work.map((w) => [w.model, w]));
  const waiting = new Set(req.work.map((w) => w.model));
  const active = new Map<string, number>();
  const running = new Set<Promise<void>>();
  const recordings: Promise<unknown>[] = [];
  let changed = false;
  let cancelledWith: unknown;

  // A model's first batch is prepared (rendered, recorded queued, claimed) while its upstream still
  // runs, so the hop from one model to the next is only the executor's.
  const prefetched = new Map<string, Promise<PreparedBatch>>();
  const started = new Set<string>();
  const prefetch = (w: ModelWork) => {
    if (prefetched.has(w.model) || w.batches.length === 0) return;
    const prepared = scheduler.prepareBatch(batchRef(req, w, w.batches[0]!));
    prepared.catch(() => undefined);
    prefetched.set(w.model, prepared);
  };
  /** closes the execution prepared ahead for a model that will not run. */
  const release = (model: string, why: string) => {
    const prepared = prefetched.get(model);
    const w = byName.get(model);
    if (!prepared || !w) return;
    const ref = batchRef(req, w, w.batches[0]!);
    recordings.push(
      prepared.then(
        (p) =>
          p.alreadyComplete
            ? undefined
            : scheduler.completeBatch({
                ...ref,
                executionId: p.executionId,
                status: 'cancelled',
                error: why,
                attempt: 1,
              }),
        () => undefined,
      ),
    );
  };
  const skip = (model: string, reason: string) => {
    outcomes[model] = { status: 'skipped', reason, batches: 0, rowsAffected: 0, finishedAt: Date.now() };
    waiting.delete(model);
    release(model, `skipped: ${reason}`);
  };

  while (waiting.size > 0 || running.size > 0) {
    if (cancelledWith === undefined) {
      for (const w of req.work) {
        if (!waiting.has(w.model)) continue;
        const upstream = w.dependsOn.filter((d) => byName.has(d));
        const broken = upstream.find((d) => outcomes[d] && outcomes[d].status !== 'succeeded');
        if (broken) {
          skip(w.model, `upstream ${broken} ${outcomes[broken]!.status}`);
          continue;
        }
        if (upstream.every((d) => outcomes[d]?.status === 'succeeded' || started.has(d))) prefetch(w);
        if (!upstream.every((d) => outcomes[d]?.status === 'succeeded')) continue;
        const inUse = active.get(w.gateway) ?? 0;
        if (inUse >= req.threads) continue;
        active.set(w.gateway, inUse + 1);
        waiting.delete(w.model);
        started.add(w.model);
        const p: Promise<void> = executeModel(req, w, recordings, prefetched.get(w.model))
          .then(
            (outcome) => {
              outcomes[w.model] = outcome;
            },
            (err) => {
              if (isCancellation(err)) cancelledWith ??= err;
              outcomes[w.model] = {
                status: isCancellation(err) ? 'cancelled' : 'failed',
                error: failureMessage(err),
                batches: 0,
                rowsAffected: 0,
                finishedAt: Date.now(),
              };
            },
          )
          .finally(() => {
            active.set(w.gateway, (active.get(w.gateway) ?? 1) - 1);
            running.delete(p);
            changed = true;
            if (onModelDone) recordings.push(onModelDone(w.model, outcomes[w.model]!));
          });
        running.add(p);
      }
    } else {
      for (const model of waiting) {
        outcomes[model] = {
          status: 'cancelled',
          reason: 'run cancelled',
          batches: 0,
          rowsAffected: 0,
          finishedAt: Date.now(),
        };
        release(model, 'run cancelled');
      }
      waiting.clear();
    }
    if (running.size === 0 && waiting.size > 0 && cancelledWith === undefined) {
      // Nothing runs and nothing can start: only models waiting on a cycle or missing upstream remain.
      for (const model of waiting) skip(model, 'upstream not part of the run');
      break;
    }
    changed = false;
    await CancellationScope.nonCancellable(() => condition(() => changed));
  }
  await CancellationScope.nonCancellable(() => Promise.all(recordings));
  return { outcomes, cancelled: cancelledWith !== undefined };
}
