import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SchedulerActivities, SegmentRef } from '../../../activities/contracts.ts';
import { prepareNotifications } from '../../../activities/notifications/prepare.ts';
import { createSchedulerActivities, FAILURE_TYPES } from '../../../activities/scheduler/index.ts';
import { STILL_RUNNING } from '../../../core/environment/in-flight.ts';
import type { RunReport } from '../../../core/environment/run-report.ts';
import type { PlanDiff } from '../../../core/plan/types.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { listAudit } from '../../../state/audit-log.ts';
import {
  getExecution,
  listExecutions,
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../../../state/executions.ts';
import { completedIntervals } from '../../../state/intervals.ts';
import { listDeliveries } from '../../../state/notifications/deliveries.ts';
import { createWebhook } from '../../../state/notifications/webhooks.ts';
import { activePauses } from '../../../state/pauses.ts';
import { createRun, getRun, listRuns } from '../../../state/runs.ts';
import { enginesFor } from '../plan/support.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';
import { createSchedulerProject, day, type SchedulerProject } from './project.ts';
import { applyPlan, EXECUTOR, execute, failureOf, MAX_SEGMENT_BYTES } from './support.ts';

const TICK = day(9);
const CLOCK = Date.parse('2024-01-09T00:00:05Z');

describe.each(DRIVERS)('scheduler history records (state on %s)', (driver) => {
  const state = useStateDb(driver, 'scheduler_history');
  let project: SchedulerProject;
  let engines: EnginePool;
  let activities: SchedulerActivities;
  let diff: PlanDiff;

  beforeEach(async () => {
    project = createSchedulerProject();
    engines = enginesFor(project.load());
    activities = createSchedulerActivities({ db: state.db, now: () => CLOCK });
    diff = (await applyPlan(state.db, activities, engines, project.load(), 'prod')).diff;
  });

  afterEach(async () => {
    await engines.closeAll();
    project.dispose();
  });

  const runId = 'sluice-run-prod-20240109T0000Z';
  const started = { runId, environment: 'prod', trigger: 'schedule' as const, scheduledAt: TICK };
  const segmentOf = (items: SegmentRef['items']): SegmentRef => ({
    runId,
    environment: 'prod',
    scheduledAt: TICK,
    gateway: 'local',
    items,
    maxBytes: MAX_SEGMENT_BYTES,
  });

  it('records each run, batch and outcome once, however often an activity is retried', async () => {
    await activities.recordRunStarted({ ...started, models: ['src.events'] });
    await activities.recordRunStarted({ ...started, models: ['src.events'] });
    expect((await listRuns(state.db, { environment: 'prod', trigger: 'schedule' })).items).toHaveLength(1);

    const item = {
      model: 'src.events',
      snapshotId: diff.snapshotMap['src.events']!,
      interval: [day(6), day(8)] as const,
    };
    const ref = segmentOf([item]);
    const segment = await activities.prepareSegment(ref);
    const again = await activities.prepareSegment(ref);
    expect(again).toEqual(segment);
    expect(segment.batches).toHaveLength(1);
    const prepared = segment.batches[0]!;
    expect(prepared).toMatchObject({
      executionId: `${runId}:src.events:${day(6)}`,
      gateway: 'local',
      model: 'src.events',
      interval: [day(6), day(8)],
    });
    expect(prepared.alreadyComplete).toBeUndefined();
    const queued = await getExecution(state.db, prepared.executionId);
    expect(queued).toMatchObject({
      status: 'queued',
      interval: [day(6), day(8)],
      queuedAt: new Date(CLOCK).toISOString(),
    });
    expect(queued?.log?.plannedStatements?.length).toBeGreaterThan(2);
    expect(queued?.log?.renderedSql).toContain("BETWEEN '2024-01-06' AND '2024-01-07'");

    const report = await execute(engines, prepared);
    const completion = {
      ...item,
      runId,
      environment: 'prod',
      executionId: prepared.executionId,
      status: 'succeeded' as const,
      report,
      attempt: 1,
    };
    await activities.completeSegment([completion]);
    const first = await getExecution(state.db, prepared.executionId);
    await activities.completeSegment([completion]);
    expect(await getExecution(state.db, prepared.executionId)).toEqual(first);
    expect(first).toMatchObject({
      status: 'succeeded',
      executor: EXECUTOR,
      attempt: 1,
      rowsAffected: 2,
      startedAt: new Date(report.startedAt).toISOString(),
      finishedAt: new Date(report.finishedAt).toISOString(),
      waitMs: Math.max(0, report.startedAt - CLOCK),
      durationMs: report.finishedAt - report.startedAt,
    });
    const snapshot = diff.snapshotMap['src.events']!;
    expect((await completedIntervals(state.db, [snapshot]))[snapshot]).toEqual([[day(1), day(8)]]);
    expect(await activities.prepareSegment(ref)).toEqual({
      ...segment,
      batches: [{ ...prepared, alreadyComplete: true }],
    });

    const report2 = {
      ...started,
      status: 'failed' as const,
      startedAt: TICK,
      finishedAt: CLOCK,
      models: {
        'src.events': {
          status: 'failed' as const,
          error: 'SQL_ERROR: boom',
          batches: 1,
          rowsAffected: 2,
          finishedAt: CLOCK,
        },
        'mart.daily': {
          status: 'skipped' as const,
          reason: 'upstream src.events failed',
          batches: 0,
          rowsAffected: 0,
          finishedAt: CLOCK,
        },
      },
    };
    await activities.recordRunFinished(report2);
    await activities.recordRunFinished(report2);
    expect(await getRun(state.db, runId)).toMatchObject({
      status: 'failed',
      finishedAt: new Date(CLOCK).toISOString(),
      error: 'mart.daily skipped: upstream src.events failed; src.events failed: SQL_ERROR: boom',
    });
    const executions = (await listExecutions(state.db, { runId })).items;
    expect(executions.map((e) => [e.model, e.status, e.skipReason])).toEqual(
      expect.arrayContaining([
        ['src.events', 'succeeded', null],
        ['mart.daily', 'skipped', 'upstream src.events failed'],
      ]),
    );
    expect(executions).toHaveLength(2);
  });

  it('records a failed batch without completing its interval', async () => {
    await activities.recordRunStarted({ ...started, models: ['mart.totals'] });
    const item = {
      model: 'mart.totals',
      snapshotId: diff.snapshotMap['mart.totals']!,
      interval: [day(6), day(9)] as const,
    };
    const [prepared] = (await activities.prepareSegment(segmentOf([item]))).batches;
    const failed = {
      ...item,
      runId,
      environment: 'prod',
      executionId: prepared!.executionId,
      status: 'failed' as const,
      error: 'SQL_ERROR: relation is gone',
      attempt: 1,
    };
    await activities.completeSegment([failed]);
    await activities.completeSegment([failed]);
    expect(await getExecution(state.db, prepared!.executionId)).toMatchObject({
      status: 'failed',
      error: 'SQL_ERROR: relation is gone',
      finishedAt: new Date(CLOCK).toISOString(),
      startedAt: null,
    });
    const snapshot = diff.snapshotMap['mart.totals']!;
    expect((await completedIntervals(state.db, [snapshot]))[snapshot]).toEqual([[day(1), day(6)]]);
    expect(
      (
        await activities.findDueWork({
          environment: 'prod',
          models: ['mart.totals', 'src.events'],
          now: CLOCK,
        })
      ).map((w) => w.model),
    ).toEqual(['src.events', 'mart.totals']);

    const wrong = await failureOf(activities.completeSegment([{ ...failed, model: 'mart.daily' }]));
    expect(wrong.nonRetryable).toBe(true);
    expect(wrong.type).toBe(FAILURE_TYPES.invalidInput);
    expect(wrong.message).toContain('was prepared for model mart.totals');
    const unknown = await failureOf(activities.completeSegment([{ ...failed, executionId: 'nope' }]));
    expect([unknown.type, unknown.nonRetryable]).toEqual([FAILURE_TYPES.unknownExecution, true]);
    const noReport = await failureOf(activities.completeSegment([{ ...failed, status: 'succeeded' }]));
    expect(noReport.message).toContain(
      "input[0].report must carry the executor's report when the batch succeeded",
    );
  });

  it('records why a tick skipped models, once', async () => {
    const skips = [
      { environment: 'prod', model: 'mart.totals', reason: 'paused: month end', scheduledAt: TICK, runId },
      {
        environment: 'prod',
        model: 'mart.latest',
        reason: 'upstream mart.totals is paused',
        scheduledAt: TICK,
        runId,
      },
    ];
    await activities.recordSkips(skips);
    await activities.recordSkips(skips);
    const skipRun = await getRun(state.db, `${runId}-skipped`);
    expect(skipRun).toMatchObject({
      status: 'skipped',
      trigger: 'schedule',
      scheduledAt: new Date(TICK).toISOString(),
      models: ['mart.totals', 'mart.latest'],
      skipReason: 'mart.totals: paused: month end; mart.latest: upstream mart.totals is paused',
    });
    const executions = (await listExecutions(state.db, { runId: `${runId}-skipped` })).items;
    expect(executions.map((e) => [e.model, e.status, e.skipReason, e.snapshotId]).sort()).toEqual([
      ['mart.latest', 'skipped', 'upstream mart.totals is paused', diff.snapshotMap['mart.latest']],
      ['mart.totals', 'skipped', 'paused: month end', diff.snapshotMap['mart.totals']],
    ]);
    expect(await getRun(state.db, runId)).toBeNull();

    await activities.recordSkips([
      {
        environment: 'prod',
        model: 'src.events',
        reason: 'previous execution still running',
        scheduledAt: TICK,
        runId: 'sluice-run-prod-manual-20240109T0000Z-abcd1234',
      },
    ]);
    expect((await getRun(state.db, 'sluice-run-prod-manual-20240109T0000Z-abcd1234-skipped'))?.trigger).toBe(
      'manual',
    );

    const unknown = await failureOf(
      activities.recordSkips([
        { environment: 'prod', model: 'mart.nothing', reason: 'x', scheduledAt: TICK },
      ]),
    );
    expect([unknown.type, unknown.nonRetryable]).toEqual([FAILURE_TYPES.unknownModel, true]);
    expect(unknown.message).toBe('recordSkips: environment "prod" has no model mart.nothing');
  });

  const HOUR = 3_600_000;
  /** src.events (daily) took 25 hours in each of its last three scheduled runs; mart.totals took one. */
  async function seedSlowHistory() {
    for (const i of [0, 1, 2]) {
      const earlier = `sluice-run-prod-earlier-${i}`;
      const at = day(1 + 2 * i);
      await createRun(state.db, {
        id: earlier,
        environment: 'prod',
        trigger: 'schedule',
        scheduledAt: at,
        models: ['src.events', 'mart.totals'],
      });
      for (const [model, ms] of [
        ['src.events', 25 * HOUR],
        ['mart.totals', HOUR],
      ] as const) {
        const id = `${earlier}:${model}`;
        const snapshotId = diff.snapshotMap[model]!;
        await recordExecutionQueued(state.db, {
          id,
          runId: earlier,
          model,
          snapshotId,
          interval: null,
          queuedAt: at,
        });
        await recordExecutionStarted(state.db, id, { attempt: 1, executor: 'e', at });
        await recordExecutionFinished(state.db, id, { status: 'succeeded', at: at + ms });
      }
    }
  }
  const OVER_MESSAGE =
    'over-scheduled: its last 3 executions took 25 h on average, longer than its cron period of 24 h ' +
    '(@daily); give it a longer cron or larger batches (batch_size)';

  it("says so in a still-running model's skip when its executions take longer than its cron period", async () => {
    await seedSlowHistory();
    const holder = 'sluice-run-prod-20240108T0000Z';
    const still = `${STILL_RUNNING} ${holder}`;
    await activities.recordSkips([
      { environment: 'prod', model: 'src.events', reason: still, heldBy: holder, scheduledAt: TICK, runId },
      { environment: 'prod', model: 'mart.totals', reason: still, heldBy: holder, scheduledAt: TICK, runId },
      {
        environment: 'prod',
        model: 'mart.latest',
        reason: 'an upstream model is still running',
        scheduledAt: TICK,
        runId,
      },
    ]);
    const executions = (await listExecutions(state.db, { runId: `${runId}-skipped` })).items;
    const over = OVER_MESSAGE;
    expect(Object.fromEntries(executions.map((e) => [e.model, e.skipReason]))).toEqual({
      'src.events': `${still}; ${over}`,
      'mart.totals': still,
      'mart.latest': 'an upstream model is still running',
    });
    expect((await getRun(state.db, `${runId}-skipped`))?.skipReason).toContain(
      `src.events: ${still}; ${over}`,
    );
  });

  it('tells a webhook of an over-scheduled model in a run that succeeded, with the same message', async () => {
    await seedSlowHistory();
    const hook = await createWebhook(state.db, {
      environment: 'prod',
      url: 'https://hooks.example.com/over',
      events: ['model.over_scheduled'],
      format: 'json',
      secret: 'whsec_over',
      createdBy: 'tests',
    });
    const outcome = { status: 'succeeded' as const, batches: 1, rowsAffected: 1, finishedAt: CLOCK };
    const report: RunReport = {
      runId,
      environment: 'prod',
      trigger: 'schedule',
      status: 'succeeded',
      scheduledAt: TICK,
      startedAt: TICK,
      finishedAt: CLOCK,
      models: { 'src.events': outcome, 'mart.totals': outcome },
    };
    const ctx = { db: state.db, now: () => CLOCK, links: {}, timeoutMs: 1_000 };
    await prepareNotifications(ctx, { kind: 'run', report });
    const deliveries = await listDeliveries(state.db, hook.id, 10);
    expect(deliveries.map((d) => [d.eventType, d.body.models.map((m) => m.name), d.body.error])).toEqual([
      ['model.over_scheduled', ['src.events'], `src.events is ${OVER_MESSAGE}`],
    ]);
  });

  it('records pauses and resumes with the audit log, once each', async () => {
    const pauseEnv = {
      environment: 'prod',
      action: 'pause' as const,
      reason: 'warehouse upgrade',
      actor: 'ana',
    };
    await activities.recordPauseChange(pauseEnv);
    await activities.recordPauseChange(pauseEnv);
    await activities.recordPauseChange({
      environment: 'prod',
      model: 'mart.totals',
      action: 'pause',
      reason: 'bad data',
      actor: 'bo',
    });
    expect(
      (await activePauses(state.db, { environment: 'prod' })).map((p) => [
        p.model,
        p.reason,
        p.pausedBy,
        p.pausedAt,
      ]),
    ).toEqual([
      [null, 'warehouse upgrade', 'ana', new Date(CLOCK).toISOString()],
      ['mart.totals', 'bad data', 'bo', new Date(CLOCK).toISOString()],
    ]);
    const resumeEnv = { environment: 'prod', action: 'resume' as const, actor: 'cy' };
    await activities.recordPauseChange(resumeEnv);
    await activities.recordPauseChange(resumeEnv);
    expect((await activePauses(state.db, { environment: 'prod' })).map((p) => p.model)).toEqual([
      'mart.totals',
    ]);

    const audit = (await listAudit(state.db, { environment: 'prod' })).items;
    expect(audit.map((entry) => [entry.action, entry.actor, entry.target, entry.reason]).sort()).toEqual([
      ['environment.pause', 'ana', 'prod', 'warehouse upgrade'],
      ['environment.resume', 'cy', 'prod', null],
      ['model.pause', 'bo', 'mart.totals', 'bad data'],
    ]);

    const unknown = await failureOf(
      activities.recordPauseChange({
        environment: 'prod',
        model: 'mart.nothing',
        action: 'pause',
        actor: 'ana',
      }),
    );
    expect([unknown.type, unknown.nonRetryable]).toEqual([FAILURE_TYPES.unknownModel, true]);
    const bad = await failureOf(
      activities.recordPauseChange({ environment: 'prod', action: 'stop', actor: 'ana' } as never),
    );
    expect(bad.type).toBe(FAILURE_TYPES.invalidInput);
    expect(bad.message).toContain('recordPauseChange: input.action');
  });

  it('rejects malformed input and unknown names without retrying', async () => {
    const events = {
      model: 'src.events',
      snapshotId: diff.snapshotMap['src.events']!,
      interval: [day(8), day(9)] as const,
    };
    expect(await activities.loadSchedule('staging')).toEqual([]);
    expect(await activities.closedRuns([runId])).toEqual([]);
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [
        () => activities.loadSchedule(''),
        FAILURE_TYPES.invalidInput,
        'loadSchedule: input must be a non-empty string (got "")',
      ],
      [
        () => activities.findDueWork({ environment: 'prod', models: ['mart.nothing'], now: CLOCK }),
        FAILURE_TYPES.unknownModel,
        'findDueWork: environment "prod" has no model mart.nothing',
      ],
      [
        () => activities.findDueWork({ environment: 'prod', models: ['src.events'], now: 1.5 }),
        FAILURE_TYPES.invalidInput,
        'findDueWork: input.now must be epoch milliseconds (a whole number) (got 1.5)',
      ],
      [
        () =>
          activities.clearIntervals({
            environment: 'prod',
            models: ['src.events'],
            start: day(8),
            end: day(7),
          }),
        FAILURE_TYPES.invalidInput,
        'clearIntervals: input.end must have its end after its start',
      ],
      [
        () => activities.prepareSegment(segmentOf([{ ...events, interval: [day(8), day(7)] }])),
        FAILURE_TYPES.invalidInput,
        'prepareSegment: input.items[0].interval must be [start, end) with end after start',
      ],
      [
        () => activities.prepareSegment({ ...segmentOf([events]), maxBytes: 0 }),
        FAILURE_TYPES.invalidInput,
        'prepareSegment: input.maxBytes must be a positive number of bytes (got 0)',
      ],
      [
        () => activities.prepareSegment(segmentOf([])),
        FAILURE_TYPES.invalidInput,
        'prepareSegment: input.items must name at least one batch',
      ],
      [
        () => activities.prepareSegment(segmentOf([events])),
        FAILURE_TYPES.unknownRun,
        `prepareSegment: run "${runId}" was never recorded started`,
      ],
      [
        () =>
          activities.prepareSegment(segmentOf([events, { ...events, snapshotId: 'src.events@0000000000' }])),
        FAILURE_TYPES.invalidInput,
        `prepareSegment: environment "prod" maps src.events to snapshot ${diff.snapshotMap['src.events']}, not src.events@0000000000`,
      ],
      [
        () => activities.completeSegment([{ executionId: 'x' }] as never),
        FAILURE_TYPES.invalidInput,
        'completeSegment: input[0].runId',
      ],
      [
        () => activities.recordRunStarted({ ...started, trigger: 'nightly' as never, models: [] }),
        FAILURE_TYPES.invalidInput,
        'recordRunStarted: input.trigger',
      ],
      [
        () => activities.recordRunStarted({ ...started, models: [], readyAt: 1.5 }),
        FAILURE_TYPES.invalidInput,
        'recordRunStarted: input.readyAt must be epoch milliseconds (a whole number) (got 1.5)',
      ],
      [
        () => activities.recordRunQueued({ ...started, models: [], reason: '' }),
        FAILURE_TYPES.invalidInput,
        'recordRunQueued: input.reason must be a non-empty string',
      ],
      [
        () => activities.recordRunReady({ runId, readyAt: 'soon' as never }),
        FAILURE_TYPES.invalidInput,
        'recordRunReady: input.readyAt',
      ],
      [
        () => activities.endQueuedRun({ runId, status: 'failed' as never, reason: 'nothing' }),
        FAILURE_TYPES.invalidInput,
        'endQueuedRun: input.status',
      ],
      [
        () => activities.requestRunSlot({ runId, environment: 'prod', priority: 0, limit: 0 }),
        FAILURE_TYPES.invalidInput,
        'requestRunSlot: input.limit',
      ],
    ];
    for (const [call, type, message] of cases) {
      const failure = await failureOf(call());
      expect([failure.type, failure.nonRetryable]).toEqual([type, true]);
      expect(failure.message).toContain(message);
    }

    await activities.recordRunStarted({ ...started, models: [] });
    const elsewhere = await failureOf(
      activities.prepareSegment({ ...segmentOf([events]), gateway: 'elsewhere' }),
    );
    expect([elsewhere.type, elsewhere.nonRetryable]).toEqual([FAILURE_TYPES.invalidInput, true]);
    expect(elsewhere.message).toBe(
      `prepareSegment: input.items[0] (src.events) runs on gateway "local", not on the segment's gateway "elsewhere"`,
    );
    const clash = await failureOf(
      activities.recordRunStarted({ ...started, scheduledAt: day(8), models: [] }),
    );
    expect([clash.type, clash.nonRetryable]).toEqual([FAILURE_TYPES.invalidInput, true]);
    expect(clash.message).toContain(`run "${runId}" already exists with scheduledAt`);
  });
});
