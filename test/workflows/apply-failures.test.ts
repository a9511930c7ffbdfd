/**
 * Plan applications that fail, are cancelled or are terminated, through the production environment
 * and apply workflows: each ends with the plan's record final, the environment's views untouched,
 * and the next plan in the queue applied. The backfill is a chain (m.a -> m.b -> m.c) with an
 * independent model beside it; m.b fails.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { environmentWorkflow } from '../../workflows/environment.ts';
import { cancelPlanSignal, stateQuery, submitPlanUpdate } from '../../workflows/signals.ts';
import {
  BATCH_FAILURES,
  type BatchFailure,
  FakeExecutor,
  FakeScheduler,
  scheduled,
} from '../support/fake-activities.ts';
import { startDevServer, timeSkippingServerPerTest } from '../support/temporal.ts';
import { waitUntil } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

const MODELS = [
  scheduled('m.a', '@daily'),
  scheduled('m.b', '@daily', 'UTC', ['m.a']),
  scheduled('m.c', '@daily', 'UTC', ['m.b']),
  scheduled('m.i', '@daily'),
];
const BACKFILL = MODELS.map((m) => m.name);

/** The environment, its fakes and workers on `env`; `applied` waits for a plan's application. */
async function stack(env: TestWorkflowEnvironment, name: string) {
  const scheduler = new FakeScheduler(MODELS);
  scheduler.produceWork = false;
  scheduler.temporal = env.client;
  const executor = new FakeExecutor();
  const harness = await createHarness(env, {
    scheduler: scheduler.activities(),
    run: executor.activities(),
  });
  const start = () =>
    env.client.workflow.start(environmentWorkflow, {
      taskQueue: TASK_QUEUES.scheduler,
      workflowId: `sluice-env-${name}`,
      args: [{ environment: name, searchAttributes: false }],
    });
  /** the plan's apply workflow result, once the environment has started it. */
  const applied = async (planId: string) => {
    await waitUntil(() => scheduler.plansBegun.includes(planId), 30_000);
    return env.client.workflow.getHandle(`sluice-plan-${planId}`).result();
  };
  return { scheduler, executor, harness, start, applied };
}

describe('a plan whose application fails', () => {
  const server = timeSkippingServerPerTest();

  it.each(Object.keys(BATCH_FAILURES) as BatchFailure[])(
    '%s: the plan ends failed with each model’s outcome, the views stay, and the next plan applies',
    async (kind) => {
      const { scheduler, executor, harness, start, applied } = await stack(server(), `apply-${kind}`);
      executor.fail('m.b', kind);
      scheduler.planBackfill.set('broken', BACKFILL);
      scheduler.planBackfill.set('fixed', BACKFILL);
      await harness.run(async () => {
        const handle = await start();
        await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'broken', submittedBy: 'ci' }] });
        await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'fixed', submittedBy: 'ci' }] });
        const broken = server().client.workflow.getHandle('sluice-plan-broken');
        await expect(broken.result()).rejects.toThrow();

        const failed = scheduler.plansFinished.find((p) => p.planId === 'broken')!;
        expect(failed.status).toBe('failed');
        expect(failed.error).toMatch(
          new RegExp(`m\\.b failed: m\\.b \\[[^)]*\\): ${BATCH_FAILURES[kind].type}: `),
        );
        expect(failed.error).toContain('m.c skipped: upstream m.b failed');
        expect(failed.error).not.toContain('m.a');
        expect(failed.error).not.toContain('m.i');
        expect(scheduler.completions.filter((c) => c.model === 'm.b')).toEqual([
          expect.objectContaining({ status: 'failed', attempt: BATCH_FAILURES[kind].attempts }),
        ]);
        // Nothing of the failed plan reached the environment's views.
        expect(executor.promoted).toEqual([]);

        // The queue goes on: once the executor is healed, the next plan applies.
        executor.heal('m.b');
        await applied('fixed');
        expect(scheduler.plansFinished.map((p) => [p.planId, p.status])).toEqual([
          ['broken', 'failed'],
          ['fixed', 'applied'],
        ]);
        expect(executor.promoted).toEqual([{ environment: `apply-${kind}`, models: BACKFILL }]);
        // The environment learns of the application's end a moment after its result.
        await waitUntil(async () => (await handle.query(stateQuery)).applyingPlan === null);
        const state = await handle.query(stateQuery);
        expect(state.plansQueued).toEqual([]);
        await handle.terminate();
      });
    },
  );

  it('a cancelled application stops its statements, leaves the views, and the next plan applies', async () => {
    const { scheduler, executor, harness, start, applied } = await stack(server(), 'apply-cancel');
    executor.hold('m.b');
    scheduler.planBackfill.set('slow', BACKFILL);
    try {
      await harness.run(async () => {
        const handle = await start();
        await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'slow', submittedBy: 'ci' }] });
        await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'next', submittedBy: 'ci' }] });
        await waitUntil(() => executor.executed.some((e) => e.model === 'm.b'));
        const during = await handle.query(stateQuery);
        expect(during.applying).toMatchObject({ planId: 'slow', workflowId: 'sluice-plan-slow' });
        expect(during.workInFlight).toEqual([
          expect.objectContaining({ kind: 'plan', id: 'slow', workflowId: 'sluice-plan-slow' }),
        ]);
        await handle.signal(cancelPlanSignal, 'slow', 'oncall');
        await applied('next');

        expect(executor.cancelled).toEqual(['m.b']);
        const cancelled = scheduler.plansFinished.find((p) => p.planId === 'slow')!;
        expect(cancelled.status).toBe('cancelled');
        expect(executor.promoted.map((p) => p.models)).toEqual([BACKFILL]);
        expect(scheduler.plansFinished.map((p) => [p.planId, p.status])).toEqual([
          ['slow', 'cancelled'],
          ['next', 'applied'],
        ]);
        await handle.terminate();
      });
    } finally {
      executor.releaseAll();
    }
  });

  it('a queued plan cancelled leaves the queue without being applied', async () => {
    const { scheduler, executor, harness, start, applied } = await stack(server(), 'apply-queued');
    executor.hold('m.a');
    try {
      await harness.run(async () => {
        const handle = await start();
        await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'first', submittedBy: 'ci' }] });
        await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'queued', submittedBy: 'ci' }] });
        await waitUntil(() => executor.executed.some((e) => e.model === 'm.a'));
        await handle.signal(cancelPlanSignal, 'queued', 'oncall');
        await waitUntil(async () => (await handle.query(stateQuery)).plansQueued.length === 1);
        expect(scheduler.plansFinished).toEqual([
          { planId: 'queued', status: 'cancelled', error: 'cancelled by oncall while queued' },
        ]);
        executor.release('m.a');
        await applied('first');
        expect(scheduler.plansBegun).toEqual(['first']);
        expect(scheduler.plansFinished.map((p) => [p.planId, p.status])).toEqual([
          ['queued', 'cancelled'],
          ['first', 'applied'],
        ]);
        await handle.terminate();
      });
    } finally {
      executor.releaseAll();
    }
  });
});

// The time-skipping server does not tell a parent that its child was terminated; the dev server does.
describe('a plan whose application is terminated', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await startDevServer();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('an application terminated from the Temporal side is recorded terminated, and the queue goes on', async () => {
    const { scheduler, executor, harness, start, applied } = await stack(env, 'apply-terminated');
    executor.hold('m.a');
    try {
      await harness.run(async () => {
        const handle = await start();
        await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'doomed', submittedBy: 'ci' }] });
        await handle.executeUpdate(submitPlanUpdate, { args: [{ planId: 'after', submittedBy: 'ci' }] });
        await waitUntil(() => executor.executed.some((e) => e.model === 'm.a'));
        await env.client.workflow.getHandle('sluice-plan-doomed').terminate('operator gave up');
        executor.release('m.a');
        await applied('after');
        const doomed = scheduler.plansFinished.find((p) => p.planId === 'doomed')!;
        expect(doomed.status).toBe('terminated');
        expect(doomed.error).toContain('terminated');
        expect(scheduler.plansFinished.map((p) => p.planId)).toEqual(['doomed', 'after']);
        await handle.terminate();
      });
    } finally {
      executor.releaseAll();
    }
  });
});
