/**
 * Every failure an executor reports, walked through the production environment and run workflows:
 * a SQL error, a failed blocking audit, a non-retryable error, a retryable error that exhausts its
 * attempts, an executor's memory limit, and a cancellation, each in a chain (a -> b -> c) and a
 * diamond (a -> b, a -> c, b + c -> d), with an independent model beside them. The failing model is
 * `b`. Each run must end with its status and every model's outcome and reason; the independent
 * model succeeds; the next tick retries the failed intervals and the downstream catches up, with no
 * gap and no interval executed twice.
 */
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../activities/contracts.ts';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { environmentWorkflow } from '../../workflows/environment.ts';
import { stateQuery } from '../../workflows/signals.ts';
import {
  BATCH_FAILURES,
  type BatchFailure,
  FakeExecutor,
  FakeScheduler,
  scheduled,
} from '../support/fake-activities.ts';
import { timeSkippingServerPerTest } from '../support/temporal.ts';
import { waitUntil } from '../support/waiting.ts';
import { createHarness } from '../support/workflow-harness.ts';

const HOUR = 3_600_000;
const HOURLY = '0 * * * *';

const TOPOLOGIES = {
  chain: [
    scheduled('m.a', HOURLY),
    scheduled('m.b', HOURLY, 'UTC', ['m.a']),
    scheduled('m.c', HOURLY, 'UTC', ['m.b']),
    scheduled('m.i', HOURLY),
  ],
  diamond: [
    scheduled('m.a', HOURLY),
    scheduled('m.b', HOURLY, 'UTC', ['m.a']),
    scheduled('m.c', HOURLY, 'UTC', ['m.a']),
    scheduled('m.d', HOURLY, 'UTC', ['m.b', 'm.c']),
    scheduled('m.i', HOURLY),
  ],
};

/** What each topology's models end as when `m.b` fails. */
const EXPECTED = {
  chain: {
    'm.a': { status: 'succeeded' },
    'm.c': { status: 'skipped', reason: 'upstream m.b failed' },
    'm.i': { status: 'succeeded' },
  },
  diamond: {
    'm.a': { status: 'succeeded' },
    'm.c': { status: 'succeeded' },
    'm.d': { status: 'skipped', reason: 'upstream m.b failed' },
    'm.i': { status: 'succeeded' },
  },
} as const;

type Topology = keyof typeof TOPOLOGIES;

/**
 * Every hour of `model` from `from` until at least `until` completed, with no gap, each by exactly
 * one successful batch (later ticks may have run too while the test waited).
 */
function expectNoGapNoDuplicate(scheduler: FakeScheduler, model: string, from: number, until: number): void {
  const hours = scheduler.completedHours(model);
  expect(hours[0]).toBe(from);
  expect(hours.at(-1)! + HOUR).toBeGreaterThanOrEqual(until);
  expect(hours).toEqual(hours.map((_, i) => from + i * HOUR));
  const succeeded = scheduler.completions
    .filter((c) => c.model === model && c.status === 'succeeded')
    .map((c) => c.interval![0])
    .sort((x, y) => x - y);
  expect(succeeded).toEqual(hours);
}

describe('a failing model in a scheduled run', () => {
  const server = timeSkippingServerPerTest();

  /** Starts an environment whose models have missed nothing before the coming hour. */
  async function start(name: string, topology: Topology) {
    const scheduler = new FakeScheduler(TOPOLOGIES[topology]);
    const executor = new FakeExecutor();
    const now = await server().currentTimeMs();
    const firstTick = Math.floor(now / HOUR) * HOUR + HOUR;
    scheduler.intervalsSince = firstTick - HOUR;
    const harness = await createHarness(server(), {
      scheduler: scheduler.activities(),
      run: executor.activities(),
    });
    return { scheduler, executor, harness, firstTick, workflowId: `sluice-env-${name}` };
  }

  async function runResult(runId: string): Promise<RunReport> {
    return server().client.workflow.getHandle(runId).result();
  }

  function outcomesOf(report: RunReport) {
    return Object.fromEntries(
      Object.entries(report.models).map(([model, o]) => [
        model,
        { status: o.status, ...(o.reason ? { reason: o.reason } : {}) },
      ]),
    );
  }

  const cases = (Object.keys(BATCH_FAILURES) as BatchFailure[]).flatMap((kind) =>
    (Object.keys(TOPOLOGIES) as Topology[]).map((topology) => [kind, topology] as const),
  );

  it.each(cases)('%s in a %s: the run ends failed and the next tick catches up', async (kind, topology) => {
    const { scheduler, executor, harness, firstTick, workflowId } = await start(
      `${kind}-${topology}`,
      topology,
    );
    executor.fail('m.b', kind);
    await harness.run(async () => {
      const handle = await server().client.workflow.start(environmentWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId,
        args: [{ environment: `${kind}-${topology}`, searchAttributes: false }],
      });
      await server().sleep(firstTick - (await server().currentTimeMs()) + 60_000);
      const firstRun = scheduler.runsStarted[0]!;
      const first = await runResult(firstRun.runId);

      expect(first.status).toBe('failed');
      expect(outcomesOf(first)).toMatchObject(EXPECTED[topology]);
      expect(first.models['m.b']).toMatchObject({ status: 'failed' });
      expect(first.models['m.b']!.error).toContain(`${BATCH_FAILURES[kind].type}:`);
      // The failure is recorded with the attempts Temporal made, and the skip as a skip.
      const failed = scheduler.completions.filter((c) => c.model === 'm.b');
      expect(failed).toEqual([
        expect.objectContaining({
          status: 'failed',
          attempt: BATCH_FAILURES[kind].attempts,
          failedOn: { executor: 'fake-executor', startedAt: expect.any(Number) },
        }),
      ]);
      expect(executor.executed.filter((e) => e.model === 'm.b')).toHaveLength(BATCH_FAILURES[kind].attempts);
      expect(scheduler.runsFinished.find((r) => r.runId === firstRun.runId)?.status).toBe('failed');

      // The environment released every model of the failed run.
      await waitUntil(async () => (await handle.query(stateQuery)).runsInFlight.length === 0);
      const state = await handle.query(stateQuery);
      expect(state.lastExecutions['m.b']).toMatchObject({ status: 'failed', runId: firstRun.runId });

      // The source is back: the next tick runs the failed interval and the missed downstream ones.
      executor.heal('m.b');
      await server().sleep(HOUR);
      const secondRun = scheduler.runsStarted[1]!;
      const second = await runResult(secondRun.runId);
      expect(second.status).toBe('succeeded');
      const models = TOPOLOGIES[topology].map((m) => m.name);
      expect(Object.keys(second.models).sort()).toEqual(models);
      for (const model of models)
        expectNoGapNoDuplicate(scheduler, model, firstTick - HOUR, firstTick + HOUR);
      await handle.terminate();
    });
  });

  it.each(Object.keys(TOPOLOGIES) as Topology[])(
    'a cancelled run in a %s ends cancelled, its statements cancelled, and the next tick catches up',
    async (topology) => {
      const { scheduler, executor, harness, firstTick, workflowId } = await start(
        `cancel-${topology}`,
        topology,
      );
      executor.hold('m.b');
      try {
        await harness.run(async () => {
          const handle = await server().client.workflow.start(environmentWorkflow, {
            taskQueue: TASK_QUEUES.scheduler,
            workflowId,
            args: [{ environment: `cancel-${topology}`, searchAttributes: false }],
          });
          // Time stands still while m.b is held: sleep to the tick, then wait for m.b in real time.
          await server().sleep(firstTick - (await server().currentTimeMs()));
          await waitUntil(() => executor.executed.some((e) => e.model === 'm.b'));
          const runId = scheduler.runsStarted[0]!.runId;
          await server().client.workflow.getHandle(runId).cancel();
          const run = server().client.workflow.getHandle(runId);
          await expect(run.result()).rejects.toThrow();
          expect((await run.describe()).status.name).toBe('CANCELLED');

          const report = scheduler.runsFinished.find((r) => r.runId === runId)!;
          expect(report.status).toBe('cancelled');
          expect(report.models['m.b']).toMatchObject({ status: 'cancelled' });
          expect(executor.cancelled).toEqual(['m.b']);
          const downstream = topology === 'chain' ? 'm.c' : 'm.d';
          expect(report.models[downstream]).toMatchObject({ status: 'cancelled', reason: 'run cancelled' });
          expect(report.models['m.a']).toMatchObject({ status: 'succeeded' });
          expect(report.models['m.i']).toMatchObject({ status: 'succeeded' });
          expect(scheduler.completions.find((c) => c.model === 'm.b')).toMatchObject({ status: 'cancelled' });

          await waitUntil(async () => (await handle.query(stateQuery)).runsInFlight.length === 0);
          executor.release('m.b');
          await server().sleep(HOUR);
          const next = await server().client.workflow.getHandle(scheduler.runsStarted[1]!.runId).result();
          expect(next.status).toBe('succeeded');
          for (const model of TOPOLOGIES[topology].map((m) => m.name)) {
            expectNoGapNoDuplicate(scheduler, model, firstTick - HOUR, firstTick + HOUR);
          }
          await handle.terminate();
        });
      } finally {
        executor.releaseAll();
      }
    },
  );
});
