/**
 * Runs the batches of one segment (SegmentWork in activities/contracts.ts) in dependency order:
 * at most `threads` at once, one batch of a model at a time and in the order given, and a batch
 * only once every batch of the segment's models it depends on has succeeded. A model whose batch
 * failed runs nothing more, and what depends on it never becomes ready, so nothing downstream of
 * a failure starts.
 *
 * A failure retrying cannot fix is a result and the rest goes on. A retryable one (or a
 * cancellation) stops the segment: nothing new starts, the batches running are let finish (their
 * results count: their SQL may have committed), and the promise rejects with a
 * SegmentStoppedError carrying the progress, so the next attempt resumes after the batches that
 * ended. Nothing here knows about Temporal: the executor activity (activities/executor/) and the
 * workflow tests' fake executor drive it with their own `runBatch`.
 */

import type { BatchResult, ExecutorReport, SegmentWork } from '../contracts.ts';

export type SegmentBatch = SegmentWork['batches'][number];

/** The batches that ended (in the order they ended) and the execution ids running now. */
export interface RunProgress {
  results: BatchResult[];
  running: string[];
}

export interface RunSegmentOptions {
  /** batches at once; `work.threads` when absent (at least 1). */
  threads?: number;
  /** stops starting batches when it aborts; passed on to every running batch. */
  signal: AbortSignal;
  /** results of earlier attempts: those batches are not run again and count as ended. */
  resumed: BatchResult[];
  /** runs one batch's SQL; throws when the batch fails. */
  runBatch(batch: SegmentBatch, signal: AbortSignal): Promise<ExecutorReport>;
  /** the report of an `alreadyComplete` batch, which succeeds without running anything. */
  emptyReport(batch: SegmentBatch): ExecutorReport;
  /** whether another attempt could succeed where `error` failed. */
  isRetryable(error: unknown): boolean;
  /** the failed result of a batch whose error retrying cannot fix. */
  failed(error: unknown, batch: SegmentBatch): BatchResult;
  /** told each time a batch starts or ends. */
  onProgress(progress: RunProgress): void;
}

/**
 * Why a segment stopped before everything that could run did: `cause` is the retryable error
 * (or the cancellation), `failing` the batch that raised it, `progress` what had ended by then.
 */
export class SegmentStoppedError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly progress: RunProgress,
    readonly failing: string | undefined,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'SegmentStoppedError';
  }
}

/** Runs `work`'s batches; resolves with every result (resumed ones first) in the order they ended. */
export function runSegment(work: SegmentWork, options: RunSegmentOptions): Promise<BatchResult[]> {
  const threads = Math.max(1, Math.floor(options.threads ?? work.threads) || 1);
  const { signal } = options;
  const byId = new Map(work.batches.map((batch) => [batch.executionId, batch]));
  const inSegment = new Set(work.batches.map((batch) => batch.model));

  const results: BatchResult[] = [];
  const ended = new Set<string>();
  const failedModels = new Set<string>();
  /** batches of each model that have not ended. */
  const remaining = new Map<string, number>();
  for (const batch of work.batches) remaining.set(batch.model, (remaining.get(batch.model) ?? 0) + 1);
  /** Counts a batch as ended; the model is the segment's own, whatever a resumed result says. */
  const record = (result: BatchResult): void => {
    const model = byId.get(result.executionId)!.model;
    results.push(result);
    ended.add(result.executionId);
    remaining.set(model, (remaining.get(model) ?? 1) - 1);
    if (result.status === 'failed') failedModels.add(model);
  };
  for (const result of options.resumed) {
    if (byId.has(result.executionId) && !ended.has(result.executionId)) record(result);
  }
  const running = new Map<string, SegmentBatch>();
  const busyModels = new Set<string>();
  let stop: { cause: unknown; failing: string | undefined } | undefined;

  /** A model is done when each of its batches succeeded. */
  const succeeded = (model: string): boolean => !failedModels.has(model) && remaining.get(model) === 0;

  /** The batches ready to start, in the segment's order: each model's next, its upstream done. */
  const ready = (): SegmentBatch[] => {
    const seen = new Set<string>();
    const found: SegmentBatch[] = [];
    for (const batch of work.batches) {
      if (ended.has(batch.executionId) || seen.has(batch.model)) continue;
      seen.add(batch.model);
      if (failedModels.has(batch.model) || busyModels.has(batch.model)) continue;
      const upstream = batch.dependsOn.filter((name) => name !== batch.model && inSegment.has(name));
      if (upstream.every(succeeded)) found.push(batch);
    }
    return found;
  };

  const progress = (): RunProgress => ({ results: [...results], running: [...running.keys()] });

  return new Promise<BatchResult[]>((resolve, reject) => {
    const settleIfDone = (): boolean => {
      if (running.size > 0) return false;
      if (stop !== undefined) {
        reject(new SegmentStoppedError(stop.cause, progress(), stop.failing));
        return true;
      }
      return false;
    };

    const pump = (): void => {
      if (stop === undefined && signal.aborted) stop = { cause: signal.reason, failing: undefined };
      if (settleIfDone()) return;
      if (stop !== undefined) return;
      let started = true;
      while (started) {
        started = false;
        for (const batch of ready()) {
          if (batch.alreadyComplete) {
            record({
              executionId: batch.executionId,
              model: batch.model,
              status: 'succeeded',
              report: options.emptyReport(batch),
            });
            options.onProgress(progress());
            started = true;
            break;
          }
          if (running.size >= threads || signal.aborted) continue;
          start(batch);
          started = true;
        }
      }
      if (running.size === 0) resolve(results);
    };

    const start = (batch: SegmentBatch): void => {
      running.set(batch.executionId, batch);
      busyModels.add(batch.model);
      options.onProgress(progress());
      let outcome: Promise<ExecutorReport>;
      try {
        outcome = options.runBatch(batch, signal);
      } catch (error) {
        outcome = Promise.reject(error);
      }
      outcome.then(
        (report) =>
          end(batch, { executionId: batch.executionId, model: batch.model, status: 'succeeded', report }),
        (error: unknown) => {
          if (signal.aborted) return end(batch, undefined);
          if (options.isRetryable(error)) {
            stop ??= { cause: error, failing: batch.executionId };
            return end(batch, undefined);
          }
          end(batch, options.failed(error, batch));
        },
      );
    };

    /** A batch settled; `result` is undefined when it did not end (it runs again on the next attempt). */
    const end = (batch: SegmentBatch, result: BatchResult | undefined): void => {
      running.delete(batch.executionId);
      busyModels.delete(batch.model);
      if (result !== undefined) record(result);
      options.onProgress(progress());
      pump();
    };

    pump();
  });
}
