/**
 * How a workflow that asks one executor for one answer (a connection test, a query) fails when the
 * activity does: no executor taking it in time and the activity running out of time get the
 * workflow's own types and messages; an executor's ApplicationFailure keeps its type and message;
 * anything else becomes the workflow's `failed` type. Every failure is non-retryable: the person
 * who asked asks again.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

export interface OneShotFailures {
  /** when no executor took the activity within its schedule-to-start timeout. */
  noExecutor: { type: string; message: string };
  /** when the activity ran past its start-to-close timeout. */
  timedOut: { type: string; message: string };
  /** the type of any other failure that names none. */
  failed: string;
}

export function oneShotFailure(err: unknown, failures: OneShotFailures): ApplicationFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) {
    const which = cause.timeoutType === 'SCHEDULE_TO_START' ? failures.noExecutor : failures.timedOut;
    return ApplicationFailure.nonRetryable(which.message, which.type);
  }
  if (cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: cause.message,
      type: cause.type ?? failures.failed,
      nonRetryable: true,
    });
  }
  return ApplicationFailure.nonRetryable(
    cause instanceof Error ? cause.message : String(cause),
    failures.failed,
  );
}
