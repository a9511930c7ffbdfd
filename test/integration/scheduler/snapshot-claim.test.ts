import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PreparedBatch, SchedulerActivities } from '../../../activities/contracts.ts';
import { createSchedulerActivities, FAILURE_TYPES } from '../../../activities/scheduler/index.ts';
import type { PlanDiff } from '../../../core/plan/types.ts';
import type { StateDb } from '../../../db/client.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { getExecution } from '../../../state/executions.ts';
import { completedIntervals } from '../../../state/intervals.ts';
import { getRun } from '../../../state/runs.ts';
import { startDevServer } from '../../support/temporal.ts';
import { enginesFor } from '../plan/support.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';
import { createSchedulerProject, day, type SchedulerProject } from './project.ts';
import { applyPlan, execute, failureOf, MAX_SEGMENT_BYTES, rows } from './support.ts';

const TICK = day(9);
const PROD_RUN = 'sluice-run-prod-20240109T0000Z';
const DEV_RUN = 'sluice-run-dev-20240109T0000Z';

let temporal: TestWorkflowEnvironment;
beforeAll(async () => {
  temporal = await startDevServer();
});
afterAll(async () => {
  await temporal?.teardown();
});

/** Applies the project to prod, then creates dev from prod: both map every model to the same snapshot. */
async function prodAndDev(
  db: StateDb,
  project: SchedulerProject,
  engines: EnginePool,
  activities: SchedulerActivities,
): Promise<PlanDiff> {
  let diff: PlanDiff | undefined;
  for (const environment of ['prod', 'dev']) {
    const created = await applyPlan(db, activities, engines, project.load(), environment);
    diff ??= created.diff;
  }
  return diff!;
}

describe.each(DRIVERS)('claims on snapshot intervals shared by environments (state on %s)', (driver) => {
  const state = useStateDb(driver, 'scheduler_claim');
  let project: SchedulerProject;
  let engines: EnginePool;

  beforeEach(() => {
    project = createSchedulerProject();
    engines = enginesFor(project.load());
  });

  afterEach(async () => {
    await engines.closeAll();
    project.dispose();
  });

  /** A segment of one batch of src.events. */
  const batch = (
    runId: string,
    environment: string,
    snapshotId: string,
    interval: readonly [number, number],
  ) => ({
    runId,
    environment,
    scheduledAt: TICK,
    gateway: 'local',
    items: [{ model: 'src.events', snapshotId, interval }],
    maxBytes: MAX_SEGMENT_BYTES,
  });
  /** Prepares a segment of one batch: that batch. */
  const prepareOne = async (activities: SchedulerActivities, ref: ReturnType<typeof batch>) => {
    const { batches } = await activities.prepareSegment(ref);
    expect(batches).toHaveLength(1);
    return batches[0]!;
  };
  /** The success of a batch prepared from `ref`, as the run reports it. */
  const succeeded = async (ref: ReturnType<typeof batch>, prepared: PreparedBatch) => [
    {
      ...ref.items[0]!,
      runId: ref.runId,
      environment: ref.environment,
      executionId: prepared.executionId,
      status: 'succeeded' as const,
      report: await execute(engines, prepared),
      attempt: 1,
    },
  ];

  it('keeps a second environment off an interval in flight, then skips it once it is complete', async () => {
    const activities = createSchedulerActivities({ db: state.db });
    const diff = await prodAndDev(state.db, project, engines, activities);
    const snapshot = diff.snapshotMap['src.events']!;
    expect((await activities.loadSchedule('dev')).find((m) => m.name === 'src.events')?.snapshotId).toBe(
      snapshot,
    );

    for (const [runId, environment] of [
      [PROD_RUN, 'prod'],
      [DEV_RUN, 'dev'],
    ] as const) {
      await activities.recordRunStarted({
        runId,
        environment,
        trigger: 'schedule',
        scheduledAt: TICK,
        models: ['src.events'],
      });
    }
    const prodRef = batch(PROD_RUN, 'prod', snapshot, [day(6), day(8)]);
    const prodBatch = await prepareOne(activities, prodRef);

    for (const interval of [
      [day(6), day(8)],
      [day(7), day(9)],
    ] as const) {
      const busy = await failureOf(activities.prepareSegment(batch(DEV_RUN, 'dev', snapshot, interval)));
      expect(busy.type).toBe(FAILURE_TYPES.snapshotBusy);
      expect(busy.nonRetryable).toBe(false);
      expect(busy.message).toContain(
        `is being executed by run ${PROD_RUN} (environment prod, execution ${prodBatch.executionId}, queued)`,
      );
    }
    const beside = await prepareOne(activities, batch(DEV_RUN, 'dev', snapshot, [day(8), day(9)]));
    expect(beside.alreadyComplete).toBeUndefined();

    await activities.completeSegment(await succeeded(prodRef, prodBatch));
    const devRef = batch(DEV_RUN, 'dev', snapshot, [day(6), day(8)]);
    const devBatch = await prepareOne(activities, devRef);
    expect(devBatch.alreadyComplete).toBe(true);
    expect(await prepareOne(activities, devRef)).toEqual(devBatch);
    expect(await getExecution(state.db, devBatch.executionId)).toMatchObject({
      status: 'skipped',
      skipReason: `[2024-01-06 00:00, 2024-01-08 00:00) was completed meanwhile by run ${PROD_RUN}`,
    });
    expect((await rows(engines, 'src__dev', 'events')).map((row) => row[0])).toEqual([
      '2024-01-01',
      '2024-01-02',
      '2024-01-03',
      '2024-01-04',
      '2024-01-05',
      '2024-01-06',
      '2024-01-07',
    ]);
  });

  it('lets exactly one of two runs claim an interval they prepare at the same moment', async () => {
    const activities = createSchedulerActivities({ db: state.db });
    const diff = await prodAndDev(state.db, project, engines, activities);
    const snapshot = diff.snapshotMap['src.events']!;
    for (const [runId, environment] of [
      [PROD_RUN, 'prod'],
      [DEV_RUN, 'dev'],
    ] as const) {
      await activities.recordRunStarted({
        runId,
        environment,
        trigger: 'schedule',
        scheduledAt: TICK,
        models: ['src.events'],
      });
    }
    for (let n = 6; n < 16; n++) {
      const interval = [day(n), day(n + 1)] as const;
      const outcomes = await Promise.allSettled([
        activities.prepareSegment(batch(PROD_RUN, 'prod', snapshot, interval)),
        activities.prepareSegment(batch(DEV_RUN, 'dev', snapshot, interval)),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((outcome) => outcome.status === 'rejected');
      expect((refused as PromiseRejectedResult).reason).toMatchObject({ type: FAILURE_TYPES.snapshotBusy });
    }
  });

  it('takes over an interval whose run ended without finishing it, as Temporal tells', async () => {
    const activities = createSchedulerActivities({ db: state.db, temporal: temporal.client });
    const diff = await prodAndDev(state.db, project, engines, activities);
    const snapshot = diff.snapshotMap['src.events']!;
    const prodRun = `${PROD_RUN}-${driver}`;
    const devRun = `${DEV_RUN}-${driver}`;
    // A workflow no worker picks up stays running: it stands for a run executing its batch.
    const handle = await temporal.client.workflow.start('runWorkflow', {
      taskQueue: `sluice-claim-test-${driver}-${process.pid}`,
      workflowId: prodRun,
      args: [],
    });
    await activities.recordRunStarted({
      runId: prodRun,
      environment: 'prod',
      trigger: 'schedule',
      scheduledAt: TICK,
      models: ['src.events'],
    });
    await activities.recordRunStarted({
      runId: devRun,
      environment: 'dev',
      trigger: 'schedule',
      scheduledAt: TICK,
      models: ['src.events'],
    });
    const prodBatch = await prepareOne(activities, batch(prodRun, 'prod', snapshot, [day(6), day(8)]));

    const devRef = batch(devRun, 'dev', snapshot, [day(6), day(8)]);
    expect((await failureOf(activities.prepareSegment(devRef))).type).toBe(FAILURE_TYPES.snapshotBusy);
    expect(await activities.closedRuns([prodRun, devRun, 'sluice-run-prod-never-started'])).toEqual([
      devRun,
      'sluice-run-prod-never-started',
    ]);

    await handle.terminate('the run executor vanished');
    const devBatch = await prepareOne(activities, devRef);
    expect(devBatch.alreadyComplete).toBeUndefined();
    expect(await getExecution(state.db, prodBatch.executionId)).toMatchObject({
      status: 'cancelled',
      error: `abandoned: run ${prodRun} ended without finishing it (claimed again by run ${devRun})`,
    });
    // The environment's look for runs that ended unreported closes the run's record as it ended.
    expect(await activities.closedRuns([prodRun])).toEqual([prodRun]);
    expect(await getRun(state.db, prodRun)).toMatchObject({
      status: 'terminated',
      error: "the run's workflow ended without recording its outcome (terminated from the Temporal side)",
    });
    await activities.completeSegment(await succeeded(devRef, devBatch));
    expect((await completedIntervals(state.db, [snapshot]))[snapshot]).toEqual([[day(1), day(8)]]);
  });
});
