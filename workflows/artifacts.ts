/**
 * Keeping a run's or a plan's artifacts once it has ended, from the run and apply workflows: one
 * scheduler activity (activities/scheduler/artifacts.ts) with a short timeout and a few retries,
 * called after the outcome is recorded and signalled. A failure is logged and stays in the
 * workflow's history as the failed activity; it never changes the outcome. Behind a patch, so
 * histories from before it replay.
 */
import { CancellationScope, log, patched, proxyActivities } from '@temporalio/workflow';
import type { SchedulerActivities } from '../activities/contracts.ts';
import { failureMessage } from './activity-failure.ts';

const writer = proxyActivities<SchedulerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 3,
  },
});

/** Writes an ended run's artifacts; never throws. */
export async function keepRunArtifacts(runId: string): Promise<void> {
  if (!patched('run-artifacts')) return;
  await keep(`run ${runId}`, () => writer.writeRunArtifacts({ runId }));
}

/** Writes an ended plan's artifacts; never throws. */
export async function keepPlanArtifacts(planId: string): Promise<void> {
  if (!patched('plan-artifacts')) return;
  await keep(`plan ${planId}`, () => writer.writePlanArtifacts({ planId }));
}

async function keep(what: string, write: () => Promise<unknown>): Promise<void> {
  try {
    // a cancelled run still leaves its artifacts
    await CancellationScope.nonCancellable(write);
  } catch (err) {
    log.warn(`the artifacts of ${what} could not be written`, { error: failureMessage(err) });
  }
}
