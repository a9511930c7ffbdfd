/**
 * A triggered run waits for models another run holds, in the production environment workflow on the
 * time-skipping server: recorded queued with the run it waits for, no model skipped, and started
 * once that run ends.
 */
import { describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { environmentWorkflow } from '../../workflows/environment.ts';
import { cancelQueuedRunSignal, triggerRunUpdate } from '../../workflows/signals.ts';
import { FakeExecutor, FakeScheduler, scheduled } from '../support/fake-activities.ts';
import { timeSkippingServerPerTest } from '../support/temporal.ts';
import { waitUntil } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

describe('a triggered run whose models are busy', () => {
  const server = timeSkippingServerPerTest();

  it('waits queued with the reason and runs once the holding run ends, skipping nothing', async () => {
    const env = server();
    const scheduler = new FakeScheduler([
      scheduled('shop.a', '0 * * * *'),
      scheduled('shop.b', '0 * * * *', 'UTC', ['shop.a']),
      scheduled('shop.c', '0 * * * *'),
    ]);
    const executor = new FakeExecutor();
    executor.hold('shop.a');
    const harness = await createHarness(env, {
      scheduler: scheduler.activities(),
      run: executor.activities(),
    });
    await harness.run(async () => {
      try {
        const handle = await env.client.workflow.start(environmentWorkflow, {
          taskQueue: TASK_QUEUES.scheduler,
          workflowId: 'sluice-env-queue',
          args: [{ environment: 'queue', searchAttributes: false }],
        });
        const first = await handle.executeUpdate(triggerRunUpdate, {
          args: [{ models: ['shop.a'], requestedBy: 'ann' }],
        });
        await waitUntil(() => executor.executed.some((e) => e.model === 'shop.a'));
        const second = await handle.executeUpdate(triggerRunUpdate, {
          args: [{ models: ['shop.b', 'shop.c'], requestedBy: 'bob' }],
        });
        const third = await handle.executeUpdate(triggerRunUpdate, {
          args: [{ models: ['shop.a'], requestedBy: 'cy' }],
        });
        await waitUntil(() => scheduler.queued.length === 2);
        // The third is cancelled while it waits: it leaves the queue and never starts.
        await handle.signal(cancelQueuedRunSignal, third.runId, 'dee');
        await waitUntil(() => scheduler.queuedEnded.length === 1);
        expect(scheduler.queuedEnded).toEqual([
          { runId: third.runId, status: 'cancelled', reason: 'cancelled by dee while queued' },
        ]);
        expect(scheduler.queued.slice(0, 1)).toEqual([
          {
            runId: second.runId,
            reason: `waiting for run ${first.runId} of the same models`,
            models: ['shop.b', 'shop.c'],
          },
        ]);
        expect(scheduler.runsStarted.map((r) => r.runId)).toEqual([first.runId]);

        executor.release('shop.a');
        await waitUntil(() => scheduler.runsFinished.length === 2);
        expect(scheduler.runsStarted.map((r) => [r.runId, r.models])).toEqual([
          [first.runId, ['shop.a']],
          [second.runId, ['shop.b', 'shop.c']],
        ]);
        expect(scheduler.runsFinished.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
        expect(scheduler.skips).toEqual([]);
        const [a, b] = scheduler.runsFinished;
        expect(b!.readyAt!).toBeGreaterThanOrEqual(a!.finishedAt);
        // Its wait runs from the request to the moment its models were free.
        expect(b!.readyAt! - b!.scheduledAt).toBeGreaterThan(0);
        await handle.terminate();
      } finally {
        executor.releaseAll();
      }
    });
  });
});
