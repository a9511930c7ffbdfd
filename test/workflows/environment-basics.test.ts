import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { environmentWorkflow } from '../../workflows/environment.ts';
import { stateQuery } from '../../workflows/signals.ts';
import { FakeExecutor, FakeScheduler, scheduled } from '../support/fake-activities.ts';
import { startTimeSkippingServer } from '../support/temporal.ts';
import { createHarness } from '../support/workflow-harness.ts';

const HOUR = 3_600_000;

describe('environment workflow basics', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('wakes at each hourly tick and starts a run child for the due model', async () => {
    const scheduler = new FakeScheduler([scheduled('shop.orders', '0 * * * *')]);
    const executor = new FakeExecutor();
    const harness = await createHarness(env, {
      scheduler: scheduler.activities(),
      run: executor.activities(),
    });
    await harness.run(async () => {
      const handle = await env.client.workflow.start(environmentWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: 'sluice-env-basics',
        args: [{ environment: 'basics', searchAttributes: false }],
      });
      const start = await env.currentTimeMs();
      await env.sleep(3 * HOUR + 60_000);
      const state = await handle.query(stateQuery);
      expect(state.nextWake?.models).toEqual(['shop.orders']);
      const firstTick = Math.floor(start / HOUR) * HOUR + HOUR;
      expect(scheduler.dueCalls.map((c) => c.now - (c.now % 1000))).toEqual([
        firstTick,
        firstTick + HOUR,
        firstTick + 2 * HOUR,
      ]);
      expect(scheduler.runsStarted.map((r) => r.runId)).toEqual(
        [0, 1, 2].map(
          (i) =>
            `sluice-run-basics-${new Date(firstTick + i * HOUR).toISOString().slice(0, 16).replace(/[-:]/g, '')}Z`,
        ),
      );
      await handle.terminate();
    });
  });
});
