/**
 * The janitor's clock on the time-skipping server: a pass every hour, for ever; a pass that fails is
 * logged and the next one runs on time.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { JANITOR_WORKFLOW_ID, janitorWorkflow } from '../../workflows/janitor.ts';
import { FakeExecutor, FakeScheduler } from '../support/fake-activities.ts';
import { startTimeSkippingServer } from '../support/temporal.ts';
import { waitUntil } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

const HOUR = 3_600_000;

describe('the janitor workflow', () => {
  let env: TestWorkflowEnvironment;
  beforeEach(async () => {
    env = await startTimeSkippingServer();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  it('runs a pass every hour, and goes on after a pass that failed', async () => {
    const scheduler = new FakeScheduler([]);
    scheduler.janitorFails = true;
    const harness = await createHarness(env, {
      scheduler: scheduler.activities(),
      run: new FakeExecutor().activities(),
    });
    await harness.run(async () => {
      const handle = await env.client.workflow.start(janitorWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: JANITOR_WORKFLOW_ID,
        args: [{ everyMs: HOUR }],
      });
      await waitUntil(() => scheduler.janitorPasses === 1);
      scheduler.janitorFails = false;
      await env.sleep(2 * HOUR + 1_000);
      await waitUntil(() => scheduler.janitorPasses === 3);
      await handle.terminate();
    });
  });
});
