import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../activities/engines/engine.ts';
import type { EnginePool } from '../../../activities/engines/pool.ts';
import { applyPlan } from '../../../activities/plan/apply.ts';
import { PlanBackfillError } from '../../../activities/plan/backfill-error.ts';
import { computePlan } from '../../../activities/plan/compute.ts';
import type { PlanProgress } from '../../../activities/plan/progress.ts';
import { environmentSnapshotMap, getEnvironment } from '../../../activities/state/environments.ts';
import { listExecutions } from '../../../activities/state/executions.ts';
import { completedIntervals } from '../../../activities/state/intervals.ts';
import { pause } from '../../../activities/state/pauses.ts';
import { getPlan } from '../../../activities/state/plans.ts';
import { getRun } from '../../../activities/state/runs.ts';
import type { Project } from '../../../core/project/types.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';
import { createTestProject, day, EVENTS, NOW, poison, type TestProject } from './project.ts';
import { enginesFor, planAndApply, readRelation, storePlan } from './support.ts';

describe.each(DRIVERS)('applying plans (state on %s)', (driver) => {
  const state = useStateDb(driver, 'plan_apply');
  let project: TestProject;
  let engines: EnginePool;
  let engine: Engine;

  beforeEach(async () => {
    project = createTestProject();
    engines = enginesFor(project.load());
    engine = engines.get('local');
    await poison(engine, []);
  });

  afterEach(async () => {
    await engines.closeAll();
    project.dispose();
  });

  const plan = (
    loaded: Project,
    environment = 'prod',
    extra: { start?: number; end?: number; createFrom?: string | null } = {},
  ) => planAndApply({ db: state.db, engines, project: loaded, environment, now: NOW, ...extra });

  const rows = async (schema: string, table: string) => (await readRelation(engine, schema, table)).rows;

  it('backfills every model in dependency order, inlines embedded models and exposes the rest as views', async () => {
    const progress: PlanProgress[] = [];
    const loaded = project.load();
    const diff = await computePlan({ db: state.db, project: loaded, environment: 'prod', now: NOW });
    const planId = await storePlan(state.db, diff);
    const result = await applyPlan({
      db: state.db,
      engines,
      project: loaded,
      diff,
      planId,
      onProgress: (p) => progress.push(p),
    });

    expect(diff.backfill.map((entry) => [entry.model, entry.intervals])).toEqual([
      [
        'src.events',
        [
          [day(1), day(3)],
          [day(3), day(5)],
          [day(5), day(6)],
        ],
      ],
      ['mart.totals', [[day(1), day(6)]]],
      ['mart.latest', [[day(1), day(6)]]],
    ]);
    expect(result.backfill.executions).toBe(5);
    expect(await rows('src', 'events')).toEqual([
      ['2024-01-01', '1'],
      ['2024-01-02', '2'],
      ['2024-01-03', '3'],
      ['2024-01-04', '4'],
      ['2024-01-05', '5'],
    ]);
    expect(await rows('mart', 'totals')).toEqual([['5', '150']]);
    expect(await rows('mart', 'latest')).toEqual([['2024-01-05', '150']]);
    expect(await engine.columns('mart', 'constants')).toEqual([]);
    expect(Object.keys(await environmentSnapshotMap(state.db, 'prod'))).toEqual([
      'mart.constants',
      'mart.latest',
      'mart.totals',
      'src.events',
    ]);

    expect(progress.map((p) => p.step)).toEqual([
      'snapshots',
      'tables',
      'backfill',
      'backfill',
      'backfill',
      'backfill',
      'backfill',
      'views',
      'environment',
    ]);
    expect(progress[2]).toEqual({
      step: 'backfill',
      model: 'src.events',
      interval: [day(1), day(3)],
      done: 1,
      total: 5,
      rowsAffected: 2,
      alreadyComplete: false,
    });
    const stored = await getPlan(state.db, planId);
    expect(stored).toMatchObject({
      status: 'applied',
      error: null,
      progress: { step: 'environment', models: 4 },
    });
    expect(stored?.startedAt).not.toBeNull();
    expect(stored?.finishedAt).not.toBeNull();
    expect((await getEnvironment(state.db, 'prod'))?.planId).toBe(planId);
    const executions = (await listExecutions(state.db, { runId: result.backfill.runId! })).items;
    expect(executions.map((e) => e.status)).toEqual(Array(5).fill('succeeded'));
    expect(executions.find((e) => e.model === 'src.events' && e.interval?.[0] === day(1))).toMatchObject({
      rowsAffected: 2,
      attempt: 1,
    });
  });

  it('stops at the first failing batch, names its model and interval, and leaves a new environment uncreated', async () => {
    await poison(engine, [4]);
    const loaded = project.load();
    const diff = await computePlan({ db: state.db, project: loaded, environment: 'prod', now: NOW });
    const planId = await storePlan(state.db, diff);
    const failure = await applyPlan({ db: state.db, engines, project: loaded, diff, planId }).catch(
      (e: unknown) => e,
    );

    expect(failure).toBeInstanceOf(PlanBackfillError);
    const error = failure as PlanBackfillError;
    expect(error.model).toBe('src.events');
    expect(error.interval).toEqual([day(3), day(5)]);
    expect(error.message).toMatch(
      /^backfill of model src\.events failed for interval \[2024-01-03 00:00, 2024-01-05 00:00\): .*poisoned/,
    );
    const stored = await getPlan(state.db, planId);
    expect(stored?.status).toBe('failed');
    expect(stored?.error).toBe(error.message);
    expect(await getEnvironment(state.db, 'prod')).toBeNull();
    expect(await engine.columns('src', 'events')).toEqual([]);
    expect(await engine.columns('mart', 'totals')).toEqual([]);

    const events = diff.snapshotMap['src.events']!;
    expect((await completedIntervals(state.db, [events]))[events]).toEqual([[day(1), day(3)]]);
    const run = await getRun(state.db, `plan-${planId}`);
    expect(run?.status).toBe('failed');
    const executions = (await listExecutions(state.db, { runId: run!.id })).items;
    expect(executions.map((e) => [e.model, e.interval, e.status]).sort()).toEqual([
      ['src.events', [day(1), day(3)], 'succeeded'],
      ['src.events', [day(3), day(5)], 'failed'],
    ]);

    // a new plan for the same project resumes: the completed batch is not run again
    await poison(engine, []);
    const retry = await plan(loaded);
    expect(retry.diff.backfill[0]!.intervals).toEqual([
      [day(3), day(5)],
      [day(5), day(6)],
    ]);
    expect(await rows('mart', 'totals')).toEqual([['5', '150']]);
  });

  it('keeps the views and the snapshot map of an existing environment when a backfill fails', async () => {
    await plan(project.load());
    const before = await environmentSnapshotMap(state.db, 'prod');
    await poison(engine, [2]);
    project.write(
      'models/events.sql',
      EVENTS.replace('SELECT CAST(d AS DATE) AS ds', 'SELECT DISTINCT CAST(d AS DATE) AS ds'),
    );
    const changed = project.load();
    const diff = await computePlan({ db: state.db, project: changed, environment: 'prod', now: NOW });
    expect(diff.directlyModified).toEqual(['src.events']);
    const planId = await storePlan(state.db, diff);
    await expect(applyPlan({ db: state.db, engines, project: changed, diff, planId })).rejects.toThrow(
      /^backfill of model src\.events failed for interval \[2024-01-01 00:00, 2024-01-03 00:00\)/,
    );
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(before);
    expect(await rows('mart', 'totals')).toEqual([['5', '150']]);
    expect(await rows('src', 'events')).toHaveLength(5);
    expect((await getEnvironment(state.db, 'prod'))?.planId).not.toBe(planId);
    expect((await getPlan(state.db, planId))?.status).toBe('failed');
  });

  it('drops the view of a removed model and keeps its physical table', async () => {
    const first = await plan(project.load());
    project.remove('models/latest.sql');
    const second = await plan(project.load());
    expect(second.diff.removed).toEqual(['mart.latest']);
    expect(second.diff.virtualUpdateOnly).toBe(true);
    expect(second.result.views).toEqual({ promoted: 2, dropped: 1 });
    expect(await engine.columns('mart', 'latest')).toEqual([]);
    const physical = first.diff.snapshotMap['mart.latest']!.replace('mart.latest@', 'mart__latest__');
    expect(await engine.columns('sluice__mart', physical)).not.toEqual([]);
    expect(await environmentSnapshotMap(state.db, 'prod')).not.toHaveProperty('mart.latest');
  });

  it('executes paused models too: a plan backfills everything in its diff', async () => {
    await pause(state.db, { environment: 'prod', model: 'mart.totals', pausedBy: 'tests' });
    await plan(project.load());
    expect(await rows('mart', 'totals')).toEqual([['5', '150']]);
  });

  it('narrows a development plan to its start and end, and refuses to narrow prod', async () => {
    const dev = await plan(project.load(), 'dev', { start: day(3), end: day(5) });
    expect(dev.diff.backfill[0]!.intervals).toEqual([[day(3), day(5)]]);
    expect(await rows('src__dev', 'events')).toEqual([
      ['2024-01-03', '3'],
      ['2024-01-04', '4'],
    ]);
    expect(await rows('mart__dev', 'totals')).toEqual([['2', '70']]);
    await expect(
      computePlan({ db: state.db, project: project.load(), environment: 'prod', now: NOW, start: day(3) }),
    ).rejects.toThrow(/may only narrow the plan of a development environment/);
  });

  it('refuses a stale plan, a plan for another project, an applied plan and an unknown base environment', async () => {
    const loaded = project.load();
    const first = await computePlan({ db: state.db, project: loaded, environment: 'prod', now: NOW });
    const second = await computePlan({ db: state.db, project: loaded, environment: 'prod', now: NOW });
    const firstId = await storePlan(state.db, first);
    const secondId = await storePlan(state.db, second);
    await applyPlan({ db: state.db, engines, project: loaded, diff: first, planId: firstId });
    await expect(
      applyPlan({ db: state.db, engines, project: loaded, diff: second, planId: secondId }),
    ).rejects.toThrow(
      `plan "${secondId}" creates environment "prod", which exists now: compute the plan again`,
    );
    expect((await getPlan(state.db, secondId))?.status).toBe('failed');
    await expect(
      applyPlan({ db: state.db, engines, project: loaded, diff: first, planId: firstId }),
    ).rejects.toThrow(`plan "${firstId}" is applied; it cannot be applied`);

    project.write(
      'models/totals.sql',
      'MODEL (name mart.totals, kind FULL);\nSELECT count(*) AS days, sum(v) AS total FROM src.events\n',
    );
    const stale = await computePlan({ db: state.db, project: loaded, environment: 'prod', now: NOW });
    const rival = await computePlan({ db: state.db, project: project.load(), environment: 'prod', now: NOW });
    const rivalId = await storePlan(state.db, rival);
    await applyPlan({ db: state.db, engines, project: project.load(), diff: rival, planId: rivalId });
    const staleId = await storePlan(state.db, stale);
    await expect(
      applyPlan({ db: state.db, engines, project: loaded, diff: stale, planId: staleId }),
    ).rejects.toThrow(
      /^environment "prod" changed since plan ".*" was computed \(mart\.latest, mart\.totals\): compute the plan again$/,
    );

    const other = await computePlan({ db: state.db, project: project.load(), environment: 'prod', now: NOW });
    const otherId = await storePlan(state.db, other);
    await expect(
      applyPlan({ db: state.db, engines, project: loaded, diff: other, planId: otherId }),
    ).rejects.toThrow(/^model mart\.totals changed since the plan was computed/);

    await expect(
      computePlan({ db: state.db, project: loaded, environment: 'dev', now: NOW, createFrom: 'staging' }),
    ).rejects.toThrow('environment "dev" cannot be created from "staging": no such environment');
  });
});
