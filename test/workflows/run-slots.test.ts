/**
 * The run-slot keeper with the production run workflow, on the time-skipping server: a run waits
 * queued while the slots are taken and says why, a freed slot goes to the highest priority first,
 * a cancelled waiter leaves the queue, a terminated holder's slot is reclaimed; and, on the dev
 * server (whose continue-as-new is atomic), the keeper continues as new without losing a lease.
 * A run without slots never asks the keeper.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import type { RunReport, RunRequest } from '../../activities/contracts.ts';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { RUN_SLOTS_WORKFLOW_ID } from '../../core/run-slots.ts';
import { runWorkflow } from '../../workflows/run.ts';
import { runSlotsWorkflow } from '../../workflows/run-slots.ts';
import { runSlotsQuery } from '../../workflows/signals.ts';
import { FakeExecutor, FakeScheduler, scheduled } from '../support/fake-activities.ts';
import { startDevServer, timeSkippingServerPerTest } from '../support/temporal.ts';
import { waitUntil } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

const HOUR = 3_600_000;
const MODELS = ['m.a', 'm.b', 'm.c', 'm.d'].map((name) => scheduled(name, '0 * * * *'));

function request(runId: string, model: string, runSlots?: { limit: number; priority: number }): RunRequest {
  return {
    runId,
    environment: runId.split('-')[0]!,
    trigger: 'manual',
    scheduledAt: 0,
    work: [{ model, snapshotId: `${model}@v1`, gateway: 'warehouse', dependsOn: [], batches: [[0, HOUR]] }],
    threads: 1,
    executorQueue: TASK_QUEUES.run,
    ...(runSlots ? { runSlots } : {}),
  };
}

async function stack(server: TestWorkflowEnvironment) {
  const scheduler = new FakeScheduler(MODELS);
  scheduler.temporal = server.client;
  const executor = new FakeExecutor();
  const harness = await createHarness(server, {
    scheduler: scheduler.activities(),
    run: executor.activities(),
  });
  const start = (req: RunRequest) =>
    server.client.workflow.start(runWorkflow, {
      taskQueue: TASK_QUEUES.scheduler,
      workflowId: req.runId,
      args: [req],
    });
  const slots = () => server.client.workflow.getHandle(RUN_SLOTS_WORKFLOW_ID).query(runSlotsQuery);
  return { scheduler, executor, harness, start, slots };
}

describe('run slots on the time-skipping server', () => {
  const server = timeSkippingServerPerTest();

  it('queues a run while the slot is taken, with the reason, and runs it once the holder ends', async () => {
    const { scheduler, executor, harness, start, slots } = await stack(server());
    executor.hold('m.a');
    await harness.run(async () => {
      const a = await start(request('prod-a', 'm.a', { limit: 1, priority: 0 }));
      await waitUntil(() => scheduler.ready.some((r) => r.runId === 'prod-a'));
      const b = await start(request('dev-b', 'm.b', { limit: 1, priority: 0 }));
      await waitUntil(() => scheduler.queued.some((q) => q.runId === 'dev-b'));
      expect(scheduler.queued).toEqual([
        { runId: 'dev-b', reason: 'waiting for a run slot: 1 of 1 in use by prod-a', models: ['m.b'] },
      ]);
      expect(executor.executed.map((e) => e.model)).not.toContain('m.b');
      executor.release('m.a');
      const first: RunReport = await a.result();
      const second: RunReport = await b.result();
      expect(second.status).toBe('succeeded');
      // The intervals the two runs held their slot do not overlap.
      expect(second.readyAt!).toBeGreaterThanOrEqual(first.finishedAt);
      expect(second.readyAt! - second.scheduledAt).toBeGreaterThan(0);
      expect(scheduler.ready.map((r) => r.runId)).toEqual(['prod-a', 'dev-b']);
      await waitUntil(async () => (await slots()).holders.length === 0);
      expect(await slots()).toMatchObject({ limit: 1, holders: [], waiters: [] });
    });
  });

  it('grants a freed slot to the highest priority first, first come first within a priority', async () => {
    const { scheduler, executor, harness, start } = await stack(server());
    executor.hold('m.a');
    await harness.run(async () => {
      const holder = await start(request('prod-hold', 'm.a', { limit: 1, priority: 10 }));
      await waitUntil(() => scheduler.ready.length === 1);
      const waiting = [];
      for (const [runId, priority] of [
        ['dev-1', 0],
        ['prod-2', 10],
        ['dev-3', 0],
        ['prod-4', 10],
      ] as const) {
        waiting.push(await start(request(runId, 'm.b', { limit: 1, priority })));
        await waitUntil(() => scheduler.queued.some((q) => q.runId === runId));
      }
      executor.release('m.a');
      await holder.result();
      for (const run of waiting) await run.result();
      expect(scheduler.ready.map((r) => r.runId)).toEqual([
        'prod-hold',
        'prod-2',
        'prod-4',
        'dev-1',
        'dev-3',
      ]);
    });
  });

  it('a run cancelled while queued ends cancelled and leaves the queue', async () => {
    const { scheduler, executor, harness, start, slots } = await stack(server());
    executor.hold('m.a');
    await harness.run(async () => {
      await start(request('prod-a', 'm.a', { limit: 1, priority: 0 }));
      await waitUntil(() => scheduler.ready.length === 1);
      const b = await start(request('dev-b', 'm.b', { limit: 1, priority: 0 }));
      await waitUntil(() => scheduler.queued.length === 1);
      await b.cancel();
      await expect(b.result()).rejects.toThrow();
      const report = scheduler.runsFinished.find((r) => r.runId === 'dev-b')!;
      expect(report.status).toBe('cancelled');
      expect(report.models['m.b']).toMatchObject({
        status: 'cancelled',
        reason: 'the run was cancelled while it waited for a run slot',
      });
      await waitUntil(async () => (await slots()).waiters.length === 0);
      expect((await slots()).holders.map((h) => h.runId)).toEqual(['prod-a']);
      executor.release('m.a');
    });
  });

  it('reclaims the slot of a holder whose workflow was terminated', async () => {
    const { scheduler, executor, harness, start, slots } = await stack(server());
    executor.hold('m.a');
    await harness.run(async () => {
      // A keeper that checks its holders' workflows every second (every minute by default).
      await server().client.workflow.start(runSlotsWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: RUN_SLOTS_WORKFLOW_ID,
        args: [{ limit: 1, checkEveryMs: 1_000 }],
      });
      const a = await start(request('prod-a', 'm.a', { limit: 1, priority: 0 }));
      await waitUntil(() => scheduler.ready.length === 1);
      const b = await start(request('dev-b', 'm.b', { limit: 1, priority: 0 }));
      await waitUntil(() => scheduler.queued.length === 1);
      // Terminated: no finally runs, no release is sent; the keeper's check finds it closed.
      await a.terminate('the test kills it');
      // Its segment activity, left running on the executor, ends on its own.
      executor.releaseAll();
      await waitUntil(async () => (await slots()).holders.some((h) => h.runId === 'dev-b'));
      const report: RunReport = await b.result();
      expect(report.status).toBe('succeeded');
      expect((await slots()).holders).toEqual([]);
      executor.releaseAll();
    });
  });

  it('a run without slots never asks the keeper', async () => {
    const { scheduler, harness, start } = await stack(server());
    await harness.run(async () => {
      const report: RunReport = await (await start(request('prod-a', 'm.a'))).result();
      expect(report.status).toBe('succeeded');
      expect(report.readyAt).toBe(report.startedAt);
      expect(scheduler.slotRequests).toEqual([]);
      await expect(server().client.workflow.getHandle(RUN_SLOTS_WORKFLOW_ID).describe()).rejects.toThrow();
    });
  });
});

describe('the run-slot keeper on the dev server', () => {
  it('continues as new with its leases and queue, and every run still gets its turn', async () => {
    const server = await startDevServer();
    try {
      const { scheduler, executor, harness, start, slots } = await stack(server);
      const keeper = await server.client.workflow.start(runSlotsWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: RUN_SLOTS_WORKFLOW_ID,
        args: [{ limit: 2, maxHistoryEvents: 20 }],
      });
      const firstRunId = (await keeper.describe()).runId;
      executor.hold('m.a');
      executor.hold('m.c');
      await harness.run(async () => {
        const runs = [];
        for (let i = 0; i < 8; i++)
          runs.push(await start(request(`prod-${i}`, ['m.a', 'm.c'][i] ?? 'm.b', { limit: 2, priority: 0 })));
        await waitUntil(() => scheduler.ready.length === 2 && scheduler.queued.length === 6);
        await waitUntil(async () => (await keeper.describe()).runId !== firstRunId);
        // The holders kept their slots across continue-as-new: two runs granted and not finished yet
        // (a held batch may time out on a loaded machine and end its run early, freeing its slot).
        const held = (await slots()).holders.map((h) => h.runId);
        expect(held).toHaveLength(2);
        const granted = new Set(scheduler.ready.map((r) => r.runId));
        for (const runId of held) expect(granted.has(runId), runId).toBe(true);
        executor.releaseAll();
        for (const run of runs) await run.result().catch(() => undefined);
        expect(scheduler.runsFinished).toHaveLength(8);
        expect(scheduler.ready.map((r) => r.runId).sort()).toEqual(
          [...Array(8).keys()].map((i) => `prod-${i}`),
        );
        await waitUntil(async () => (await slots()).holders.length === 0);
        const first = await server.client.workflow.getHandle(RUN_SLOTS_WORKFLOW_ID, firstRunId).describe();
        expect(first.status.name).toBe('CONTINUED_AS_NEW');
      });
      await keeper.terminate();
    } finally {
      await server.teardown();
    }
  }, 120_000);
});
