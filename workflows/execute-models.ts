/**
 * Executes a run's model work in DAG order with at most `threads` executions at once per gateway.
 * A model whose upstream failed or was skipped is skipped with the reason; which model starts, is
 * skipped or is prepared ahead is decided by core/execution/run-order.ts. Each batch goes through
 * three activities: prepare (scheduler: render, record queued, claim), execute (executor: SQL in one
 * transaction) and complete (scheduler: record the outcome; the interval is recorded complete only
 * after its SQL committed). Shared by the run and apply workflows.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  isCancellation,
  proxyActivities,
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
import { NON_RETRYABLE_CODES } from '../core/errors.ts';
import { nextMoves, STRANDED_REASON } from '../core/execution/run-order.ts';
import { formatInterval, type Interval } from '../core/intervals.ts';

/** Error types an executor raises that retrying cannot fix: the one list in core/errors.ts. */
export const NON_RETRYABLE_ERRORS = NON_RETRYABLE_CODES;

/** Attempts of an executor activity before its failure is final. */
export const EXECUTOR_MAX_ATTEMPTS = 5;

const scheduler = proxyActivities<SchedulerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

function executorFor(taskQueue: string) {
  return proxyActivities<ExecutorActivities>({
    taskQueue,
    startToCloseTimeout: '12 hours',
    heartbeatTimeout: '30 seconds',
    // A cancelled batch ends only once its executor stopped the statement and rolled back (or its
    // heartbeat timed out), so a run or plan recorded cancelled has nothing half-written behind it.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: EXECUTOR_MAX_ATTEMPTS,
      nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
    },
  });
}

/**
 * How many attempts Temporal made of a failed executor activity: the executor says which attempt
 * failed; an attempt that never reported (its executor died, its heartbeat timed out) is known only
 * when the attempts ran out.
 */
export function failedAttempts(err: unknown): number {
  const reported = failureDetail(err);
  if (typeof reported?.attempt === 'number') return reported.attempt;
  if (err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED') {
    return EXECUTOR_MAX_ATTEMPTS;
  }
  return 1;
}

/** What the executor said of the failed attempt: its number, identity and start, when it said. */
function failureDetail(
  err: unknown,
): { attempt?: unknown; executor?: unknown; startedAt?: unknown } | undefined {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e instanceof ApplicationFailure
    ? (e.details?.[0] as Record<string, unknown> | undefined)
    : undefined;
}

/** The executor and start of the failed attempt, when the executor reported them. */
export function failedOn(err: unknown): { executor: string; startedAt: number } | undefined {
  const detail = failureDetail(err);
  return typeof detail?.executor === 'string' && typeof detail.startedAt === 'number'
    ? { executor: detail.executor, startedAt: detail.startedAt }
    : undefined;
}

function withFailedOn(err: unknown): { failedOn?: { executor: string; startedAt: number } } {
  const where = failedOn(err);
  return where ? { failedOn: where } : {};
}

/** The message of the failure at the bottom of an activity's or a child workflow's failure chain. */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
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
 * the scheduler records it; the run waits for every recording before it ends. A failed batch ends
 * the model: its later batches wait for the next run, in order.
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
  let longestBatchMs = 0;
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
          attempt: failedAttempts(err),
          ...(cancelled ? {} : withFailedOn(err)),
        }),
      );
      if (cancelled) throw err;
      return {
        status: 'failed',
        error: `${batchLabel(work.model, interval)}: ${error}`,
        batches,
        rowsAffected,
        finishedAt: Date.now(),
        longestBatchMs,
      };
    }
    recordings.push(
      CancellationScope.nonCancellable(() =>
        scheduler.completeBatch({
          ...ref,
          executionId: prepared.executionId,
          status: 'succeeded',
          report,
          attempt: report.attempt,
        }),
      ),
    );
    batches++;
    rowsAffected += report.rowsAffected ?? 0;
    longestBatchMs = Math.max(longestBatchMs, report.finishedAt - report.startedAt);
  }
  return { status: 'succeeded', batches, rowsAffected, finishedAt: Date.now(), longestBatchMs };
}

/**
 * Runs every model of the request; returns each model's outcome once every model has one. It always
 * ends: a model whose upstream failed, was skipped or cancelled is skipped with the reason, and a
 * model that can never start (its upstream is not part of the run) too. Cancellation of the calling
 * scope cancels the executions in flight (their statements are cancelled on the warehouse) and marks
 * the models not yet started as cancelled.
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
  const release = (model: string, outcome: ModelOutcome) => {
    const prepared = prefetched.get(model);
    const w = byName.get(model);
    if (!prepared || !w) return;
    const ref = batchRef(req, w, w.batches[0]!);
    recordings.push(
      prepared.then(
        (p) =>
          p.alreadyComplete
            ? undefined
            : CancellationScope.nonCancellable(() =>
                scheduler.completeBatch({
                  ...ref,
                  executionId: p.executionId,
                  status: outcome.status === 'skipped' ? 'skipped' : 'cancelled',
                  ...(outcome.status === 'skipped' ? { reason: outcome.reason } : { error: outcome.reason }),
                  attempt: 0,
                }),
              ),
        () => undefined,
      ),
    );
  };
  const settle = (model: string, status: 'skipped' | 'cancelled', reason: string) => {
    const outcome: ModelOutcome = { status, reason, batches: 0, rowsAffected: 0, finishedAt: Date.now() };
    outcomes[model] = outcome;
    waiting.delete(model);
    release(model, outcome);
    if (onModelDone) recordings.push(onModelDone(model, outcome));
  };
  const start = (w: ModelWork) => {
    active.set(w.gateway, (active.get(w.gateway) ?? 0) + 1);
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
  };

  for (;;) {
    if (cancelledWith === undefined) {
      const finished = Object.fromEntries(Object.entries(outcomes).map(([model, o]) => [model, o.status]));
      for (const move of nextMoves({
        work: req.work,
        waiting,
        started,
        finished,
        active,
        threads: req.threads,
      })) {
        if (move.kind === 'skip') settle(move.model, 'skipped', move.reason);
        else if (move.kind === 'prefetch') prefetch(byName.get(move.model)!);
        else start(byName.get(move.model)!);
      }
    } else {
      for (const model of [...waiting]) settle(model, 'cancelled', 'run cancelled');
    }
    if (running.size === 0) {
      // Nothing runs and nothing can start: only models waiting on a cycle or missing upstream remain.
      for (const model of [...waiting]) settle(model, 'skipped', STRANDED_REASON);
      break;
    }
    changed = false;
    if (cancelledWith === undefined) {
      try {
        await condition(() => changed);
      } catch (err) {
        if (!isCancellation(err)) throw err;
        // The executions in flight are cancelled with the scope; wait for them to report it.
        cancelledWith = err;
      }
    } else {
      await CancellationScope.nonCancellable(() => condition(() => changed));
    }
  }
  await CancellationScope.nonCancellable(() => Promise.all(recordings));
  return { outcomes, cancelled: cancelledWith !== undefined };
}
