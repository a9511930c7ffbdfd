/**
 * The failures the scheduler activities raise. Bad input (a malformed argument, an unknown plan,
 * environment, model, run or execution) is non-retryable: trying again cannot fix it, so the
 * workflow sees it at once. A snapshot interval that another run is executing is retryable: the
 * workflow's retry policy waits and tries again.
 */
import { ApplicationFailure } from '@temporalio/common';
import { type ErrorCode, isRetryable } from '../../core/errors.ts';
import { isCheckFailure as isStateCheckFailure } from '../../state/check-failure.ts';

export const FAILURE_TYPES = {
  invalidInput: 'INVALID_INPUT',
  unknownPlan: 'UNKNOWN_PLAN',
  unknownModel: 'UNKNOWN_MODEL',
  unknownRun: 'UNKNOWN_RUN',
  unknownExecution: 'UNKNOWN_EXECUTION',
  planNotApplicable: 'PLAN_NOT_APPLICABLE',
  renderFailed: 'RENDER_FAILED',
  snapshotBusy: 'SNAPSHOT_BUSY',
} as const satisfies Record<string, ErrorCode>;

export type FailureType = (typeof FAILURE_TYPES)[keyof typeof FAILURE_TYPES];

/** A failure of `activity` of `type`, its message prefixed with the activity's name; retried as core/errors.ts says. */
export function rejected(activity: string, type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${activity}: ${message}`,
    type,
    nonRetryable: !isRetryable(type),
  });
}

export function invalidInput(activity: string, message: string): ApplicationFailure {
  return rejected(activity, FAILURE_TYPES.invalidInput, message);
}

/**
 * True for the errors the state functions throw when a check on their input fails (see
 * state/check-failure.ts), and not already a failure of an activity. Database and connection
 * errors carry a code and stay retryable.
 */
export function isCheckFailure(error: unknown): error is Error {
  return !(error instanceof ApplicationFailure) && isStateCheckFailure(error);
}

/** Runs `body`; a failed check in it (see isCheckFailure) becomes a non-retryable failure of `type`. */
export async function rejectCheckFailures<T>(
  activity: string,
  type: FailureType,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (isCheckFailure(error)) throw rejected(activity, type, error.message);
    throw error;
  }
}
