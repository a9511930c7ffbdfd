/**
 * Executes a run's model work in segments, at most `threads` executions at once per gateway. Which
 * model goes into the next segment, is skipped (its upstream failed or was skipped) or succeeds
 * with nothing left to run is decided by core/execution/run-order.ts. A segment is three
 * activities, however many batches it holds: prepare (scheduler: render, record queued and claim
 * every batch), execute (one executor activity runs the batches in dependency order) and complete
 * (scheduler: record every outcome; an interval is recorded complete only after its SQL
 * committed). So a run's history grows with its segments, not its models, and a model's downstream
 * starts on the executor the moment the model commits. Shared by the run and apply workflows.
 */
import {
  ActivityCancellationType,
  type ActivityOptions,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type {
  BatchCompletion,
  BatchResult,
  ExecutorActivities,
  ModelOutcome,
  ModelWork,
  PreparedBatch,
  RunRequest,
  SchedulerActivities,
  SegmentReport,
} from '../activities/contracts.ts';
import { NON_RETRYABLE_CODES } from '../core/errors.ts';
import { nextMoves, runOrder, type SegmentItem, STRANDED_REASON } from '../core/execution/run-order.ts';
import { formatInterval, type Interval } from '../core/intervals.ts';
import {
  EXECUTOR_MAX_ATTEMPTS,
  failedAttempts,
  failedOn,
  failureMessage,
  segmentResultsOf,
  segmentStoppedAt,
} from './activity-failure.ts';
import { historyOverBudget } from './history-budget.ts';
import { segmentActivityOptions } from './scheduler-activity-options.ts';
import { segmentProgressSignal } from './signals.ts';

/** Error types an executor raises that retrying cannot fix: the one list in core/errors.ts. */
export const NON_RETRYABLE_ERRORS = NON_RETRYABLE_CODES;

/** How every executor activity is retried: a few times, backing off, never for a failure retrying cannot fix. */
export const EXECUTOR_RETRY: ActivityOptions['retry'] = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: EXECUTOR_MAX_ATTEMPTS,
  nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
};

/** The most batches one executor activity runs. */
export const SEGMENT_MAX_BATCHES = 200;

/**
 * The most bytes of rendered requests one segment carries, so no activity input or heartbeat comes
 * near Temporal's payload limits (2 MB refused, 256 KB the run keeps to).
 */
export const SEGMENT_MAX_BYTES = 192 * 1024;

/** The scheduler's activities for a segment of `batches` batches. */
function schedulerFor(batches: number) {
  return proxyActivities<SchedulerActivities>(segmentActivityOptions(batches));
}

function executorFor(taskQueue: string) {
  return proxyActivities<ExecutorActivities>({
    taskQueue,
    startToCloseTimeout: '12 hours',
    heartbeatTimeout: '30 seconds',
    // A cancelled segment ends only once its executor stopped the statements and rolled back (or its
    // heartbeat timed out), so a run or plan recorded cancelled has nothing half-written behind it.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: EXECUTOR_RETRY,
  });
}

function batchLabel(model: string, interval: Interval | null): string {
  return interval ? `${model} ${formatInterval(interval)}` : `${model} (full rebuild)`;
}

/** How the Temporal Web UI names a segment: its size and its first models. */
function segmentSummary(id: string, batches: readonly PreparedBatch[]): string {
  const models = [...new Set(batches.map((b) => b.model))];
  const shown = models.slice(0, 5).join(', ');
  const more = models.length > 5 ? ` and ${models.length - 5} more` : '';
  return `${id}: ${batches.length} batch(es) of ${models.length} model(s): ${shown}${more}`;
}

/** A model's progress through the run. */
interface ModelProgress {
  work: ModelWork;
  /** batches finished (succeeded or found complete). */
  done: number;
  batches: number;
  rowsAffected: number;
  longestBatchMs: number;
}

/**
 * Where a run stood when its history grew past its budget (workflows/history-budget.ts) with no
 * segment in flight: what the workflow carries into its continuation (continue-as-new), so the
 * next history goes on where this one stopped.
 */
export interface ExecutionCarry {
  outcomes: Record<string, ModelOutcome>;
  progress: Record<string, Omit<ModelProgress, 'work'>>;
  firstStatementAt?: number;
  segments: number;
}

export interface ExecutionResult {
  outcomes: Record<string, ModelOutcome>;
  cancelled: boolean;
  firstStatementAt?: number;
  /**
   * set when the history grew past its budget: no segment is in flight, every outcome so far is
   * recorded and reported, and the caller continues as new with it to run the rest.
   */
  continueWith?: ExecutionCarry;
}

/**
 * Runs every model of the request; returns each model's outcome once every model has one. It always
 * ends: a model whose upstream failed, was skipped or cancelled is skipped with the reason, and a
 * model that can never start (its upstream is not part of the run) too. Cancellation of the calling
 * scope cancels the segments in flight (their statements are cancelled on the warehouse) and marks
 * the models not finished as cancelled. `onModelsDone` hears the models finished since it was last
 * called, at most once per segment.
 */
export async function executeModels(
  req: RunRequest,
  onModelsDone?: (outcomes: Record<string, ModelOutcome>) => Promise<void>,
  carried?: ExecutionCarry,
): Promise<ExecutionResult> {
  const executor = executorFor(req.executorQueue);
  const outcomes: Record<string, ModelOutcome> = { ...carried?.outcomes };
  /** each finished model's status, kept with `outcomes` for the run order to read. */
  const statuses: Record<string, ModelOutcome['status']> = Object.fromEntries(
    Object.entries(outcomes).map(([model, o]) => [model, o.status]),
  );
  const progress = new Map<string, ModelProgress>(
    req.work.map((work) => [
      work.model,
      {
        work,
        ...(carried?.progress[work.model] ?? { done: 0, batches: 0, rowsAffected: 0, longestBatchMs: 0 }),
      },
    ]),
  );
  /** batches each model has done (its progress's `done`), for the run order to read. */
  const done = new Map([...progress].map(([model, p]) => [model, p.done]));
  // A history that grows past its budget stops starting segments, lets those in flight end and
  // continues as new. Histories from before this marker never stopped, and replay so.
  const mayContinue = patched('continue-as-new-when-history-grows');
  const ordered = req.work.map((w) => ({
    model: w.model,
    gateway: w.gateway,
    dependsOn: w.dependsOn,
    batches: w.batches.length,
  }));
  // the run's dependency order, worked out once for every decision of the run
  const order = runOrder(ordered);
  const busy = new Set<string>();
  const inSegment = new Set<string>();
  const running = new Set<Promise<void>>();
  const recordings: Promise<unknown>[] = [];
  /** executions prepared and not recorded ended yet, by model. */
  const open = new Map<string, Map<string, Opened>>();
  let unreported: Record<string, ModelOutcome> = {};
  let changed = false;
  let cancelledWith: unknown;
  let segments = carried?.segments ?? 0;
  /** when the first batch the executors reported began: its statement reached the warehouse. */
  let firstStatementAt: number | undefined = carried?.firstStatementAt;
  /** segments were held back because the history passed its budget: the run continues as new. */
  let heldBack = false;

  const record = (completions: BatchCompletion[]) => {
    if (completions.length === 0) return;
    recordings.push(
      CancellationScope.nonCancellable(() => schedulerFor(completions.length).completeSegment(completions)),
    );
  };

  /** Ends a model; the batches it had prepared and never ran are closed with it. */
  const finish = (model: string, outcome: ModelOutcome, closing: Omit<BatchCompletion, keyof Opened>) => {
    outcomes[model] = outcome;
    statuses[model] = outcome.status;
    unreported[model] = outcome;
    const left = open.get(model);
    open.delete(model);
    if (left) record([...left.values()].map((opened) => ({ ...opened, ...closing })));
  };
  const settle = (model: string, status: 'skipped' | 'cancelled', reason: string) =>
    finish(
      model,
      { status, reason, batches: 0, rowsAffected: 0, finishedAt: Date.now() },
      status === 'skipped' ? { status, reason, attempt: 0 } : { status, error: reason, attempt: 0 },
    );
  const succeed = (model: string) => {
    const p = progress.get(model)!;
    finish(
      model,
      {
        status: 'succeeded',
        batches: p.batches,
        rowsAffected: p.rowsAffected,
        finishedAt: Date.now(),
        longestBatchMs: p.longestBatchMs,
      },
      { status: 'skipped', reason: 'the model succeeded without it', attempt: 0 },
    );
  };
  const fail = (model: string, error: string, closing: Omit<BatchCompletion, keyof Opened>) => {
    const p = progress.get(model)!;
    finish(
      model,
      {
        status: 'failed',
        error,
        batches: p.batches,
        rowsAffected: p.rowsAffected,
        finishedAt: Date.now(),
        longestBatchMs: p.longestBatchMs,
      },
      closing,
    );
  };

  /** Takes in what the executor reported: successes move their models on, failures end them. */
  const apply = (prepared: readonly PreparedBatch[], results: readonly BatchResult[]) => {
    const byId = new Map(results.map((r) => [r.executionId, r]));
    const completions: BatchCompletion[] = [];
    for (const batch of prepared) {
      const result = byId.get(batch.executionId);
      const opened = open.get(batch.model)?.get(batch.executionId);
      if (!result || !opened || outcomes[batch.model]) continue;
      const began = result.status === 'succeeded' ? result.report.startedAt : result.startedAt;
      firstStatementAt = Math.min(firstStatementAt ?? began, began);
      open.get(batch.model)!.delete(batch.executionId);
      const p = progress.get(batch.model)!;
      if (result.status === 'succeeded') {
        const { report } = result;
        completions.push({ ...opened, status: 'succeeded', report, attempt: report.attempt });
        p.done++;
        done.set(batch.model, p.done);
        p.batches++;
        p.rowsAffected += report.rowsAffected ?? 0;
        p.longestBatchMs = Math.max(p.longestBatchMs, report.finishedAt - report.startedAt);
        continue;
      }
      const error = `${result.type}: ${result.message}`;
      completions.push({
        ...opened,
        status: 'failed',
        error,
        attempt: result.attempt,
        failedOn: { executor: result.executor, startedAt: result.startedAt },
      });
      // A failed batch ends the model: its later batches wait for the next run, in order.
      fail(batch.model, `${batchLabel(batch.model, opened.interval)}: ${error}`, {
        status: 'skipped',
        reason: `${batchLabel(batch.model, opened.interval)} failed`,
        attempt: 0,
      });
    }
    record(completions);
  };

  /** Prepares and executes one segment; its models are back with the run order when it ends. */
  const runSegment = async (gateway: string, items: SegmentItem[]) => {
    const segmentId = `${req.runId}:segment-${++segments}`;
    const refs = items.map(({ model, batch }) => {
      const w = progress.get(model)!.work;
      return { model, snapshotId: w.snapshotId, interval: w.batches[batch] ?? null };
    });
    // Not cancellable: what the scheduler records queued must be known, to be closed.
    const prepared = await CancellationScope.nonCancellable(() =>
      schedulerFor(refs.length).prepareSegment({
        runId: req.runId,
        environment: req.environment,
        scheduledAt: req.scheduledAt,
        ...(req.planId === undefined ? {} : { planId: req.planId }),
        gateway,
        items: refs,
        maxBytes: SEGMENT_MAX_BYTES,
      }),
    ).catch((err: unknown) => {
      // The first batch could not be prepared (it does not render, or cannot be claimed).
      if (outcomes[items[0]!.model] === undefined) {
        fail(items[0]!.model, `${batchLabel(items[0]!.model, refs[0]!.interval)}: ${failureMessage(err)}`, {
          status: 'cancelled',
          error: 'not prepared',
          attempt: 0,
        });
      }
      return undefined;
    });
    if (!prepared) return;
    if (prepared.batches.length === 0) {
      fail(
        items[0]!.model,
        `${batchLabel(items[0]!.model, refs[0]!.interval)}: the scheduler prepared none of it`,
        {
          status: 'cancelled',
          error: 'not prepared',
          attempt: 0,
        },
      );
      return;
    }
    for (const [index, batch] of prepared.batches.entries()) {
      const ref = refs[index]!;
      const opened: Opened = {
        executionId: batch.executionId,
        runId: req.runId,
        environment: req.environment,
        model: batch.model,
        snapshotId: ref.snapshotId,
        interval: ref.interval,
      };
      if (!open.has(batch.model)) open.set(batch.model, new Map());
      open.get(batch.model)!.set(batch.executionId, opened);
    }
    // Another run completed these intervals meanwhile: nothing to execute, nothing to record.
    const complete = prepared.batches.filter((b) => b.alreadyComplete);
    for (const batch of complete) {
      open.get(batch.model)?.delete(batch.executionId);
      const p = progress.get(batch.model)!;
      p.done++;
      done.set(batch.model, p.done);
    }
    const batches = prepared.batches.filter((b) => !b.alreadyComplete);
    if (batches.length === 0 || cancelledWith !== undefined) return;
    const members = new Set(batches.map((b) => b.model));
    let report: SegmentReport;
    live.set(segmentId, batches);
    try {
      report = await executor.executeSegment.executeWithOptions(
        { summary: segmentSummary(segmentId, batches) },
        [
          {
            segmentId,
            gateway,
            ...(prepared.connection === undefined ? {} : { connection: prepared.connection }),
            threads: req.threads,
            batches: batches.map((b) => ({
              ...b,
              dependsOn: progress.get(b.model)!.work.dependsOn.filter((d) => members.has(d)),
            })),
          },
        ],
      );
    } catch (err) {
      live.delete(segmentId);
      apply(batches, segmentResultsOf(err));
      const cancelled = isCancellation(err);
      if (cancelled) cancelledWith ??= err;
      const where = failedOn(err);
      // The batches it stopped at fail; the others go back to the run's order (their upstream may
      // be among the failed). When it did not say where it stopped, the whole segment failed.
      const stoppedAt = new Set(segmentStoppedAt(err));
      const unfinished = batches.filter(
        (b) => open.get(b.model)?.has(b.executionId) === true && outcomes[b.model] === undefined,
      );
      const named = unfinished.filter((b) => stoppedAt.has(b.executionId));
      for (const batch of cancelled ? unfinished : named.length > 0 ? named : unfinished) {
        const opened = open.get(batch.model)?.get(batch.executionId);
        if (!opened || outcomes[batch.model]) continue;
        if (cancelled) {
          settle(batch.model, 'cancelled', 'run cancelled');
          continue;
        }
        const error = failureMessage(err);
        open.get(batch.model)!.delete(batch.executionId);
        record([
          {
            ...opened,
            status: 'failed',
            error,
            attempt: failedAttempts(err),
            ...(where ? { failedOn: where } : {}),
          },
        ]);
        fail(batch.model, `${batchLabel(batch.model, opened.interval)}: ${error}`, {
          status: 'skipped',
          reason: `${batchLabel(batch.model, opened.interval)} failed`,
          attempt: 0,
        });
      }
      return;
    }
    live.delete(segmentId);
    apply(batches, report.results);
    if (report.results.length === 0) {
      // An executor that ends a segment without running any of it would be asked again forever.
      for (const model of members) {
        if (outcomes[model] === undefined) {
          fail(model, `${segmentId}: the executor ran none of its batches`, {
            status: 'cancelled',
            error: 'not run',
            attempt: 0,
          });
        }
      }
    }
  };

  const start = (gateway: string, items: SegmentItem[]) => {
    busy.add(gateway);
    for (const { model } of items) inSegment.add(model);
    const p: Promise<void> = runSegment(gateway, items).finally(() => {
      busy.delete(gateway);
      for (const { model } of items) inSegment.delete(model);
      running.delete(p);
      changed = true;
    });
    running.add(p);
  };

  // The executor of a running segment tells which batches ended, so the models done early end now.
  const live = new Map<string, readonly PreparedBatch[]>();
  setHandler(segmentProgressSignal, (segmentId, results) => {
    const batches = live.get(segmentId);
    if (!batches || !Array.isArray(results)) return;
    apply(batches, results);
    changed = true;
  });

  // The environment hears of finished models only once their completions are recorded: a run it
  // starts on them at once (a triggered run that waited for them) then finds their intervals done.
  // Histories from before this marker sent the report at once, and replay so.
  const afterRecorded = patched('models-done-after-recorded');
  const report = () => {
    if (!onModelsDone || Object.keys(unreported).length === 0) return;
    const finished = unreported;
    const recorded = [...recordings];
    recordings.push(
      afterRecorded
        ? Promise.all(recorded).then(
            () => onModelsDone(finished),
            () => onModelsDone(finished),
          )
        : onModelsDone(finished),
    );
    unreported = {};
  };

  for (;;) {
    const draining = mayContinue && historyOverBudget();
    heldBack = false;
    const moves = nextMoves(
      { work: ordered, done, finished: statuses, busy, maxBatches: SEGMENT_MAX_BATCHES },
      order,
    );
    for (const move of moves) {
      if (move.kind === 'skip') settle(move.model, 'skipped', move.reason);
      else if (move.kind === 'succeed') succeed(move.model);
      // once cancelled, what finished still ends as it did, but nothing new starts
      else if (cancelledWith !== undefined) continue;
      else if (draining) heldBack = true;
      else start(move.gateway, move.items);
    }
    if (cancelledWith !== undefined) {
      for (const { model } of ordered) {
        if (outcomes[model] === undefined && !inSegment.has(model))
          settle(model, 'cancelled', 'run cancelled');
      }
    }
    if (running.size === 0 && heldBack && cancelledWith === undefined) {
      // the history is full: what is left runs in the workflow's continuation
      report();
      break;
    }
    if (running.size === 0) {
      // Nothing runs and nothing can start: only models waiting on a cycle or missing upstream remain.
      for (const { model } of ordered) {
        if (outcomes[model] === undefined) settle(model, 'skipped', STRANDED_REASON);
      }
      report();
      break;
    }
    report();
    changed = false;
    if (cancelledWith === undefined) {
      try {
        await condition(() => changed);
      } catch (err) {
        if (!isCancellation(err)) throw err;
        // The segments in flight are cancelled with the scope; wait for them to report it.
        cancelledWith = err;
      }
    } else {
      await CancellationScope.nonCancellable(() => condition(() => changed));
    }
  }
  await CancellationScope.nonCancellable(() => Promise.all(recordings));
  const continuing = heldBack && cancelledWith === undefined;
  return {
    outcomes,
    cancelled: cancelledWith !== undefined,
    ...(firstStatementAt === undefined ? {} : { firstStatementAt }),
    ...(continuing
      ? {
          continueWith: {
            outcomes,
            progress: Object.fromEntries(
              [...progress].map(([model, { work: _work, ...rest }]) => [model, rest]),
            ),
            ...(firstStatementAt === undefined ? {} : { firstStatementAt }),
            segments,
          },
        }
      : {}),
  };
}

/** What identifies a prepared execution in its completion. */
type Opened = Pick<
  BatchCompletion,
  'executionId' | 'runId' | 'environment' | 'model' | 'snapshotId' | 'interval'
>;
