/**
 * Segments: many batches prepared, claimed and completed per activity. Prod and dev map every model
 * to the same snapshots, so their runs compete for the same snapshot intervals.
 */
import { count, eq, inArray } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  BatchCompletion,
  PreparedSegment,
  SchedulerActivities,
  SegmentRef,
} from '../../../activities/contracts.ts';
import { createSchedulerActivities, FAILURE_TYPES } from '../../../activities/scheduler/index.ts';
import type { Interval } from '../../../core/intervals.ts';
import type { PlanDiff } from '../../../core/plan/types.ts';
import { modelExecutions } from '../../../db/schema.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { getExecution } from '../../../state/executions.ts';
import { completedIntervals } from '../../../state/intervals.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { enginesFor } from '../plan/support.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';
import { createSchedulerProject, day, NOW, type SchedulerProject } from './project.ts';
import { applyPlan, EXECUTOR, failureOf, MAX_SEGMENT_BYTES, overTheWire } from './support.ts';

const TICK = day(9);
const PROD_RUN = 'sluice-run-prod-20240109T0000Z';
const DEV_RUN = 'sluice-run-dev-20240109T0000Z';
const CLOCK = Date.parse('2024-01-09T00:00:05Z');

/** Daily intervals from day `from` (inclusive) to day `to` (exclusive). */
const days = (from: number, to: number): Interval[] =>
  Array.from({ length: to - from }, (_, index) => [day(from + index), day(from + index + 1)] as const);

describe.each(DRIVERS)('segments of batches (state on %s)', (driver) => {
  const state = useStateDb(driver, 'scheduler_segments');
  let project: SchedulerProject;
  let engines: EnginePool;
  let activities: SchedulerActivities;
  let diff: PlanDiff;

  beforeEach(async () => {
    project = createSchedulerProject();
    engines = enginesFor(project.load());
    activities = createSchedulerActivities({ db: state.db, now: () => CLOCK });
    for (const environment of ['prod', 'dev']) {
      diff = (await applyPlan(state.db, activities, engines, project.load(), environment)).diff;
    }
    for (const [runId, environment] of [
      [PROD_RUN, 'prod'],
      [DEV_RUN, 'dev'],
    ] as const) {
      await activities.recordRunStarted({
        runId,
        environment,
        trigger: 'schedule',
        scheduledAt: TICK,
        models: ['src.events', 'mart.daily'],
      });
    }
  });

  afterEach(async () => {
    await engines.closeAll();
    project.dispose();
  });

  const items = (model: string, intervals: Interval[]): SegmentRef['items'] =>
    intervals.map((interval) => ({ model, snapshotId: diff.snapshotMap[model]!, interval }));

  const segment = (runId: string, environment: string, batches: SegmentRef['items']): SegmentRef => ({
    runId,
    environment,
    scheduledAt: TICK,
    gateway: 'local',
    items: batches,
    maxBytes: MAX_SEGMENT_BYTES,
  });

  /** Each prepared batch reported as `status` (a success with a report the executor would send). */
  const outcomes = (
    ref: SegmentRef,
    prepared: PreparedSegment,
    status: BatchCompletion['status'],
  ): BatchCompletion[] =>
    prepared.batches.map((batch, index) => ({
      ...ref.items[index]!,
      runId: ref.runId,
      environment: ref.environment,
      executionId: batch.executionId,
      status,
      attempt: 1,
      ...(status === 'succeeded'
        ? {
            report: {
              executor: EXECUTOR,
              attempt: 1,
              startedAt: CLOCK + 1000,
              finishedAt: CLOCK + 3000,
              rowsAffected: 1,
              statements: [{ durationMs: 2.4, rowsAffected: 1 }],
              notices: [],
              audits: [],
            },
          }
        : { error: `SQL_ERROR: ${status}` }),
    }));

  const queuedOf = async (runId: string): Promise<number> =>
    (await state.db.select({ n: count() }).from(modelExecutions).where(eq(modelExecutions.runId, runId)))[0]!
      .n;

  it('prepares 300 batches in one call, finds them again on a retry and completes them once', async () => {
    const ref = segment(PROD_RUN, 'prod', items('src.events', days(10, 310)));
    const started = performance.now();
    const prepared = overTheWire(await activities.prepareSegment(ref));
    const preparedMs = performance.now() - started;
    expect(prepared.batches).toHaveLength(300);
    expect(prepared.batches.map((batch) => batch.interval)).toEqual(days(10, 310));
    expect(prepared.batches.every((batch) => batch.alreadyComplete === undefined)).toBe(true);
    expect(await queuedOf(PROD_RUN)).toBe(300);
    const again = overTheWire(await activities.prepareSegment(ref));
    expect(again.batches.map((batch) => batch.executionId)).toEqual(
      prepared.batches.map((batch) => batch.executionId),
    );
    expect(await queuedOf(PROD_RUN)).toBe(300);

    const completions = outcomes(ref, prepared, 'succeeded');
    await activities.completeSegment(completions);
    const first = await getExecution(state.db, prepared.batches[299]!.executionId);
    expect(first).toMatchObject({
      status: 'succeeded',
      executor: EXECUTOR,
      attempt: 1,
      waitMs: 1000,
      durationMs: 2000,
      rowsAffected: 1,
    });
    expect(first?.log?.statements?.[0]).toMatchObject({ durationMs: 2, rowsAffected: 1 });
    expect(first?.log?.statements?.[0]?.sql).not.toBe('');
    expect(first?.log?.renderedSql).toContain("BETWEEN '2024-11-04' AND '2024-11-04'");
    await activities.completeSegment(completions);
    expect(await getExecution(state.db, prepared.batches[299]!.executionId)).toEqual(first);
    const snapshot = diff.snapshotMap['src.events']!;
    expect((await completedIntervals(state.db, [snapshot]))[snapshot]).toEqual([
      [day(1), day(6)],
      [day(10), day(310)],
    ]);
    // Not an assertion (the machine is shared): what a 300-batch segment costs here.
    console.info(`prepareSegment of 300 batches on ${driver}: ${preparedMs.toFixed(0)} ms`);
  });

  it('prepares the prefix that fits maxBytes, and one batch alone however large', async () => {
    const ref = segment(PROD_RUN, 'prod', items('src.events', days(10, 15)));
    const alone = await activities.prepareSegment({ ...ref, maxBytes: 1 });
    expect(alone.batches.map((batch) => batch.interval)).toEqual(days(10, 11));
    const one = Buffer.byteLength(JSON.stringify({ ...alone.batches[0], alreadyComplete: true }));
    const two = await activities.prepareSegment({ ...ref, maxBytes: 2 + 2 * one + 1 + Math.floor(one / 2) });
    expect(two.batches.map((batch) => batch.interval)).toEqual(days(10, 12));
    expect(Buffer.byteLength(JSON.stringify(two.batches))).toBeLessThanOrEqual(2 + 2 * one + 1);
    expect(two.batches[0]).toEqual(alone.batches[0]);
    expect(await queuedOf(PROD_RUN)).toBe(2);
  });

  it('fails a batch whose statements alone are too large for an executor, naming the model and the size', async () => {
    // a FULL model whose query carries a 300 KB literal: its one batch cannot travel to an executor
    project.write(
      'models/huge.sql',
      `MODEL (name mart.huge, kind FULL);\n\nSELECT '${'x'.repeat(300 * 1024)}' AS filler\n`,
    );
    const created = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'prod',
      submittedBy: 'ana',
      now: NOW,
    });
    await activities.beginPlan({ planId: created.planId, environment: 'prod' });
    const huge = [{ model: 'mart.huge', snapshotId: created.diff.snapshotMap['mart.huge']!, interval: null }];
    // the plan's backfill prepares it first
    const backfill = { ...segment(created.planId, 'prod', huge), planId: created.planId };
    const failure = await failureOf(activities.prepareSegment(backfill));
    expect([failure.type, failure.nonRetryable]).toEqual([FAILURE_TYPES.renderFailed, true]);
    expect(failure.message).toMatch(
      /^prepareSegment: mart\.huge: its batch's rendered statements take \d+ KB, more than the 224 KB an executor's payload may carry$/,
    );
  });

  it('ends a segment before a batch another run holds, and refuses one that starts with it', async () => {
    const held = await activities.prepareSegment(segment(DEV_RUN, 'dev', items('src.events', days(12, 13))));
    const ref = segment(PROD_RUN, 'prod', items('src.events', days(10, 15)));
    const prefix = await activities.prepareSegment(ref);
    expect(prefix.batches.map((batch) => batch.interval)).toEqual(days(10, 12));

    const busy = await failureOf(activities.prepareSegment({ ...ref, items: ref.items.slice(2) }));
    expect([busy.type, busy.nonRetryable]).toEqual([FAILURE_TYPES.snapshotBusy, false]);
    expect(busy.message).toContain(
      `is being executed by run ${DEV_RUN} (environment dev, execution ${held.batches[0]!.executionId}, queued)`,
    );
    await activities.completeSegment(
      outcomes(segment(DEV_RUN, 'dev', items('src.events', days(12, 13))), held, 'failed'),
    );
    const rest = await activities.prepareSegment({ ...ref, items: ref.items.slice(2) });
    expect(rest.batches.map((batch) => batch.interval)).toEqual(days(12, 15));
    expect(await queuedOf(PROD_RUN)).toBe(5);
  });

  it('writes no outcome of a segment when one of them is wrong', async () => {
    const ref = segment(PROD_RUN, 'prod', items('src.events', days(10, 12)));
    const prepared = await activities.prepareSegment(ref);
    const [good, second] = outcomes(ref, prepared, 'succeeded');
    const wrong = await failureOf(activities.completeSegment([good!, { ...second!, model: 'mart.daily' }]));
    expect([wrong.type, wrong.nonRetryable]).toEqual([FAILURE_TYPES.invalidInput, true]);
    expect(wrong.message).toBe(
      `completeSegment: execution "${second!.executionId}" was prepared for model src.events`,
    );
    const malformed = await failureOf(activities.completeSegment([good!, { ...second!, attempt: -1 }]));
    expect(malformed.message).toContain('completeSegment: input[1].attempt');
    const twice = await failureOf(activities.completeSegment([good!, good!]));
    expect(twice.message).toContain(
      `completeSegment: input[1].executionId names execution "${good!.executionId}" again`,
    );
    const unknown = await failureOf(activities.completeSegment([good!, { ...second!, executionId: 'nope' }]));
    expect([unknown.type, unknown.nonRetryable]).toEqual([FAILURE_TYPES.unknownExecution, true]);

    const executions = await state.db
      .select({ status: modelExecutions.status })
      .from(modelExecutions)
      .where(inArray(modelExecutions.id, [good!.executionId, second!.executionId]));
    expect(executions.map((row) => row.status)).toEqual(['queued', 'queued']);
    const snapshot = diff.snapshotMap['src.events']!;
    expect((await completedIntervals(state.db, [snapshot]))[snapshot]).toEqual([[day(1), day(6)]]);
    await activities.completeSegment([]);
  });

  it('never lets two environments claim one interval, whatever order their segments lock in', async () => {
    // Disjoint intervals of both snapshots, listed in opposite orders: both segments are prepared whole.
    const prodRef = segment(PROD_RUN, 'prod', [
      ...items('src.events', days(10, 16)),
      ...items('mart.daily', days(10, 16)),
    ]);
    const devRef = segment(DEV_RUN, 'dev', [
      ...items('mart.daily', days(20, 26)),
      ...items('src.events', days(20, 26)),
    ]);
    const [prod, dev] = await Promise.all([
      activities.prepareSegment(prodRef),
      activities.prepareSegment(devRef),
    ]);
    expect([prod.batches.length, dev.batches.length]).toEqual([12, 12]);

    // Overlapping intervals: whichever locks second gets the prefix before the first one held, or none.
    for (let round = 0; round < 5; round++) {
      const start = 30 + round * 20;
      const outcomes = await Promise.allSettled([
        activities.prepareSegment(segment(PROD_RUN, 'prod', items('src.events', days(start, start + 10)))),
        activities.prepareSegment(segment(DEV_RUN, 'dev', items('src.events', days(start + 5, start + 15)))),
      ]);
      const claimed = outcomes.flatMap((outcome) =>
        outcome.status === 'fulfilled' ? outcome.value.batches.map((batch) => batch.interval![0]) : [],
      );
      expect(new Set(claimed).size, `round ${round}: no interval claimed twice`).toBe(claimed.length);
      expect(outcomes.some((outcome) => outcome.status === 'fulfilled')).toBe(true);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toMatchObject({ type: FAILURE_TYPES.snapshotBusy });
        }
      }
    }
  });
});
