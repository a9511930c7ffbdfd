/**
 * The environment workflow refuses a `triggerRun` update that bypasses the API (sent to Temporal
 * directly) by the same checks the API makes: a range out of bounds, outside the models' life or
 * off their interval boundaries, and an ill-formed or unknown model. The validator refuses it once
 * the schedule is loaded; one taken before is refused by the handler once it is. Nothing is cleared
 * and no run starts.
 */

import { WorkflowUpdateStage } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import type { ScheduledModel } from '../../core/schedule.ts';
import { environmentWorkflow } from '../../workflows/environment.ts';
import { stateQuery, triggerRunUpdate } from '../../workflows/signals.ts';
import { FakeExecutor, FakeScheduler, scheduled } from '../support/fake-activities.ts';
import { startTimeSkippingServer } from '../support/temporal.ts';
import { waitFor } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

const HOUR = 3_600_000;

/** Two hourly models whose life began two days before `now`. */
function hourlyModels(now: number): ScheduledModel[] {
  const startMs = Math.floor(now / HOUR) * HOUR - 48 * HOUR;
  return [
    { ...scheduled('shop.a', '0 * * * *'), intervalUnit: 'hour', startMs },
    { ...scheduled('shop.b', '0 * * * *', 'UTC', ['shop.a']), intervalUnit: 'hour', startMs },
  ];
}

describe('environment workflow admission of triggers', () => {
  let env: TestWorkflowEnvironment;
  beforeEach(async () => {
    env = await startTimeSkippingServer();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  function start(id: string) {
    return env.client.workflow.start(environmentWorkflow, {
      taskQueue: TASK_QUEUES.scheduler,
      workflowId: `sluice-env-${id}`,
      args: [{ environment: id, searchAttributes: false }],
    });
  }

  it('refuses bad ranges and model names sent straight to Temporal, and starts nothing', async () => {
    const now = await env.currentTimeMs();
    const scheduler = new FakeScheduler(hourlyModels(now));
    scheduler.produceWork = false;
    const harness = await createHarness(env, {
      scheduler: scheduler.activities(),
      run: new FakeExecutor().activities(),
    });
    await harness.run(async () => {
      const handle = await start('direct');
      await waitFor(
        'the schedule',
        async () => ((await handle.query(stateQuery)).models.length === 2 ? true : undefined),
        30_000,
      );
      const lastHour = Math.floor(now / HOUR) * HOUR;
      const cases: Array<[Record<string, unknown>, string]> = [
        [
          { restate: { start: -99_999_999_999_999, end: -1 } },
          'restate.start (-99999999999999) is out of range',
        ],
        [{ models: ['shop.a'], restate: { start: lastHour, end: lastHour - HOUR } }, 'restate.end'],
        [
          { models: ['shop.a'], restate: { start: lastHour - 72 * HOUR, end: lastHour } },
          `restate.start (${new Date(lastHour - 72 * HOUR).toISOString()}) is before the start of shop.a`,
        ],
        [
          { models: ['shop.a'], restate: { start: lastHour - HOUR + 60_000, end: lastHour } },
          "is not on a boundary of shop.a's interval unit (hour)",
        ],
        [{ models: ['orders'] }, 'models[0] "orders" is not a model name'],
        [{ models: ['shop.nope'] }, 'environment direct has no model shop.nope'],
      ];
      for (const [request, message] of cases) {
        await expect(
          handle.executeUpdate(triggerRunUpdate, { args: [{ ...request, requestedBy: 'mallory' }] }),
          JSON.stringify(request),
        ).rejects.toMatchObject({ cause: { message: expect.stringContaining(message) } });
      }
      expect(scheduler.cleared).toEqual([]);
      expect(scheduler.runsStarted).toEqual([]);
      // a range the models can take is taken
      const { runId } = await handle.executeUpdate(triggerRunUpdate, {
        args: [
          { models: ['shop.a'], restate: { start: lastHour - 2 * HOUR, end: lastHour }, requestedBy: 'bob' },
        ],
      });
      expect(runId).toMatch(/^sluice-run-direct-restatement-/);
      await waitFor(
        'the intervals cleared',
        async () => (scheduler.cleared.length > 0 ? true : undefined),
        30_000,
      );
      expect(scheduler.cleared).toEqual([
        { models: ['shop.a', 'shop.b'], start: lastHour - 2 * HOUR, end: lastHour },
      ]);
      await handle.terminate();
    });
  });

  it('refuses in the handler a bad range it took before the schedule was loaded', async () => {
    const now = await env.currentTimeMs();
    const scheduler = new FakeScheduler(hourlyModels(now));
    scheduler.produceWork = false;
    const activities = scheduler.activities();
    let release: () => void = () => {};
    const loaded = new Promise<void>((resolve) => {
      release = resolve;
    });
    const load = activities.loadSchedule;
    activities.loadSchedule = async (environment) => {
      await loaded;
      return load(environment);
    };
    const harness = await createHarness(env, { scheduler: activities, run: new FakeExecutor().activities() });
    await harness.run(async () => {
      const handle = await start('early');
      const lastHour = Math.floor(now / HOUR) * HOUR;
      const early = lastHour - 72 * HOUR;
      const update = await handle.startUpdate(triggerRunUpdate, {
        args: [{ models: ['shop.a'], restate: { start: early, end: lastHour }, requestedBy: 'mallory' }],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      release();
      await expect(update.result()).rejects.toMatchObject({
        cause: { message: expect.stringContaining('is before the start of shop.a'), type: 'INVALID_INPUT' },
      });
      expect(scheduler.cleared).toEqual([]);
      expect(scheduler.runsStarted).toEqual([]);
      await handle.terminate();
    });
  });
});
