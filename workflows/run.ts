/**
 * The run workflow: one scheduled or triggered execution of due model intervals in one environment,
 * started as a child of the environment workflow. It records itself in the state DB, executes its
 * models in DAG order, and reports back to its environment with a signal (it outlives the parent's
 * continue-as-new, so the result travels by signal rather than by the child handle).
 */
import {
  CancellationScope,
  CancelledFailure,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  type SignalDefinition,
} from '@temporalio/workflow';
import type {
  ModelOutcome,
  RunReport,
  RunRequest,
  RunStatus,
  SchedulerActivities,
} from '../activities/contracts.ts';
import { keepRunArtifacts } from './artifacts.ts';
import { executeModels } from './execute-models.ts';
import { notifyRunEnded } from './notifications.ts';
import { schedulerActivityOptionsFor } from './scheduler-activity-options.ts';
import { runFinishedSignal, runProgressSignal } from './signals.ts';

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

export async function runWorkflow(req: RunRequest): Promise<RunReport> {
  const startedAt = Date.now();
  // Recorded whatever happens next, so a run cancelled at once still ends with its record.
  await CancellationScope.nonCancellable(() =>
    schedulerFor(req.work.length).recordRunStarted({
      runId: req.runId,
      environment: req.environment,
      trigger: req.trigger,
      scheduledAt: req.scheduledAt,
      models: req.work.map((w) => w.model),
      planId: req.planId,
    }),
  );
  // The environment learns of the models each segment finishes, so a model done early in a long run
  // can run again at its next tick while the rest of the run goes on.
  const { outcomes: models, cancelled } = await executeModels(req, (finished) =>
    notify(req, () => runProgressSignal, [req.runId, finished]),
  );
  const result: RunReport = {
    runId: req.runId,
    environment: req.environment,
    trigger: req.trigger,
    status: cancelled ? 'cancelled' : overallStatus(models),
    scheduledAt: req.scheduledAt,
    startedAt,
    finishedAt: Date.now(),
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
