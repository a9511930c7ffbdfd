/**
 * How workflows call the scheduler's activities (state database, Temporal client). A scheduler
 * worker killed while it runs one sends no answer and no failure: the activity is retried on
 * another worker only once a timeout has passed. So these activities have a heartbeat timeout of
 * a second (plus a little per model or batch for those whose synchronous work grows with them) and
 * the scheduler worker heartbeats for them while they run (workers/activity-liveness.ts): a dead
 * worker delays its caller by about that much (the server fires timeouts on whole seconds). Their start-to-close timeouts stay as the bound on a
 * slow but live attempt. Only loading a whole project's schedule, which may keep the event loop
 * busy for seconds, has no heartbeat and keeps a minute.
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
/** How long a live scheduler worker may go without a heartbeat before its activity is retried. */
const LIVENESS_MS = 1_000;

/** Whole seconds, rounding up: the server fires its timers on whole seconds anyway. */
const wholeSeconds = (ms: number) => Math.ceil(ms / 1000) * 1000;

/**
 * Quick state-database activities (recordPauseChange, closedRuns, recordRunStarted,
 * recordRunFinished, ...): a killed worker delays its caller by one to two seconds.
 */
export const SCHEDULER_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: QUICK_MS,
  heartbeatTimeout: LIVENESS_MS,
  retry: RETRY,
};

/**
 * Activities about `models` models (findDueWork, recordSkips, clearIntervals): 5 s plus 2 ms a
 * model to finish, a heartbeat within 1 s plus 1 ms a model.
 */
export function schedulerActivityOptionsFor(models: number): ActivityOptions {
  const n = Math.max(0, models);
  return {
    startToCloseTimeout: QUICK_MS + PER_MODEL_MS * n,
    heartbeatTimeout: wholeSeconds(LIVENESS_MS + n),
    retry: RETRY,
  };
}

/**
 * Preparing or completing a segment of `batches` batches (render, claim, record in bulk): 10 s plus
 * 20 ms a batch, far above what it takes (under a second for 500), since a timed-out attempt is
 * retried from the start; a heartbeat within 1 s plus 10 ms a batch (rendering is synchronous).
 */
export function segmentActivityOptions(batches: number): ActivityOptions {
  const n = Math.max(0, batches);
  return {
    startToCloseTimeout: 10_000 + 20 * n,
    heartbeatTimeout: wholeSeconds(LIVENESS_MS + 10 * n),
    retry: RETRY,
  };
}

/** Loading or recording a whole project's schedule (loadSchedule, finishPlan), whatever its size. */
export const SCHEDULE_LOAD_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: RETRY,
};
