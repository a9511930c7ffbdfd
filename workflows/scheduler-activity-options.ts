/**
 * How workflows call the scheduler's activities (state database, Temporal client). A scheduler
 * worker killed while it runs one sends no answer and no failure: the activity is retried on
 * another worker only once its start-to-close timeout has passed. So the quick ones get a timeout of
 * a few seconds, and those whose time grows with the models they are about get a few seconds more
 * per thousand models; only loading a whole project's schedule keeps a minute.
 */
import type { ActivityOptions } from '@temporalio/workflow';

/** Retries soon after a lost or failed attempt; never gives up on a retryable failure. */
const RETRY: ActivityOptions['retry'] = {
  initialInterval: '200 milliseconds',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
};

/** The longest a quick activity takes on a healthy state database, with a wide margin. */
const QUICK_MS = 5_000;
/** What each model adds to an activity about many models (findDueWork reads their intervals). */
const PER_MODEL_MS = 2;

/**
 * Quick state-database activities (recordPauseChange, closedRuns, recordRunStarted,
 * recordRunFinished, prepareSegment, completeSegment, ...): a killed worker delays its caller by
 * 5 s at most.
 */
export const SCHEDULER_ACTIVITY_OPTIONS: ActivityOptions = { startToCloseTimeout: QUICK_MS, retry: RETRY };

/** Activities about `models` models (findDueWork, recordSkips, clearIntervals): 5 s plus 2 ms a model. */
export function schedulerActivityOptionsFor(models: number): ActivityOptions {
  return { startToCloseTimeout: QUICK_MS + PER_MODEL_MS * Math.max(0, models), retry: RETRY };
}

/**
 * Preparing or completing a segment of `batches` batches (render, claim, record in bulk): 10 s plus
 * 20 ms a batch, far above what it takes (under a second for 500), since a timed-out attempt is
 * retried from the start.
 */
export function segmentActivityOptions(batches: number): ActivityOptions {
  return { startToCloseTimeout: 10_000 + 20 * Math.max(0, batches), retry: RETRY };
}

/** Loading or recording a whole project's schedule (loadSchedule, finishPlan), whatever its size. */
export const SCHEDULE_LOAD_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: RETRY,
};
