/**
 * Plans applied the way production applies them (stack.ts): queued on the environment workflow,
 * applied by the apply workflow with the scheduler worker on a PostgreSQL state database and an apply
 * executor on a DuckDB warehouse. What the state database and the warehouse hold afterwards.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPendingPlan, environmentState, pauseModel } from '../../../api/environment-commands.ts';
import type { Project } from '../../../core/project/types.ts';
import { planWorkflowId } from '../../../core/workflow-ids.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import type { Engine } from '../../../engines/engine.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { environmentSnapshotMap, getEnvironment } from '../../../state/environments.ts';
import { completedIntervals } from '../../../state/intervals.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { getPlan } from '../../../state/plans.ts';
import { getRun } from '../../../state/runs.ts';
import { waitFor } from '../../support/waiting.ts';
import { createScratchDatabase, resetState, type ScratchDatabase } from '../state/harness.ts';
import { createTestProject, day, EVENTS, NOW, poison, type TestProject } from './project.ts';
import { APPLY_EXECUTOR, type PlanStack, startPlanStack } from './stack.ts';
import { enginesFor, readRelation } from './support.ts';

describe('applying plans through the apply workflow (DuckDB warehouse)', { timeout: 120_000 }, () => {
  let scratch: ScratchDatabase;
  let state: StateConnection;
  let project: TestProject;
  let engines: EnginePool;
  let engine: Engine;
  let stack: PlanStack;

  beforeAll(async () => {
    scratch = await createScratchDatabase('plan_apply');
    state = createStateDb({ url: scratch.url });
    await migrate(state.db);
  });

  afterAll(async () => {
    await state?.close();
    await scratch?.drop();
  });

  beforeEach(async () => {
    await resetState(state.db);
    project = createTestProject();
    engines = enginesFor(project.load());
    engine = engines.get('local');
    await poison(engine, []);
    stack = await startPlanStack({ db: state.db, project: project.load() });
  });

  afterEach(async () => {
    await stack?.stop();
    await engines.closeAll();
    project.dispose();
  });

  const plan = (loaded: Project, environment = 'prod', extra: { start?: number; end?: number } = {}) =>
    stack.planAndApply({ project: loaded, environment, now: NOW, ...extra });

  const rows = async (schema: string, table: string) => (await readRelation(engine, schema, table)).rows;

  it('backfills every model in dependency order, inlines embedded models and exposes the rest as views', async () => {
    const applied = await plan(project.load());
    const { diff, plan: stored, executions } = applied;

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
    const map = await environmentSnapshotMap(state.db, 'prod');
    expect(Object.keys(map)).toEqual(['mart.constants', 'mart.latest', 'mart.totals', 'src.events']);
    expect(map).toEqual(diff.snapshotMap);

    // the plan's record: applied, with the progress production records
    expect(stored).toMatchObject({
      status: 'applied',
      error: null,
      progress: { step: 'environment', models: 4 },
    });
    expect(stored.startedAt).not.toBeNull();
    expect(stored.finishedAt).not.toBeNull();
    expect((await getEnvironment(state.db, 'prod'))?.planId).toBe(applied.planId);

    // one run records the backfill: five executions on the apply executor, each after its upstream
    expect(await getRun(state.db, applied.runId)).toMatchObject({
      trigger: 'plan',
      planId: applied.planId,
      status: 'succeeded',
      environment: 'prod',
    });
    expect(executions.map((e) => [e.model, e.interval, e.status])).toEqual([
      ['src.events', [day(1), day(3)], 'succeeded'],
      ['src.events', [day(3), day(5)], 'succeeded'],
      ['src.events', [day(5), day(6)], 'succeeded'],
      ['mart.totals', [day(1), day(6)], 'succeeded'],
      ['mart.latest', [day(1), day(6)], 'succeeded'],
    ]);
    expect(executions.every((e) => e.executor === APPLY_EXECUTOR && e.attempt === 1)).toBe(true);
    expect(executions[0]).toMatchObject({ rowsAffected: 2 });
    const finished = (model: string) =>
      Math.max(...executions.filter((e) => e.model === model).map((e) => Date.parse(e.finishedAt!)));
    const started = (model: string) =>
      Math.min(...executions.filter((e) => e.model === model).map((e) => Date.parse(e.startedAt!)));
    expect(started('mart.totals')).toBeGreaterThanOrEqual(finished('src.events'));
    expect(started('mart.latest')).toBeGreaterThanOrEqual(finished('mart.totals'));

    // every interval the backfill covered is recorded complete
    const completed = await completedIntervals(state.db, Object.values(map));
    expect(completed[map['src.events']!]).toEqual([[day(1), day(6)]]);
    expect(completed[map['mart.totals']!]).toEqual([[day(1), day(6)]]);
  });

  it('stops a model at its first failing batch, skips its downstream, names both, and leaves a new environment uncreated', async () => {
    await poison(engine, [4]);
    const loaded = project.load();
    const failed = await stack.settle(
      (await stack.submit({ project: loaded, environment: 'prod', now: NOW })).planId,
    );

    expect(failed.plan.status).toBe('failed');
    const error = failed.plan.error ?? '';
    expect(error).toMatch(/^backfill failed; /);
    expect(error).toMatch(
      /src\.events failed: src\.events \[2024-01-03 00:00, 2024-01-05 00:00\): SQL_ERROR: .*poisoned/,
    );
    expect(error).toMatch(/mart\.totals skipped: upstream src\.events failed/);
    expect(error).toMatch(/mart\.latest skipped: upstream/);
    expect(await getEnvironment(state.db, 'prod')).toBeNull();
    expect(await engine.columns('src', 'events')).toEqual([]);
    expect(await engine.columns('mart', 'totals')).toEqual([]);

    const events = failed.diff.snapshotMap['src.events']!;
    expect((await completedIntervals(state.db, [events]))[events]).toEqual([[day(1), day(3)]]);
    expect((await getRun(state.db, failed.runId))?.status).toBe('failed');
    const byModel = failed.executions.map((e) => [e.model, e.interval, e.status]);
    // the batch after the failed one was prepared in the same segment: it ends skipped, never run
    expect(byModel.filter(([model]) => model === 'src.events')).toEqual([
      ['src.events', [day(1), day(3)], 'succeeded'],
      ['src.events', [day(3), day(5)], 'failed'],
      ['src.events', [day(5), day(6)], 'skipped'],
    ]);
    expect(failed.executions.find((e) => e.model === 'src.events' && e.status === 'skipped')).toMatchObject({
      startedAt: null,
      skipReason: 'src.events [2024-01-03 00:00, 2024-01-05 00:00) failed',
    });
    const failure = failed.executions.find((e) => e.status === 'failed')!;
    expect(failure.attempt).toBeGreaterThanOrEqual(1);
    expect(failure.error).toMatch(/poisoned/);
    // downstream executions recorded ahead of time end skipped with the reason, never run
    for (const skipped of failed.executions.filter((e) => e.model !== 'src.events')) {
      expect(skipped).toMatchObject({ status: 'skipped', startedAt: null });
      expect(skipped.skipReason).toMatch(/^upstream /);
    }

    // a new plan for the same project resumes: the completed batch is not run again
    await poison(engine, []);
    const retry = await plan(loaded);
    expect(retry.diff.backfill[0]!.intervals).toEqual([
      [day(3), day(5)],
      [day(5), day(6)],
    ]);
    expect(retry.executions.filter((e) => e.model === 'src.events').map((e) => e.interval)).toEqual([
      [day(3), day(5)],
      [day(5), day(6)],
    ]);
    expect(await rows('mart', 'totals')).toEqual([['5', '150']]);
  });

  it('keeps the views and the snapshot map of an existing environment when a backfill fails', async () => {
    const first = await plan(project.load());
    const before = await environmentSnapshotMap(state.db, 'prod');
    await poison(engine, [2]);
    project.write(
      'models/events.sql',
      EVENTS.replace('SELECT CAST(d AS DATE) AS ds', 'SELECT DISTINCT CAST(d AS DATE) AS ds'),
    );
    const submitted = await stack.submit({ project: project.load(), environment: 'prod', now: NOW });
    expect(submitted.diff.directlyModified).toEqual(['src.events']);
    const failed = await stack.settle(submitted.planId);
    expect(failed.plan.status).toBe('failed');
    expect(failed.plan.error).toMatch(
      /src\.events failed: src\.events \[2024-01-01 00:00, 2024-01-03 00:00\): SQL_ERROR/,
    );
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(before);
    expect(await rows('mart', 'totals')).toEqual([['5', '150']]);
    expect(await rows('src', 'events')).toHaveLength(5);
    expect((await getEnvironment(state.db, 'prod'))?.planId).toBe(first.planId);

    // the environment's schedule is the applied plan's still
    const live = await environmentState(stack.temporal.client, 'prod');
    expect(live.models.map((m) => m.name).sort()).toEqual([
      'mart.constants',
      'mart.latest',
      'mart.totals',
      'src.events',
    ]);
    expect(live.applyingPlan).toBeNull();
  });

  it('drops the view of a removed model and keeps its physical table', async () => {
    const first = await plan(project.load());
    project.remove('models/latest.sql');
    const second = await plan(project.load());
    expect(second.diff.removed).toEqual(['mart.latest']);
    expect(second.diff.virtualUpdateOnly).toBe(true);
    expect(second.executions).toEqual([]);
    expect(await engine.columns('mart', 'latest')).toEqual([]);
    expect(await rows('mart', 'totals')).toEqual([['5', '150']]);
    const physical = first.diff.snapshotMap['mart.latest']!.replace('mart.latest@', 'mart__latest__');
    expect(await engine.columns('sluice__mart', physical)).not.toEqual([]);
    expect(await environmentSnapshotMap(state.db, 'prod')).not.toHaveProperty('mart.latest');
  });

  it('executes paused models too: a plan backfills everything in its diff', async () => {
    await plan(project.load());
    const { client } = stack.temporal;
    await waitFor(
      'the environment to take the plan',
      async () => ((await environmentState(client, 'prod')).models.length === 4 ? true : undefined),
      30_000,
    );
    await pauseModel(client, 'prod', 'mart.totals', 'tests', 'tests');
    await waitFor(
      'the pause',
      async () => ((await environmentState(client, 'prod')).pauses.models['mart.totals'] ? true : undefined),
      30_000,
    );
    project.write(
      'models/events.sql',
      EVENTS.replace(
        "CAST(strftime(d, '%d') AS INTEGER) AS v",
        "CAST(strftime(d, '%d') AS INTEGER) * 2 AS v",
      ),
    );
    const second = await plan(project.load());
    expect(second.diff.indirectlyModified).toContain('mart.totals');
    expect(second.executions.find((e) => e.model === 'mart.totals')?.status).toBe('succeeded');
    expect(await rows('mart', 'totals')).toEqual([['5', '300']]);
    expect((await environmentState(client, 'prod')).pauses.models['mart.totals']).toBeTruthy();
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
      stack.submit({ project: project.load(), environment: 'prod', now: NOW, start: day(3) }),
    ).rejects.toThrow(/may only narrow the plan of a development environment/);
  });

  it('refuses, when its turn comes, a plan computed before another plan changed the environment', async () => {
    const loaded = project.load();
    const pending = () =>
      createPendingPlan({
        db: state.db,
        project: loaded,
        environment: 'prod',
        submittedBy: 'tests',
        now: NOW,
      });
    // two plans that both create prod, queued one behind the other
    const first = await pending();
    const second = await pending();
    expect((await stack.queue(first.planId, 'prod')).position).toBe(1);
    await stack.queue(second.planId, 'prod');
    expect((await stack.settle(first.planId)).plan.status).toBe('applied');
    const refused = await stack.settle(second.planId);
    expect(refused.plan).toMatchObject({
      status: 'failed',
      error: `plan "${second.planId}" creates environment "prod", which exists now: compute the plan again`,
    });
    expect(refused.executions).toEqual([]);

    // a plan computed from the old project, queued behind one that changes the environment
    project.write(
      'models/totals.sql',
      'MODEL (name mart.totals, kind FULL);\nSELECT count(*) AS days, sum(v) AS total FROM src.events\n',
    );
    const stale = await pending();
    const rival = await stack.submit({ project: project.load(), environment: 'prod', now: NOW });
    await stack.queue(stale.planId, 'prod');
    expect((await stack.settle(rival.planId)).plan.status).toBe('applied');
    const staleEnd = await stack.settle(stale.planId);
    expect(staleEnd.plan.status).toBe('failed');
    expect(staleEnd.plan.error).toMatch(
      /^environment "prod" changed since plan ".*" was computed \(mart\.latest, mart\.totals\): compute the plan again$/,
    );
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(rival.diff.snapshotMap);
    expect(await rows('mart', 'totals')).toEqual([['5', '15']]);

    // an applied plan queued again is refused by the apply workflow and stays applied
    const again = stack.temporal.client.workflow.getHandle(planWorkflowId(rival.planId));
    const firstRun = (await again.describe()).runId;
    await stack.queue(rival.planId, 'prod');
    await waitFor(
      'the second application to end',
      async () => {
        const run = await again.describe();
        return run.runId !== firstRun && run.status.name !== 'RUNNING' ? run : undefined;
      },
      60_000,
    );
    const failure = await again.result().then(
      () => null,
      (error: unknown) => error,
    );
    const chain: string[] = [];
    for (let e = failure as Error | undefined; e; e = e.cause as Error | undefined) chain.push(e.message);
    expect(chain.join(' / ')).toContain(`plan "${rival.planId}" is applied; it cannot`);
    expect((await getPlan(state.db, rival.planId))?.status).toBe('applied');
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(rival.diff.snapshotMap);

    await expect(
      createPlanRecord({
        db: state.db,
        project: loaded,
        environment: 'dev',
        submittedBy: 'tests',
        now: NOW,
        createFrom: 'staging',
      }),
    ).rejects.toThrow('environment "dev" cannot be created from "staging": no such environment');
  });
});
