import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SchedulerActivities } from '../../../activities/contracts.ts';
import { createSchedulerActivities } from '../../../activities/scheduler/index.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { environmentSnapshotMap } from '../../../state/environments.ts';
import { listExecutions } from '../../../state/executions.ts';
import { completedIntervals } from '../../../state/intervals.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { getPlan, getPlanProject } from '../../../state/plans.ts';
import { getRun } from '../../../state/runs.ts';
import { enginesFor } from '../plan/support.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';
import { createSchedulerProject, day, NOW, type SchedulerProject } from './project.ts';
import { applyPlan, applyPlanWork, EXECUTOR, rows, runWork } from './support.ts';

/** The first run after the plan: the 9th's tick has passed, so the 6th to the 8th are ready. */
const LATER = Date.parse('2024-01-09T00:30:00Z');
const SCHEDULED = ['mart.factor', 'ref.labels', 'src.events', 'mart.daily', 'mart.totals', 'mart.latest'];

describe.each(DRIVERS)('scheduler activities over a plan and its runs (state on %s)', (driver) => {
  const state = useStateDb(driver, 'scheduler_flow');
  let project: SchedulerProject;
  let engines: EnginePool;
  let activities: SchedulerActivities;

  beforeEach(() => {
    project = createSchedulerProject();
    engines = enginesFor(project.load());
    activities = createSchedulerActivities({ db: state.db });
  });

  afterEach(async () => {
    await engines.closeAll();
    project.dispose();
  });

  const applyProd = () => applyPlan(state.db, activities, engines, project.load(), 'prod');

  it('applies a plan step by step, then schedules exactly the new ready intervals', async () => {
    const { planId, diff } = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'prod',
      submittedBy: 'ana',
      now: NOW,
    });
    expect(await getPlan(state.db, planId)).toMatchObject({ status: 'pending', submittedBy: 'ana' });
    const stored = (await getPlanProject(state.db, planId)) as { config: { gateways: unknown } };
    expect(stored.config.gateways).toEqual({ local: { connection: { type: 'duckdb' } } });
    expect(await activities.loadSchedule('prod')).toEqual([]);

    const work = await activities.beginPlan({ planId, environment: 'prod' });
    expect((await getPlan(state.db, planId))?.status).toBe('applying');
    expect(work.tables.map((group) => [group.gateway, group.models.length])).toEqual([['local', 5]]);
    const requests = await activities.tableRequests({
      planId,
      environment: 'prod',
      gateway: 'local',
      models: work.tables[0]!.models,
    });
    expect(requests.map((request) => (request as ExecutionRequest).model)).toEqual(work.tables[0]!.models);
    await expect(
      activities.tableRequests({
        planId,
        environment: 'prod',
        gateway: 'other',
        models: work.tables[0]!.models,
      }),
    ).rejects.toThrow(/creates no table on gateway "other"/);
    expect(work.backfill.map((w) => [w.model, w.dependsOn, w.batches, w.gateway])).toEqual([
      ['ref.labels', [], [[day(1), day(6)]], 'local'],
      [
        'src.events',
        [],
        [
          [day(1), day(3)],
          [day(3), day(5)],
          [day(5), day(6)],
        ],
        'local',
      ],
      ['mart.daily', ['src.events'], [[day(1), day(6)]], 'local'],
      ['mart.totals', ['src.events'], [[day(1), day(6)]], 'local'],
      ['mart.latest', ['mart.totals', 'src.events'], [[day(1), day(6)]], 'local'],
    ]);
    expect(work.backfill.every((w) => w.snapshotId === diff.snapshotMap[w.model])).toBe(true);
    expect(work.views).toEqual([
      {
        gateway: 'local',
        entries: expect.arrayContaining([
          {
            model: 'src.events',
            physical: `"sluice__src"."src__events__${diff.snapshotMap['src.events']!.split('@')[1]}"`,
          },
        ]),
      },
    ]);
    expect(work.views[0]!.entries).toHaveLength(5);
    expect(work.removed).toEqual([]);

    const applied = await applyPlanWork(activities, engines, work);
    expect(applied.executed).toHaveLength(7);
    expect(applied.alreadyComplete).toEqual([]);
    const schedule = await activities.finishPlan({ planId, environment: 'prod', status: 'applied' });
    expect((await getPlan(state.db, planId))?.status).toBe('applied');
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(diff.snapshotMap);
    const planRun = await getRun(state.db, `sluice-plan-${planId}`);
    expect(planRun).toMatchObject({ trigger: 'plan', status: 'succeeded', planId, environment: 'prod' });

    expect(schedule).toEqual(await activities.loadSchedule('prod'));
    const at = (name: string) => diff.snapshotMap[name]!;
    const planned = project.load().models;
    /** the interval unit and start the schedule carries for restatement ranges. */
    const life = (name: string) => {
      const model = planned.find((m) => m.name === name)!;
      return { intervalUnit: model.intervalUnit, startMs: model.start.ms };
    };
    expect(schedule).toEqual([
      {
        name: 'mart.factor',
        snapshotId: at('mart.factor'),
        kind: 'EMBEDDED',
        cron: '@daily',
        cronTz: 'UTC',
        dependsOn: [],
        gateway: 'local',
        ...life('mart.factor'),
      },
      {
        name: 'ref.labels',
        snapshotId: at('ref.labels'),
        kind: 'SEED',
        cron: '@daily',
        cronTz: 'UTC',
        dependsOn: [],
        gateway: 'local',
        ...life('ref.labels'),
      },
      {
        name: 'src.events',
        snapshotId: at('src.events'),
        kind: 'INCREMENTAL_BY_TIME_RANGE',
        cron: '@daily',
        cronTz: 'UTC',
        dependsOn: [],
        gateway: 'local',
        ...life('src.events'),
      },
      {
        name: 'mart.daily',
        snapshotId: at('mart.daily'),
        kind: 'INCREMENTAL_BY_TIME_RANGE',
        cron: '@daily',
        cronTz: 'UTC',
        dependsOn: ['src.events'],
        gateway: 'local',
        ...life('mart.daily'),
      },
      {
        name: 'mart.totals',
        snapshotId: at('mart.totals'),
        kind: 'FULL',
        cron: '@daily',
        cronTz: 'UTC',
        dependsOn: ['mart.factor', 'src.events'],
        gateway: 'local',
        ...life('mart.totals'),
      },
      {
        name: 'mart.latest',
        snapshotId: at('mart.latest'),
        kind: 'VIEW',
        materialized: false,
        cron: '@daily',
        cronTz: 'UTC',
        dependsOn: ['mart.totals', 'src.events'],
        gateway: 'local',
        ...life('mart.latest'),
      },
    ]);
    expect(await rows(engines, 'mart', 'totals')).toEqual([['5', '150']]);
    expect(await rows(engines, 'mart', 'latest')).toEqual([['2024-01-05', '150']]);
    expect((await rows(engines, 'mart', 'daily')).map((row) => row[2])).toEqual(Array(5).fill('2024-01-06'));
    expect(await rows(engines, 'ref', 'labels')).toEqual([
      ['1', 'one'],
      ['2', 'two'],
    ]);

    const due = await activities.findDueWork({ environment: 'prod', models: SCHEDULED, now: LATER });
    expect(due).toEqual([
      {
        model: 'src.events',
        snapshotId: at('src.events'),
        gateway: 'local',
        dependsOn: [],
        batches: [
          [day(6), day(8)],
          [day(8), day(9)],
        ],
      },
      {
        model: 'mart.daily',
        snapshotId: at('mart.daily'),
        gateway: 'local',
        dependsOn: ['src.events'],
        batches: [[day(6), day(9)]],
      },
      {
        model: 'mart.totals',
        snapshotId: at('mart.totals'),
        gateway: 'local',
        dependsOn: ['src.events'],
        batches: [[day(6), day(9)]],
      },
    ]);

    const runId = 'sluice-run-prod-20240109T0000Z';
    const run = { runId, environment: 'prod', trigger: 'schedule' as const, scheduledAt: day(9) };
    await activities.recordRunStarted({ ...run, models: due.map((w) => w.model) });
    expect(await getRun(state.db, runId)).toMatchObject({ status: 'running', trigger: 'schedule' });
    const ran = await runWork({
      activities,
      engines,
      runId,
      environment: 'prod',
      scheduledAt: day(9),
      work: due,
    });
    expect(ran.executed).toEqual([
      ['src.events', [day(6), day(8)]],
      ['src.events', [day(8), day(9)]],
      ['mart.daily', [day(6), day(9)]],
      ['mart.totals', [day(6), day(9)]],
    ]);
    const finishedAt = Date.now();
    const outcome = { status: 'succeeded' as const, batches: 1, rowsAffected: 3, finishedAt };
    await activities.recordRunFinished({
      ...run,
      status: 'succeeded',
      startedAt: day(9),
      finishedAt,
      models: {
        'src.events': { ...outcome, batches: 2 },
        'mart.daily': outcome,
        'mart.totals': { ...outcome, rowsAffected: 1 },
      },
    });
    expect(await getRun(state.db, runId)).toMatchObject({ status: 'succeeded', error: null });
    expect(await activities.findDueWork({ environment: 'prod', models: SCHEDULED, now: LATER })).toEqual([]);

    expect(await rows(engines, 'mart', 'totals')).toEqual([['8', '360']]);
    expect(await rows(engines, 'mart', 'latest')).toEqual([['2024-01-08', '360']]);
    expect((await rows(engines, 'mart', 'daily')).map((row) => row[2])).toEqual([
      ...Array(5).fill('2024-01-06'),
      ...Array(3).fill('2024-01-09'),
    ]);
    expect(await completedIntervals(state.db, [at('src.events'), at('mart.totals')])).toEqual({
      [at('src.events')]: [[day(1), day(9)]],
      [at('mart.totals')]: [[day(1), day(9)]],
    });

    const executions = (await listExecutions(state.db, { runId })).items;
    expect(executions.map((e) => [e.model, e.status, e.interval])).toEqual(
      expect.arrayContaining([
        ['src.events', 'succeeded', [day(6), day(8)]],
        ['src.events', 'succeeded', [day(8), day(9)]],
        ['mart.daily', 'succeeded', [day(6), day(9)]],
        ['mart.totals', 'succeeded', [day(6), day(9)]],
      ]),
    );
    expect(executions).toHaveLength(4);
    const daily = executions.find((e) => e.model === 'mart.daily')!;
    expect(daily).toMatchObject({ executor: EXECUTOR, attempt: 1, rowsAffected: 3, error: null });
    expect(daily.waitMs).toBeGreaterThanOrEqual(0);
    expect(daily.durationMs).toBeGreaterThanOrEqual(0);
    expect(daily.log?.renderedSql).toContain("BETWEEN '2024-01-06' AND '2024-01-08'");
    expect(daily.log?.plannedStatements).toBeUndefined();
    expect(daily.log?.statements?.length).toBeGreaterThan(2);
    expect(daily.log?.statements?.every((s) => s.sql.length > 0 && s.durationMs >= 0)).toBe(true);
    expect(daily.log?.statements?.some((s) => s.sql.startsWith('INSERT INTO') && s.rowsAffected === 3)).toBe(
      true,
    );
    expect(daily.log?.audits).toEqual([{ name: 'positive_values', blocking: true, failingRows: 0 }]);

    await activities.clearIntervals({
      environment: 'prod',
      models: ['src.events', 'mart.daily'],
      start: day(7),
      end: day(8),
    });
    expect(await activities.findDueWork({ environment: 'prod', models: SCHEDULED, now: LATER })).toEqual([
      {
        model: 'src.events',
        snapshotId: at('src.events'),
        gateway: 'local',
        dependsOn: [],
        batches: [[day(7), day(8)]],
      },
      {
        model: 'mart.daily',
        snapshotId: at('mart.daily'),
        gateway: 'local',
        dependsOn: ['src.events'],
        batches: [[day(7), day(8)]],
      },
    ]);
  });

  it('runs no model ahead of the upstream models its run does not include', async () => {
    const { diff } = await applyProd();
    const at = (name: string) => diff.snapshotMap[name]!;
    const downstream = ['mart.daily', 'mart.totals'];
    expect(await activities.findDueWork({ environment: 'prod', models: downstream, now: LATER })).toEqual([]);

    const runId = 'sluice-run-prod-manual-20240109T0030Z-1a2b3c4d';
    await activities.recordRunStarted({
      runId,
      environment: 'prod',
      trigger: 'manual',
      scheduledAt: LATER,
      models: ['src.events'],
    });
    const events = await activities.findDueWork({
      environment: 'prod',
      models: ['src.events'],
      now: LATER,
      restrict: { start: day(6), end: day(8) },
    });
    expect(events.map((w) => w.batches)).toEqual([[[day(6), day(8)]]]);
    await runWork({ activities, engines, runId, environment: 'prod', scheduledAt: LATER, work: events });

    expect(await activities.findDueWork({ environment: 'prod', models: downstream, now: LATER })).toEqual([
      {
        model: 'mart.daily',
        snapshotId: at('mart.daily'),
        gateway: 'local',
        dependsOn: [],
        batches: [[day(6), day(8)]],
      },
      {
        model: 'mart.totals',
        snapshotId: at('mart.totals'),
        gateway: 'local',
        dependsOn: [],
        batches: [[day(6), day(8)]],
      },
    ]);
    expect(await activities.findDueWork({ environment: 'prod', models: ['src.events'], now: LATER })).toEqual(
      [
        {
          model: 'src.events',
          snapshotId: at('src.events'),
          gateway: 'local',
          dependsOn: [],
          batches: [[day(8), day(9)]],
        },
      ],
    );
    expect(
      await activities.findDueWork({
        environment: 'prod',
        models: ['mart.latest', 'ref.labels', 'mart.factor'],
        now: LATER,
      }),
    ).toEqual([]);
  });
});
