/**
 * How executor errors reach a workflow: every engine, audit and request error (a SluiceError)
 * becomes an ApplicationFailure whose `type` is the error's stable `code` and which is
 * non-retryable when core/errors.ts says the code is, so the workflow's retry policy never repeats
 * work that cannot succeed. A cancelled
 * activity reports Temporal's CancelledFailure, so the run sees a cancellation and not an error.
 */

import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { type ErrorCode, isRetryable, SluiceError } from '../../core/errors.ts';
import { NamingError } from '../../core/naming.ts';

/** The type of failures that are not one of the known errors (a bug, an unexpected driver error). */
export const EXECUTOR_FAILURE: ErrorCode = 'EXECUTOR_FAILURE';

/** The type of a NamingError's failure: the request named something the warehouse cannot hold. */
const INVALID_REQUEST: ErrorCode = 'INVALID_REQUEST';

/** Which attempt failed, and where: carried in the failure's first detail, so the run records it. */
export interface FailedAttempt {
  attempt: number;
  executor: string;
  /** when the attempt began, epoch ms. */
  startedAt: number;
}

/**
 * The failure to throw from an activity for `error`. `signal` is the activity's cancellation
 * signal: once it has fired, whatever the engine raised is reported as the cancellation. `where`
 * (the attempt and the executor) is added to the failure's first detail.
 */
export function toActivityFailure(error: unknown, signal?: AbortSignal, where?: FailedAttempt): Error {
  if (signal?.aborted) {
    return signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure('cancelled');
  }
  if (error instanceof CancelledFailure) return error;
  if (error instanceof ApplicationFailure) {
    if (!where) return error;
    const [first, ...rest] = error.details ?? [];
    return ApplicationFailure.create({
      message: error.message,
      type: error.type ?? EXECUTOR_FAILURE,
      nonRetryable: error.nonRetryable === true,
      details: [{ ...(isRecord(first) ? first : {}), ...where }, ...rest],
      ...(error.cause ? { cause: error.cause } : {}),
    });
  }
  if (error instanceof SluiceError) {
    return ApplicationFailure.create({
      message: error.message,
      type: error.code,
      nonRetryable: !error.retryable,
      details: [{ ...error.details(), ...where }],
    });
  }
  if (error instanceof NamingError) {
    return ApplicationFailure.create({
      message: error.message,
      type: INVALID_REQUEST,
      nonRetryable: !isRetryable(INVALID_REQUEST),
      details: where ? [where] : [],
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return ApplicationFailure.create({
    message,
    type: EXECUTOR_FAILURE,
    nonRetryable: !isRetryable(EXECUTOR_FAILURE),
    details: where ? [where] : [],
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
