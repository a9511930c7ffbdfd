import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { environmentWorkflow } from '../../workflows/environment.ts';
import {
  pauseEnvironmentSignal,
  pauseModelSignal,
  resumeEnvironmentSignal,
  resumeModelSignal,
  stateQuery,
  submitPlanUpdate,
  triggerRunUpdate,
} from '../../workflows/signals.ts';
import { FakeExecutor, FakeScheduler, scheduled } from '../support/fake-activities.ts';
import { startTimeSkippingServer } from '../support/temporal.ts';
import { waitFor } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** a -> b (b reads a), and c on its own; all hourly. */
function threeModels() {
  return [
    scheduled('shop.a', '0 * * * *'),
    scheduled('shop.b', '0 * * * *', 'UTC', ['shop.a']),
    scheduled('shop.c', '0 * * * *'),
  ];
}

async function until(check: () => boolean, env: TestWorkflowEnvironment, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `timed out waiting for ${what} (time ${new Date(await env.currentTimeMs()).toISOString()})`,
  );
}

/** Lets every run the test started finish, then ends the environment workflow. */
async function finish(
  handle: { terminate(): Promise<unknown> },
  scheduler: FakeScheduler,
  env: TestWorkflowEnvironment,
): Promise<void> {
  await until(
    () => scheduler.runsFinished.length >= scheduler.runsStarted.length,
    env,
    'runs in flight to end',
  );
  await handle.terminate();
}

describe('environment workflow control', () => {
  // A fresh test server per test: no workflow or timer of one test can hold another's clock.
  let env: TestWorkflowEnvironment;
  beforeEach(async () => {
    env = await startTimeSkippingServer();
  });
  afterEach(async () => {
    await env?.teardown();
  });

  async function setup(
    id: string,
    scheduler: FakeScheduler,
    executor: FakeExecutor,
    { maxHistoryEvents, period = HOUR }: { maxHistoryEvents?: number; period?: number } = {},
  ) {
    const inner = await createHarness(env, { scheduler: scheduler.activities(), run: executor.activities() });
    const harness = {
      run: <T>(fn: () => Promise<T>) =>
        inner.run(async () => {
          try {
            return await fn();
          } finally {
            executor.releaseAll();
          }
        }),
    };
    return {
      harness,
      /** starts the environment one second after a cron boundary, so every test has the same timeline. */
      start: async () => {
        const now = await env.currentTimeMs();
        await env.sleep(period - (now % period) + 1000);
        return env.client.workflow.start(environmentWorkflow, {
          taskQueue: TASK_QUEUES.scheduler,
          workflowId: `sluice-env-${id}`,
          args: [{ environment: id, searchAttributes: false, maxHistoryEvents }],
        });
      },
    };
  }

  it('skips a paused model and its downstream, and catches them up on resume', async () => {
    const scheduler = new FakeScheduler(threeModels());
    const executor = new FakeExecutor();
    const { harness, start } = await setup('pausing', scheduler, executor);
    await harness.run(async () => {
      const handle = await start();
      await handle.signal(pauseModelSignal, 'shop.a', 'source is late', 'alice');
      await env.sleep(2 * HOUR + MINUTE);
      const ticked = scheduler.dueCalls.map((c) => c.models);
      expect(ticked).toEqual([['shop.c'], ['shop.c']]);
      const state = await handle.query(stateQuery);
      expect(state.pauses.models['shop.a']).toMatchObject({ reason: 'source is late', actor: 'alice' });
      expect(state.blocked).toEqual({
        'shop.a': 'paused: source is late',
        'shop.b': 'upstream shop.a is paused',
      });
      expect(state.details).toContain('paused: shop.a (source is late)');

      const before = scheduler.dueCalls.length;
      await handle.signal(resumeModelSignal, 'shop.a', 'alice');
      await until(() => scheduler.dueCalls.length > before, env, 'the catch-up run');
      // Catch-up runs at once, before the next tick, for the resumed model and its downstream.
      expect(scheduler.dueCalls[before]!.models).toEqual(['shop.a', 'shop.b']);
      expect(scheduler.pauseChanges.map((p) => [p.action, p.model, p.actor])).toEqual([
        ['pause', 'shop.a', 'alice'],
        ['resume', 'shop.a', 'alice'],
      ]);
      await finish(handle, scheduler, env);
    });
  });

  it('pausing the whole environment stops every model until it resumes', async () => {
    const scheduler = new FakeScheduler(threeModels());
    const { harness, start } = await setup('env-pause', scheduler, new FakeExecutor());
    await harness.run(async () => {
      const handle = await start();
      await handle.signal(pauseEnvironmentSignal, 'warehouse maintenance', 'ops');
      await env.sleep(3 * HOUR);
      expect(scheduler.dueCalls).toEqual([]);
      const paused = await handle.query(stateQuery);
      expect(paused.paused).toBe(true);
      expect(paused.nextWake).toBeNull();
      expect(paused.details).toContain('paused: environment (warehouse maintenance)');
      await handle.signal(resumeEnvironmentSignal, 'ops');
      await until(() => scheduler.dueCalls.length > 0, env, 'the catch-up run');
      expect(scheduler.dueCalls[0]!.models).toEqual(['shop.a', 'shop.b', 'shop.c']);
      await finish(handle, scheduler, env);
    });
  });

  it('a slow model does not hold back independent models; its new intervals wait for its next execution', async () => {
    const everyMinute = [
      scheduled('shop.a', '* * * * *'),
      scheduled('shop.b', '* * * * *', 'UTC', ['shop.a']),
      scheduled('shop.c', '* * * * *'),
    ];
    const scheduler = new FakeScheduler(everyMinute);
    const executor = new FakeExecutor();
    executor.hold('shop.a');
    const { harness, start } = await setup('slow', scheduler, executor, { period: MINUTE });
    await harness.run(async () => {
      const handle = await start();
      await env.sleep(MINUTE - 2000);
      // Time stops skipping while shop.a's execution is in progress: the next minute passes in real time.
      await env.sleep(2000);
      await until(() => executor.executed.some((e) => e.model === 'shop.a'), env, 'shop.a to start');
      await env.sleep(MINUTE);
      await until(() => scheduler.dueCalls.length >= 2, env, 'the second tick');
      expect(scheduler.dueCalls.map((c) => c.models)).toEqual([['shop.a', 'shop.b', 'shop.c'], ['shop.c']]);
      expect(executor.executed.filter((e) => e.model === 'shop.c')).toHaveLength(2);
      expect(scheduler.skips.map((s) => [s.model, s.reason.replace(/sluice-run-\S+/, 'RUN')])).toEqual([
        ['shop.a', 'previous execution still running in RUN'],
        ['shop.b', 'previous execution still running in RUN'],
      ]);
      const state = await handle.query(stateQuery);
      expect(state.modelsInFlight).toEqual(['shop.a', 'shop.b']);

      const calls = scheduler.dueCalls.length;
      executor.release('shop.a');
      // As the slow run ends, the skipped models catch up at once, each in one execution (no queue of
      // runs): shop.a as soon as it finished, shop.b once it finished in the slow run too.
      const caughtUp = () => scheduler.dueCalls.slice(calls).flatMap((c) => c.models);
      await until(() => caughtUp().includes('shop.a') && caughtUp().includes('shop.b'), env, 'the catch-up');
      expect(caughtUp().sort()).toEqual(['shop.a', 'shop.b']);
      expect(scheduler.dueCalls[calls]!.models[0]).toBe('shop.a');
      await finish(handle, scheduler, env);
    });
  }, 180_000);

  it('applies ten concurrently submitted plans one at a time, in submission order, never during a run', async () => {
    const scheduler = new FakeScheduler(threeModels());
    const executor = new FakeExecutor();
    executor.hold('shop.c');
    const { harness, start } = await setup('plans', scheduler, executor);
    await harness.run(async () => {
      const handle = await start();
      await env.sleep(HOUR - 2000);
      await env.sleep(2000);
      await until(() => executor.executed.some((e) => e.model === 'shop.c'), env, 'the first run');
      const ids = Array.from({ length: 10 }, (_, i) => `plan-${String(i).padStart(2, '0')}`);
      const accepted = await Promise.all(
        ids.map((planId) =>
          handle.executeUpdate(submitPlanUpdate, { args: [{ planId, submittedBy: 'ci' }] }),
        ),
      );
      // Nothing applies while the run is in flight.
      expect(scheduler.plansBegun).toEqual([]);
      const inOrder = [...accepted].sort((a, b) => a.position - b.position).map((a) => a.planId);
      expect(new Set(accepted.map((a) => a.position)).size).toBe(10);
      const duplicate = handle.executeUpdate(submitPlanUpdate, {
        args: [{ planId: inOrder[3]!, submittedBy: 'ci' }],
      });
      await expect(duplicate).rejects.toMatchObject({
        cause: { message: `plan ${inOrder[3]} is already queued for environment plans` },
      });

      const ticksBefore = scheduler.dueCalls.length;
      executor.release('shop.c');
      await until(() => scheduler.plansFinished.length === 10, env, 'ten plans');
      expect(scheduler.plansBegun).toEqual(inOrder);
      expect(scheduler.plansFinished.map((p) => p.planId)).toEqual(inOrder);
      // One timeline of begins and finishes: each plan finishes before the next one begins.
      expect(scheduler.timeline).toEqual(inOrder.flatMap((id) => [`begin ${id}`, `finish ${id}`]));
      expect(scheduler.plansFinished.every((p) => p.status === 'applied')).toBe(true);
      // No scheduled run started while plans were queued or applying.
      expect(scheduler.dueCalls.length).toBe(ticksBefore);
      await finish(handle, scheduler, env);
    });
  });

  it('a triggered run and a restatement run now, for the selected models and their up/downstream', async () => {
    const scheduler = new FakeScheduler(threeModels());
    const { harness, start } = await setup('triggers', scheduler, new FakeExecutor());
    await harness.run(async () => {
      const handle = await start();
      const { runId } = await handle.executeUpdate(triggerRunUpdate, {
        args: [{ models: ['shop.b'], includeUpstream: true, requestedBy: 'bob' }],
      });
      expect(runId).toMatch(/^sluice-run-triggers-manual-\d{8}T\d{4,6}Z-[0-9a-f]{8}$/);
      await until(() => scheduler.runsStarted.length === 1, env, 'the manual run');
      expect(scheduler.runsStarted[0]).toMatchObject({
        runId,
        trigger: 'manual',
        models: ['shop.a', 'shop.b'],
      });

      await until(() => scheduler.runsFinished.length === 1, env, 'the manual run to finish');
      await handle.executeUpdate(triggerRunUpdate, {
        args: [{ models: ['shop.a'], restate: { start: 0, end: HOUR }, requestedBy: 'bob' }],
      });
      await until(() => scheduler.runsStarted.length === 2, env, 'the restatement');
      expect(scheduler.cleared).toEqual([{ models: ['shop.a', 'shop.b'], start: 0, end: HOUR }]);
      expect(scheduler.runsStarted[1]).toMatchObject({
        trigger: 'restatement',
        models: ['shop.a', 'shop.b'],
      });

      await expect(
        handle.executeUpdate(triggerRunUpdate, { args: [{ models: ['shop.nope'], requestedBy: 'bob' }] }),
      ).rejects.toMatchObject({ cause: { message: 'environment triggers has no model shop.nope' } });
      await finish(handle, scheduler, env);
    });
  });

  it('continue-as-new keeps pauses and runs in flight', async () => {
    const scheduler = new FakeScheduler(threeModels());
    const executor = new FakeExecutor();
    executor.hold('shop.a');
    const { harness, start } = await setup('long-life', scheduler, executor, { maxHistoryEvents: 40 });
    await harness.run(async () => {
      const handle = await start();
      await handle.signal(pauseModelSignal, 'shop.c', 'owner away', 'carol');
      await env.sleep(HOUR - 2000);
      await env.sleep(2000);
      await until(() => executor.executed.some((e) => e.model === 'shop.a'), env, 'the held run');
      // Signals grow the history past the limit while the run is in flight.
      for (let i = 0; i < 8; i++)
        await handle.signal(pauseModelSignal, 'shop.c', `owner away (${i})`, 'carol');
      await until(() => scheduler.pauseChanges.length === 9, env, 'every pause recorded');
      // the workflow continues as new once the signal handlers' activities have finished, a moment
      // after the last pause is recorded
      const described = await waitFor(
        'the workflow to continue as new',
        async () => {
          const current = await handle.describe();
          return current.runId !== handle.firstExecutionRunId ? current : undefined;
        },
        30_000,
      );
      expect(described.runId).not.toBe(handle.firstExecutionRunId);
      const state = await handle.query(stateQuery);
      expect(state.pauses.models['shop.c']).toMatchObject({ reason: 'owner away (7)', actor: 'carol' });
      expect(state.runsInFlight.map((r) => r.models)).toEqual([['shop.a', 'shop.b']]);
      executor.release('shop.a');
      await until(() => scheduler.runsFinished.length === 1, env, 'the held run to finish');
      // The run's report reaches the continued workflow, which forgets the run and records the outcome.
      let after = await handle.query(stateQuery);
      for (let i = 0; i < 100 && after.runsInFlight.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = await handle.query(stateQuery);
      }
      expect(after.runsInFlight).toEqual([]);
      expect(after.lastExecutions['shop.a']?.status).toBe('succeeded');
      expect(after.pauses.models['shop.c']?.reason).toBe('owner away (7)');
      await finish(handle, scheduler, env);
    });
  });
});
