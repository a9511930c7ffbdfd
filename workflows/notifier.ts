/**
 * The notifier: one long-lived workflow (`sluice-notifier`, on the scheduler's task queue, started
 * by every scheduler worker and `sluice dev`; the one already running is kept). Run and apply
 * workflows signal it as they end (`notify`), and it starts a detached notifications child for each
 * (workflows/notifications.ts), so delivering, with its hour of retries, holds neither them nor
 * it. Every minute it also sweeps for work the watchdog calls stuck (core/watchdog.ts) and has the
 * new `run.stuck` deliveries sent; the deliveries table makes each stuck workflow reported once per
 * webhook. It continues as new, carrying what it has not started yet, when Temporal suggests it.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { NotificationActivities, NotificationSource } from '../activities/notifications/contracts.ts';
import { notificationsWorkflowId, notifySignal, startNotifications } from './notifications.ts';

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

export interface NotifierInput {
  /** time between stuck-work sweeps, ms (a minute). */
  everyMs?: number;
  /** sources signalled but not started yet, carried across continue-as-new. */
  pending?: NotificationSource[];
}

export async function notifierWorkflow(input: NotifierInput = {}): Promise<void> {
  const everyMs = input.everyMs ?? STUCK_SWEEP_EVERY_MS;
  const pending: NotificationSource[] = [...(input.pending ?? [])];
  setHandler(notifySignal, (source) => {
    pending.push(source);
  });
  let nextSweep = Date.now();
  for (let sweeps = 0; sweeps < SWEEPS_PER_RUN && !workflowInfo().continueAsNewSuggested; ) {
    await condition(() => pending.length > 0, Math.max(1, nextSweep - Date.now()));
    while (pending.length > 0) {
      const source = pending.shift()!;
      await startNotifications(notificationsWorkflowId(source), { source });
    }
    if (Date.now() < nextSweep) continue;
    sweeps++;
    nextSweep = Date.now() + everyMs;
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
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof notifierWorkflow>({ everyMs, pending });
}
