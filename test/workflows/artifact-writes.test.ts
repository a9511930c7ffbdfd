/**
 * Artifacts in the production workflows, against fakes that can fail: a run and a plan ask for
 * their artifacts once they have ended, and an artifact store that fails every write changes
 * neither outcome nor delays the environment hearing of it; the sweep's workflow sweeps at each
 * turn of its clock.
 */

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../activities/contracts.ts';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { artifactSweepWorkflow } from '../../workflows/artifact-sweep.ts';
import { environmentWorkflow } from '../../workflows/environment.ts';
import { stateQuery, submitPlanUpdate, triggerRunUpdate } from '../../workflows/signals.ts';
import { FakeExecutor, FakeScheduler, scheduled } from '../support/fake-activities.ts';
import { startTimeSkippingServer } from '../support/temporal.ts';
import { waitUntil } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

const HOUR = 3_600_000;

describe('artifacts in the run and apply workflows', () => {
  let env: TestWorkflowEnvironment;
  beforeEach(async () => {
    env = await startTimeSkippingServer();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  async function environment(id: string, scheduler: FakeScheduler) {
    const harness = await createHarness(env, {
      scheduler: scheduler.activities(),
      run: new FakeExecutor().activities(),
    });
    return {
      harness,
      start: () =>
        env.client.workflow.start(environmentWorkflow, {
          taskQueue: TASK_QUEUES.scheduler,
          workflowId: `sluice-env-${id}`,
          args: [{ environment: id, searchAttributes: false }],
        }),
    };
  }

  it("writes a run's artifacts once it has ended", async () => {
    const scheduler = new FakeScheduler([scheduled('shop.a', '0 0 1 1 *')]);
    const { harness, start } = await environment('kept', scheduler);
    await harness.run(async () => {
      const handle = await start();
      const { runId } = await handle.executeUpdate(triggerRunUpdate, {
        args: [{ models: ['shop.a'], requestedBy: 'bob' }],
      });
      await waitUntil(() => scheduler.runsStarted.length === 1);
      const report: RunReport = await env.client.workflow.getHandle(runId).result();
      expect(report.status).toBe('succeeded');
      expect(scheduler.artifactWrites).toEqual([`run ${runId}`]);
      await handle.terminate();
    });
  });

  it('a store failing every write leaves the run and the plan as they ended, and the environment told', async () => {
    const scheduler = new FakeScheduler([scheduled('shop.a', '0 0 1 1 *')]);
    scheduler.failArtifacts = 'EACCES: permission denied';
    const { harness, start } = await environment('broken', scheduler);
    await harness.run(async () => {
      const handle = await start();
      const { runId } = await handle.executeUpdate(triggerRunUpdate, {
        args: [{ models: ['shop.a'], requestedBy: 'bob' }],
      });
      await waitUntil(() => scheduler.runsStarted.length === 1);
      const report: RunReport = await env.client.workflow.getHandle(runId).result();
      expect(report.status).toBe('succeeded');
      expect(scheduler.runsFinished.map((r) => [r.runId, r.status])).toEqual([[runId, 'succeeded']]);
      // three attempts, then the run ends as it was
      expect(scheduler.artifactWrites).toEqual([`run ${runId}`, `run ${runId}`, `run ${runId}`]);
      await waitUntil(async () => (await handle.query(stateQuery)).runsInFlight.length === 0);

      await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'plan-1', submittedBy: 'ci' }] });
      await waitUntil(async () => {
        const state = await handle.query(stateQuery);
        return state.applyingPlan === null && scheduler.plansFinished.length === 1;
      });
      expect(scheduler.plansFinished).toEqual([{ planId: 'plan-1', status: 'applied' }]);
      expect(scheduler.artifactWrites.filter((w) => w === 'plan plan-1')).toHaveLength(3);
      const history = await env.client.workflow.getHandle(runId).fetchHistory();
      // the failure stays in the run's history: its last attempt's error
      const failed = history.events!.filter((e) => e.activityTaskFailedEventAttributes);
      expect(failed.map((e) => e.activityTaskFailedEventAttributes!.failure!.message)).toEqual([
        'EACCES: permission denied',
      ]);
      await handle.terminate();
    });
  });

  it('the sweep workflow sweeps at each turn of its clock', async () => {
    const scheduler = new FakeScheduler([]);
    const harness = await createHarness(env, {
      scheduler: scheduler.activities(),
      run: new FakeExecutor().activities(),
    });
    await harness.run(async () => {
      const handle = await env.client.workflow.start(artifactSweepWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: 'sluice-artifact-sweep',
        args: [{ everyMs: HOUR }],
      });
      await waitUntil(() => scheduler.sweeps === 1);
      await env.sleep(3 * HOUR + 1_000);
      await waitUntil(() => scheduler.sweeps === 4);
      await handle.terminate();
    });
  });
});
