/**
 * Notifications, never in a run's or a plan's way: the run and apply workflows signal the notifier
 * (`sluice-notifier`, workflows/notifier.ts) when they end, and the notifier starts a detached
 * child (`notificationsWorkflow`, parent close policy ABANDON) that records the deliveries its
 * source makes and delivers each one, retried with exponential backoff for about an hour. A run
 * whose signal cannot be delivered (no notifier running) carries on and only logs why.
 */
import {
  ActivityFailure,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
} from '@temporalio/workflow';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type {
  NotificationActivities,
  NotificationSource,
  PlanEnd,
} from '../activities/notifications/contracts.ts';
import type { RunReport } from '../core/environment/run-report.ts';

/**
 * Each delivery: 10 attempts, 2 s after the first failure and 2.5 times longer each time (at most
 * 20 minutes apart), which spreads them over about 54 minutes.
 */
export const DELIVERY_RETRY = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2.5,
  maximumInterval: '20 minutes',
  maximumAttempts: 10,
} as const;

const preparing = proxyActivities<NotificationActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
  },
});

const delivering = proxyActivities<NotificationActivities>({
  // an attempt waits 10 s for the receiver, and records itself in the state database
  startToCloseTimeout: '30 seconds',
  retry: DELIVERY_RETRY,
});

/** What to notify: the end of a run or a plan (deliveries are recorded first), or recorded deliveries. */
export type NotificationsInput = { source: NotificationSource } | { deliveries: string[] };

export async function notificationsWorkflow(input: NotificationsInput): Promise<void> {
  const ids = 'source' in input ? await preparing.prepareNotifications(input.source) : input.deliveries;
  const results = await Promise.allSettled(ids.map((id) => delivering.deliverNotification(id)));
  results.forEach((result, index) => {
    if (result.status === 'rejected') {
      const error =
        result.reason instanceof ActivityFailure ? result.reason.cause?.message : String(result.reason);
      log.warn('a notification was not delivered', { delivery: ids[index], error });
    }
  });
}

/** Starts the notifications of `input` as a detached child; never throws. */
export async function startNotifications(workflowId: string, input: NotificationsInput): Promise<void> {
  try {
    await startChild(notificationsWorkflow, {
      workflowId,
      args: [input],
      taskQueue: TASK_QUEUES.scheduler,
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    log.warn('notifications could not be started', {
      workflowId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** The notifier: one long-lived workflow on the scheduler's task queue (workflows/notifier.ts). */
export const NOTIFIER_WORKFLOW_ID = 'sluice-notifier';
/** sent to the notifier by run and apply workflows as they end. */
export const notifySignal = defineSignal<[source: NotificationSource]>('notify');

/** The child workflow id of a source's notifications: one per run or plan. */
export function notificationsWorkflowId(source: NotificationSource): string {
  return source.kind === 'run'
    ? `sluice-notify-${source.report.runId}`
    : `sluice-notify-plan-${source.plan.planId}`;
}

async function tellNotifier(source: NotificationSource): Promise<void> {
  try {
    await getExternalWorkflowHandle(NOTIFIER_WORKFLOW_ID).signal(notifySignal, source);
  } catch (err) {
    log.warn('the notifier did not take the notification', {
      notifier: NOTIFIER_WORKFLOW_ID,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** A run's end: run.failed, run.recovered, model.over_scheduled. */
export async function notifyRunEnded(report: RunReport): Promise<void> {
  if (!patched('run-notifications')) return;
  await tellNotifier({ kind: 'run', report });
}

/** A plan application's end: plan.applied, plan.failed. */
export async function notifyPlanEnded(plan: PlanEnd): Promise<void> {
  if (!patched('plan-notifications')) return;
  await tellNotifier({ kind: 'plan', plan });
}
