/**
 * What a workflow reads from a failed executor activity: the message at the bottom of the failure
 * chain, which attempt failed and where, and how far a segment got before it stopped (from the
 * failure's first detail, or from the last heartbeat when the executor went silent).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { BatchResult } from '../activities/contracts.ts';

/** Attempts of an executor activity before its failure is final. */
export const EXECUTOR_MAX_ATTEMPTS = 5;

/** The failure at the bottom of an activity's failure chain. */
function rootOf(err: unknown): unknown {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e;
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

/** What the executor said of the failed attempt, when it said. */
function failureDetail(err: unknown): Record<string, unknown> | undefined {
  const e = rootOf(err);
  return e instanceof ApplicationFailure || e instanceof CancelledFailure
    ? asRecord(e.details?.[0])
    : undefined;
}

/** The executor and start of the failed attempt, when the executor reported them. */
export function failedOn(err: unknown): { executor: string; startedAt: number } | undefined {
  const detail = failureDetail(err);
  return typeof detail?.executor === 'string' && typeof detail.startedAt === 'number'
    ? { executor: detail.executor, startedAt: detail.startedAt }
    : undefined;
}

/** The message of the failure at the bottom of an activity's or a child workflow's failure chain. */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure && e.type) return `${e.type}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** The progress a failed, timed-out or cancelled segment reported: in its failure, or its last heartbeat. */
function segmentDetail(err: unknown): Record<string, unknown> | undefined {
  const e = rootOf(err);
  return e instanceof TimeoutFailure ? asRecord(e.lastHeartbeatDetails) : failureDetail(err);
}

/** The batches a failed, timed-out or cancelled segment had ended; empty when it said nothing. */
export function segmentResultsOf(err: unknown): BatchResult[] {
  const detail = segmentDetail(err);
  const results = (asRecord(detail?.progress) ?? detail)?.results;
  return Array.isArray(results) ? results.filter(isBatchResult) : [];
}

/**
 * The execution ids of the batches a failed segment stopped at: the one whose retryable failure
 * ran out of attempts, and those running when its executor went silent. Empty when it did not say,
 * as when the whole segment was refused.
 */
export function segmentStoppedAt(err: unknown): string[] {
  const detail = segmentDetail(err);
  const running = (asRecord(detail?.progress) ?? detail)?.running;
  const ids = [detail?.failing, ...(Array.isArray(running) ? running : [])];
  return ids.filter((id): id is string => typeof id === 'string');
}

function isBatchResult(value: unknown): value is BatchResult {
  const r = asRecord(value);
  return (
    typeof r?.executionId === 'string' &&
    typeof r.model === 'string' &&
    (r.status === 'succeeded' ? asRecord(r.report) !== undefined : r.status === 'failed')
  );
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
