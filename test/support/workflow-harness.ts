/**
 * Runs sluice's real workflows against a Temporal test server with activities the test provides:
 * one worker per task queue (scheduler, run executor, apply executor), sharing one workflow bundle.
 */
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { ExecutorActivities, SchedulerActivities } from '../../activities/contracts.ts';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import type { NotificationActivities } from '../../activities/notifications/contracts.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    ignoreModules: ['fs', 'fs/promises'],
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

export interface Harness {
  /** runs `fn` while all three workers poll, then shuts them down. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

/** Notification activities of a state database with no webhook: nothing to deliver. */
const NO_WEBHOOKS: NotificationActivities = {
  prepareNotifications: async () => [],
  deliverNotification: async (deliveryId) => ({ deliveryId, outcome: 'gone', statusCode: null }),
  sweepStuckWork: async () => [],
};

export async function createHarness(
  env: TestWorkflowEnvironment,
  activities: {
    scheduler: SchedulerActivities;
    run: ExecutorActivities;
    apply?: ExecutorActivities;
    /** what the detached notifications children call; by default they find no webhook to tell. */
    notifications?: NotificationActivities;
  },
): Promise<Harness> {
  const workflowBundleCode = await workflowBundle();
  const common = { connection: env.nativeConnection, namespace: env.namespace ?? 'default' };
  const workers = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: TASK_QUEUES.scheduler,
      workflowBundle: workflowBundleCode,
      activities: {
        ...(activities.notifications ?? NO_WEBHOOKS),
        ...activities.scheduler,
      } as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>,
    }),
    Worker.create({
      ...common,
      taskQueue: TASK_QUEUES.run,
      activities: activities.run as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>,
    }),
    Worker.create({
      ...common,
      taskQueue: TASK_QUEUES.apply,
      activities: (activities.apply ?? activities.run) as unknown as Record<
        string,
        (...args: unknown[]) => Promise<unknown>
      >,
    }),
  ]);
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      const [first, ...rest] = workers;
      const all = rest.reduce<() => Promise<T>>((inner, w) => () => w.runUntil(inner), fn);
      return first!.runUntil(all);
    },
  };
}
