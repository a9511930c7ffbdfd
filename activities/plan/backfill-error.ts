/**
 * A plan's backfill failed: which model, which interval, and the warehouse's (or audit's) error.
 * It carries the cause's `code` and `retryable` flag (engine and audit errors have them), so an
 * activity can turn it into a Temporal failure without unwrapping it.
 */
import { formatInterval, type Interval } from '../../core/intervals.ts';

export class PlanBackfillError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(
    readonly model: string,
    readonly snapshotId: string,
    /** the batch's interval; null for a single execution without one (a view, a seed). */
    readonly interval: Interval | null,
    readonly causeMessage: string,
    cause: unknown,
  ) {
    super(
      `backfill of model ${model} failed${interval ? ` for interval ${formatInterval(interval)}` : ''}: ${causeMessage}`,
    );
    this.name = 'PlanBackfillError';
    const source = cause as { code?: unknown; retryable?: unknown } | null;
    this.code = typeof source?.code === 'string' ? source.code : 'BACKFILL_FAILED';
    this.retryable = source?.retryable === true;
  }

  static from(
    model: string,
    snapshotId: string,
    interval: Interval | null,
    cause: unknown,
  ): PlanBackfillError {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new PlanBackfillError(model, snapshotId, interval, message, cause);
  }
}
