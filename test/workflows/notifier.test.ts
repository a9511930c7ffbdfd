/**
 * The notifier on a Temporal dev server: a run's end signalled to it becomes a notifications
 * child that prepares the run's deliveries and delivers each, retrying an attempt that fails; the
 * stuck-work sweep runs at once and then once a minute. The activities are the test's, and fail
 * when it says so.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import type { NotificationActivities, NotificationSource } from '../../activities/notifications/contracts.ts';
import { NOTIFIER_WORKFLOW_ID, notifySignal } from '../../workflows/notifications.ts';
import { notifierWorkflow } from '../../workflows/notifier.ts';
import { FakeExecutor, FakeScheduler } from '../support/fake-activities.ts';
import { startDevServer } from '../support/temporal.ts';
import { waitUntil } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

describe('the notifier', () => {
  // a dev server: the time-skipping one does not run the notifier's timers and children reliably
  let env: TestWorkflowEnvironment;
  const server = () => env;
  beforeAll(async () => {
    env = await startDevServer();
  }, 60_000);
  afterAll(async () => {
    await env?.teardown();
  });

  it('turns a signalled run end into deliveries, retries a failed attempt and sweeps for stuck work', {
    timeout: 90_000,
  }, async () => {
    const prepared: NotificationSource[] = [];
    const attempts: string[] = [];
    let sweeps = 0;
    const notifications: NotificationActivities = {
      prepareNotifications: async (source) => {
        prepared.push(source);
        return ['dlv_1', 'dlv_2'];
      },
      deliverNotification: async (deliveryId) => {
        attempts.push(deliveryId);
        // the receiver of dlv_2 fails the first time
        if (deliveryId === 'dlv_2' && attempts.filter((a) => a === 'dlv_2').length === 1) {
          throw new Error('the receiver answered 500');
        }
        return { deliveryId, outcome: 'delivered', statusCode: 200 };
      },
      sweepStuckWork: async () => {
        sweeps++;
        return [];
      },
    };
    const harness = await createHarness(server(), {
      scheduler: new FakeScheduler([]).activities(),
      run: new FakeExecutor().activities(),
      notifications,
    });
    await harness.run(async () => {
      const handle = await server().client.workflow.start(notifierWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: NOTIFIER_WORKFLOW_ID,
        args: [{}],
      });
      const source: NotificationSource = {
        kind: 'run',
        report: {
          runId: 'run-1',
          environment: 'prod',
          trigger: 'schedule',
          status: 'failed',
          scheduledAt: 0,
          startedAt: 1,
          finishedAt: 2,
          models: {},
        },
      };
      await handle.signal(notifySignal, source);
      await waitUntil(() => attempts.filter((a) => a === 'dlv_2').length === 2, 60_000);
      expect(prepared).toEqual([source]);
      expect(attempts.sort()).toEqual(['dlv_1', 'dlv_2', 'dlv_2']);
      expect(sweeps).toBeGreaterThanOrEqual(1);
      await handle.terminate('test over');
    });
  });
});
