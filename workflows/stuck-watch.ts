/**
 * The stuck-work watch: one long-lived workflow (`sluice-stuck-watch`, on the scheduler's task
 * queue, started by every scheduler worker; the one already running is kept) that every minute
 * asks for work the watchdog calls stuck (core/watchdog.ts) and has the new `run.stuck`
 * deliveries sent by a detached notifications child. The deliveries table makes each stuck
 * workflow reported once per webhook. It continues as new when Temporal suggests it.
 */
import { continueAsNew, log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { NotificationActivities } from '../activities/notifications/contracts.ts';
import { startNotifications } from './notifications.ts';

export const STUCK_WATCH_WORKFLOW_ID = 'sluice-stuck-watch';
export const STUCK_SWEEP_EVERY_MS = 60_000;
/** sweeps before continuing as new, when Temporal has not suggested it earlier. */
const SWEEPS_PER_RUN = 500;

const sweeper = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 3,
  },
});

export interface StuckWatchInput {
  /** time between sweeps, ms (a minute). */
  everyMs?: number;
}

export async function stuckWatchWorkflow(input: StuckWatchInput = {}): Promise<void> {
  const everyMs = input.everyMs ?? STUCK_SWEEP_EVERY_MS;
  for (let sweep = 0; sweep < SWEEPS_PER_RUN && !workflowInfo().continueAsNewSuggested; sweep++) {
    try {
      const deliveries = await sweeper.sweepStuckWork();
      if (deliveries.length > 0) {
        await startNotifications(`sluice-notify-stuck-${deliveries[0]}`, { deliveries });
      }
    } catch (err) {
      log.warn('the stuck-work sweep failed; the next one tries again', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
    await sleep(everyMs);
  }
  await continueAsNew<typeof stuckWatchWorkflow>(input);
}
