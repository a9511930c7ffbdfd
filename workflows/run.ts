/**
 * The run workflow: one scheduled or triggered execution of due model intervals in one environment,
 * started as a child of the environment workflow. It records itself in the state DB, executes its
 * models in DAG order, and reports back to its environment with a signal (it outlives the parent's
 * continue-as-new, so the result travels by signal rather than by the child handle).
 */
import {
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  type SignalDefinition,
  setHandler,
} from '@temporalio/workflow';
import type {
  ModelOutcome,
  RunReport,
  RunRequest,
  RunStatus,
  SchedulerActivities,
} from '../activities/contracts.ts';
import { RUN_SLOTS_WORKFLOW_ID, type SlotAnswer } from '../core/run-slots.ts';
import { keepRunArtifacts } from './artifacts.ts';
import { type ExecutionCarry, executeModels } from './execute-models.ts';
import { notifyRunEnded } from './notifications.ts';
import { schedulerActivityOptionsFor } from './scheduler-activity-options.ts';
import {
  releaseRunSlotSignal,
  runFinishedSignal,
  runProgressSignal,
  runSlotAnswerSignal,
} from './signals.ts';

/** The scheduler's activities for a run of `models` models. */
function schedulerFor(models: number) {
  return proxyActivities<SchedulerActivities>(schedulerActivityOptionsFor(models));
}

function overallStatus(models: Record<string, ModelOutcome>): RunStatus {
  const statuses = Object.values(models).map((m) => m.status);
  if (statuses.includes('cancelled')) return 'cancelled';
  if (statuses.some((s) => s === 'failed' || s === 'skipped')) return 'failed';
  return 'succeeded';
}

/** Signals the environment workflow; a run whose environment is gone still records its outcome. */
async function notify<Args extends unknown[]>(
  req: RunRequest,
  signal: () => SignalDefinition<Args>,
  args: Args,
): Promise<void> {
  if (!req.parentWorkflowId) return;
  try {
    await getExternalWorkflowHandle(req.parentWorkflowId).signal(signal(), ...args);
  } catch (err) {
    log.warn('environment workflow did not take the run report', {
      environment: req.parentWorkflowId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/**
 * Waits for a run slot (SLUICE_RUN_SLOTS): asks the keeper, records the run queued with the keeper's
 * reason while it waits, and running once granted. Returns when the slot was granted; a
 * cancellation while waiting is thrown.
 */
async function takeRunSlot(req: RunRequest, runSlots: { limit: number; priority: number }): Promise<number> {
  let answer: SlotAnswer | undefined;
  setHandler(runSlotAnswerSignal, (told) => {
    if (!answer?.granted) answer = told;
  });
  const scheduler = schedulerFor(req.work.length);
  await scheduler.requestRunSlot({
    runId: req.runId,
    environment: req.environment,
    priority: runSlots.priority,
    limit: runSlots.limit,
  });
  await condition(() => answer !== undefined);
  if (!answer?.granted) {
    const reason = answer?.granted === false ? answer.reason : 'waiting for a run slot';
    log.info('run queued', { runId: req.runId, reason });
    await CancellationScope.nonCancellable(() =>
      scheduler.recordRunQueued({
        runId: req.runId,
        environment: req.environment,
        trigger: req.trigger,
        scheduledAt: req.scheduledAt,
        models: req.work.map((w) => w.model),
        reason,
      }),
    );
    await condition(() => answer?.granted === true);
  }
  const readyAt = Date.now();
  await CancellationScope.nonCancellable(() => scheduler.recordRunReady({ runId: req.runId, readyAt }));
  return readyAt;
}

/** Gives the slot back (or leaves the queue); a keeper that is gone has nothing to take back. */
async function releaseRunSlot(req: RunRequest): Promise<void> {
  try {
    await getExternalWorkflowHandle(RUN_SLOTS_WORKFLOW_ID).signal(releaseRunSlotSignal, req.runId);
  } catch (err) {
    log.warn('the run slot keeper did not take the release', {
      runId: req.runId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** Every model cancelled before it started: the run was cancelled while it waited for a slot. */
function cancelledWhileQueued(req: RunRequest): Record<string, ModelOutcome> {
  const finishedAt = Date.now();
  return Object.fromEntries(
    req.work.map((w) => [
      w.model,
      {
        status: 'cancelled',
        reason: 'the run was cancelled while it waited for a run slot',
        batches: 0,
        rowsAffected: 0,
        finishedAt,
      } satisfies ModelOutcome,
    ]),
  );
}

/**
 * What a run whose history grew past its budget carries into its continuation: when it started and
 * was ready (its slot, when it has one, stays taken), and where its models stood.
 */
export interface RunContinuation {
  startedAt: number;
  readyAt: number;
  carry: ExecutionCarry;
}

/**
 * Waits for a slot when there are slots, executes the models, and gives the slot back whatever
 * happens, unless the run continues as new: its continuation keeps the slot.
 */
async function execute(
  req: RunRequest,
  startedAt: number,
  continued: RunContinuation | undefined,
): Promise<{
  models: Record<string, ModelOutcome>;
  cancelled: boolean;
  readyAt: number;
  firstStatementAt?: number;
  finishedAt: number;
  continueWith?: ExecutionCarry;
}> {
  const { runSlots } = req;
  let continuing = false;
  try {
    let readyAt = continued?.readyAt ?? startedAt;
    if (runSlots && continued === undefined) {
      try {
        readyAt = await takeRunSlot(req, runSlots);
      } catch (err) {
        if (!isCancellation(err)) throw err;
        return {
          models: cancelledWhileQueued(req),
          cancelled: true,
          readyAt: Date.now(),
          finishedAt: Date.now(),
        };
      }
    }
    // The environment learns of the models each segment finishes, so a model done early in a long run
    // can run again at its next tick while the rest of the run goes on.
    const { outcomes, cancelled, firstStatementAt, continueWith } = await executeModels(
      req,
      (finished) => notify(req, () => runProgressSignal, [req.runId, finished]),
      continued?.carry,
    );
    continuing = continueWith !== undefined;
    return {
      models: outcomes,
      cancelled,
      readyAt,
      ...(firstStatementAt === undefined ? {} : { firstStatementAt }),
      finishedAt: Date.now(),
      ...(continueWith === undefined ? {} : { continueWith }),
    };
  } finally {
    if (runSlots && !continuing) await CancellationScope.nonCancellable(() => releaseRunSlot(req));
  }
}

/**
 * `continued`: set in a continuation (continue-as-new once the history grew past its budget), which
 * goes on where the run stood, its record and slot already taken.
 */
export async function runWorkflow(req: RunRequest, continued?: RunContinuation): Promise<RunReport> {
  const startedAt = continued?.startedAt ?? Date.now();
  // Recorded whatever happens next, so a run cancelled at once still ends with its record.
  if (continued === undefined) {
    await CancellationScope.nonCancellable(() =>
      schedulerFor(req.work.length).recordRunStarted({
        runId: req.runId,
        environment: req.environment,
        trigger: req.trigger,
        scheduledAt: req.scheduledAt,
        models: req.work.map((w) => w.model),
        planId: req.planId,
        ...(req.runSlots ? { queued: true } : { readyAt: startedAt }),
      }),
    );
  }
  const { models, cancelled, readyAt, firstStatementAt, finishedAt, continueWith } = await execute(
    req,
    startedAt,
    continued,
  );
  if (continueWith !== undefined) {
    log.info('run continues as new: its history passed its budget', {
      runId: req.runId,
      finished: Object.keys(continueWith.outcomes).length,
      models: req.work.length,
    });
    return continueAsNew<typeof runWorkflow>(req, { startedAt, readyAt, carry: continueWith });
  }
  const result: RunReport = {
    runId: req.runId,
    environment: req.environment,
    trigger: req.trigger,
    status: cancelled ? 'cancelled' : overallStatus(models),
    scheduledAt: req.scheduledAt,
    startedAt,
    readyAt,
    ...(firstStatementAt === undefined ? {} : { firstStatementAt }),
    finishedAt,
    models,
  };
  await CancellationScope.nonCancellable(async () => {
    await schedulerFor(req.work.length).recordRunFinished(result);
    await notify(req, () => runFinishedSignal, [result]);
    await notifyRunEnded(result);
  });
  await keepRunArtifacts(req.runId);
  if (cancelled) throw new CancelledFailure(`run ${req.runId} cancelled`);
  return result;
}
