import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { ticksBetween } from '../../core/cron.ts';
import { environmentWorkflow, stateQuery } from '../../workflows/environment.ts';
import { FakeExecutor, FakeScheduler, scheduled } from '../support/fake-activities.ts';
import { startTimeSkippingServer } from '../support/temporal.ts';
import { createHarness } from '../support/workflow-harness.ts';

const DAY = 86_400_000;

describe('environment workflow over a simulated year', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startTimeSkippingServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('wakes at exactly every tick of two zones across both DST changes, with bounded history', async () => {
    const models = [
      // 02:30 does not exist in New York on spring-forward day; 01:30 happens twice in London on fall-back day.
      scheduled('ny.daily', '30 2 * * *', 'America/New_York'),
      scheduled('london.daily', '30 1 * * *', 'Europe/London'),
    ];
    const scheduler = new FakeScheduler(models);
    scheduler.produceWork = false;
    const harness = await createHarness(env, {
      scheduler: scheduler.activities(),
      run: new FakeExecutor().activities(),
    });
    await harness.run(async () => {
      const handle = await env.client.workflow.start(environmentWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: 'sluice-env-year',
        args: [{ environment: 'year', searchAttributes: false, maxHistoryEvents: 400 }],
      });
      const start = await env.currentTimeMs();
      await env.sleep(366 * DAY);
      const end = await env.currentTimeMs();

      for (const m of models) {
        const woke = scheduler.dueCalls.filter((c) => c.models.includes(m.name)).map((c) => c.now);
        const expected = ticksBetween(m.cron, m.cronTz, start, end);
        expect(expected.length).toBeGreaterThanOrEqual(365);
        // The workflow wakes at the tick itself (the test server may report the wake a few ms later).
        expect(woke.length).toBe(expected.length);
        woke.forEach((t, i) => {
          expect(t - expected[i]!).toBeGreaterThanOrEqual(0);
          expect(t - expected[i]!).toBeLessThan(1000);
        });
      }
      const ny = scheduler.dueCalls
        .filter((c) => c.models.includes('ny.daily'))
        .map((c) => c.now - (c.now % 1000));
      // Spring forward 2027-03-14 in New York: 02:30 does not exist, the tick fires once at 03:00 EDT.
      expect(ny).toContain(Date.UTC(2027, 2, 14, 7, 0));
      expect(ny.filter((t) => new Date(t).toISOString().startsWith('2027-03-14'))).toHaveLength(1);
      // Fall back 2027-10-31 in London: 01:30 happens twice, the tick fires once.
      const london = scheduler.dueCalls.filter((c) => c.models.includes('london.daily')).map((c) => c.now);
      expect(london.filter((t) => new Date(t).toISOString().startsWith('2027-10-31'))).toHaveLength(1);
      expect(london.filter((t) => new Date(t).toISOString().startsWith('2027-10-31T00:30'))).toHaveLength(1);

      // Long life: the workflow continued as new, and no run's history grew past the limit.
      const { historyLength, runId } = await handle.describe();
      expect(runId).not.toBe(handle.firstExecutionRunId);
      expect(historyLength).toBeLessThan(450);
      const state = await handle.query(stateQuery);
      expect(state.nextWake?.at).toBeGreaterThan(end);
      await handle.terminate();
    });
  }, 240_000);
});
