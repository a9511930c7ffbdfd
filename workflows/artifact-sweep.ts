/**
 * The artifact sweep's clock: a workflow the scheduler worker starts once (one per namespace, by
 * its fixed id) that asks the scheduler to delete artifacts past their retention, then waits a day,
 * for ever; it continues as new every 30 sweeps so its history stays short. A failed sweep is
 * logged and tried again the next day.
 */
import { continueAsNew, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { SchedulerActivities } from '../activities/contracts.ts';
import { failureMessage } from './activity-failure.ts';

export const ARTIFACT_SWEEP_WORKFLOW_ID = 'sluice-artifact-sweep';

export interface ArtifactSweepInput {
  /** between sweeps, in ms (a day). */
  everyMs?: number;
}

const DAY_MS = 86_400_000;
const SWEEPS_PER_HISTORY = 30;

const janitor = proxyActivities<SchedulerActivities>({
  startToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '10 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 5,
  },
});

export async function artifactSweepWorkflow(input: ArtifactSweepInput = {}): Promise<void> {
  const everyMs = input.everyMs ?? DAY_MS;
  for (let sweep = 0; sweep < SWEEPS_PER_HISTORY; sweep++) {
    try {
      const { removed, kept } = await janitor.sweepArtifacts();
      if (removed.length > 0)
        log.info('artifacts past their retention removed', { removed: removed.length, kept });
    } catch (err) {
      log.warn('the artifact sweep failed; it runs again at its next turn', { error: failureMessage(err) });
    }
    await sleep(everyMs);
  }
  await continueAsNew<typeof artifactSweepWorkflow>(input);
}
