/**
 * The executeSegment activity around runSegment (activities/execution/run-segment.ts): it checks
 * the segment, resumes after the batches a previous attempt reported in its heartbeats, heartbeats
 * the progress as batches start and end (and periodically, so a dead executor is noticed), and
 * turns errors into Temporal failures (failure.ts).
 *
 * A batch failure retrying cannot fix becomes a `failed` result and the segment goes on. A
 * retryable one fails the activity once the running batches have ended, with the progress in the
 * failure's first detail, so the retry resumes where this attempt stopped. Errors of the whole
 * segment (a malformed input, a gateway the executor cannot open) fail the activity non-retryably.
 *
 * The production executor (index.ts) and the workflow tests' fake executor both call this with
 * their own `runBatch`, so they share every rule.
 */

import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { BatchResult, ExecutorReport, SegmentReport, SegmentWork } from '../contracts.ts';
import { type RunProgress, runSegment, SegmentStoppedError } from '../execution/run-segment.ts';
import { EXECUTOR_FAILURE, type FailedAttempt, toActivityFailure } from './failure.ts';
import { withHeartbeat } from './heartbeat.ts';
import {
  type CheckedBatch,
  readResumedResults,
  readSegmentWork,
  type SegmentHeartbeat,
} from './segment-inputs.ts';
import { SegmentReporter } from './segment-reporter.ts';

export interface SegmentActivityOptions {
  /** how the executor names itself in reports, heartbeats and errors. */
  identity: string;
  /**
   * called once the input is checked and before any batch runs, e.g. to open the gateway's engine;
   * what it throws fails the whole segment.
   */
  open?: (work: SegmentWork) => void | Promise<void>;
  /** runs one batch's SQL and reports it; throws when the batch fails. `beat` sends its progress. */
  runBatch(
    batch: CheckedBatch,
    signal: AbortSignal,
    beat: (detail: unknown) => void,
  ): Promise<ExecutorReport>;
  /** heartbeat period; by default a third of the heartbeat timeout, at most 5s (heartbeat.ts). */
  heartbeatIntervalMs?: number;
}

/** What a retryable failure of a segment carries in its first detail. */
export interface SegmentFailureDetail extends FailedAttempt {
  progress: SegmentHeartbeat;
  /** the batch whose error stopped the segment. */
  failing: string;
}

/**
 * Runs `work` in the current activity context; resolves with every batch's result (those of the
 * previous attempts first), or fails with a Temporal failure as this file's header describes.
 */
export async function executeSegmentActivity(
  work: SegmentWork,
  options: SegmentActivityOptions,
): Promise<SegmentReport> {
  const context = Context.current();
  const signal = context.cancellationSignal;
  const { identity } = options;
  const attempt = context.info.attempt;
  const startedAt = Date.now();
  const where: FailedAttempt = { attempt, executor: identity, startedAt };
  const resumed = readResumedResults(context.info.heartbeatDetails);
  const current = new Map<string, unknown>();
  const batchStarts = new Map<string, number>();

  const heartbeat = (progress: RunProgress): SegmentHeartbeat => {
    const running = Object.fromEntries(
      progress.running.flatMap((id) => (current.has(id) ? [[id, current.get(id)] as const] : [])),
    );
    return {
      executor: identity,
      results: progress.results,
      running: progress.running,
      ...(Object.keys(running).length === 0 ? {} : { current: running }),
    };
  };

  let checked: SegmentWork;
  try {
    checked = readSegmentWork(work);
    await options.open?.(checked);
  } catch (error) {
    throw toActivityFailure(error, signal, where);
  }

  const reporter = new SegmentReporter(
    clientOf(context),
    context.info.workflowExecution,
    checked.segmentId,
    resumed.length,
  );
  const first = heartbeat({ results: resumed, running: [] });
  return withHeartbeat(context, first, options.heartbeatIntervalMs, async (pulse) => {
    let latest: RunProgress = { results: resumed, running: [] };
    try {
      const results = await runSegment(checked, {
        signal,
        resumed,
        runBatch: (batch, batchSignal) => {
          batchStarts.set(batch.executionId, Date.now());
          return options.runBatch(batch as CheckedBatch, batchSignal, (detail) => {
            current.set(batch.executionId, detail);
            pulse.beat(heartbeat(latest));
          });
        },
        emptyReport: () => {
          const now = Date.now();
          return {
            executor: identity,
            attempt,
            startedAt: now,
            finishedAt: now,
            rowsAffected: null,
            statements: [],
            notices: [],
            audits: [],
          };
        },
        isRetryable: (error) => {
          const failure = toActivityFailure(error);
          return !(failure instanceof ApplicationFailure && failure.nonRetryable);
        },
        failed: (error, batch) =>
          failedResult(error, batch, {
            attempt,
            executor: identity,
            startedAt: batchStarts.get(batch.executionId) ?? startedAt,
          }),
        onProgress: (progress) => {
          latest = progress;
          for (const id of current.keys()) if (!progress.running.includes(id)) current.delete(id);
          pulse.beat(heartbeat(progress));
          reporter.update(progress.results);
        },
      });
      return { executor: identity, results };
    } catch (error) {
      if (!(error instanceof SegmentStoppedError)) throw toActivityFailure(error, signal, where);
      const progress = heartbeat(error.progress);
      pulse.beat(progress);
      if (signal.aborted) {
        const reason = signal.reason;
        throw new CancelledFailure(reason instanceof Error ? reason.message : 'cancelled', [progress]);
      }
      const detail: SegmentFailureDetail = { ...where, progress, failing: error.failing ?? '' };
      throw toActivityFailure(error.cause, signal, detail);
    } finally {
      reporter.stop();
    }
  });
}

/** The worker's client, to signal the workflow with; none in a MockActivityEnvironment made without one. */
function clientOf(context: Context): Client | undefined {
  try {
    return context.client;
  } catch {
    return undefined;
  }
}

/** The failed result of a batch whose error retrying cannot fix, typed as its activity failure would be. */
function failedResult(
  error: unknown,
  batch: { executionId: string; model: string },
  where: FailedAttempt,
): BatchResult {
  const failure = toActivityFailure(error);
  return {
    executionId: batch.executionId,
    model: batch.model,
    status: 'failed',
    type: failure instanceof ApplicationFailure ? (failure.type ?? EXECUTOR_FAILURE) : EXECUTOR_FAILURE,
    message: failure.message,
    ...where,
  };
}
