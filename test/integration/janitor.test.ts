import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPhysicalTables } from '../../activities/execution/create-physical-tables.ts';
import { janitor } from '../../activities/janitor.ts';
import { createSchedulerActivities } from '../../activities/scheduler/index.ts';
import type { ExecutionRequest } from '../../core/execution/request.ts';
import { physicalTable } from '../../core/naming.ts';
import { fingerprintOf } from '../../core/plan/requests.ts';
import { loadProject } from '../../core/project/load.ts';
import type { Engine } from '../../engines/engine.ts';
import type { EnginePool } from '../../engines/pool.ts';
import { environmentSnapshotMap, getEnvironment, promoteEnvironment } from '../../state/environments.ts';
import { completedIntervals } from '../../state/intervals.ts';
import { computePlan } from '../../state/plan/compute.ts';
import { createPlanRecord } from '../../state/plan/record.ts';
import { storePlanSnapshots } from '../../state/plan/store-snapshots.ts';
import { getSnapshots } from '../../state/snapshots.ts';
import { TEST_DATABASE_URL } from '../support/postgres.ts';
import { postgresConfig } from '../support/project-config.ts';
import { createTestProject, NOW, poison, type TestProject } from './plan/project.ts';
import { type PlanStack, startPlanStack } from './plan/stack.ts';
import { enginesFor, openState, readRelation } from './plan/support.ts';
import { createScratchDatabase, DRIVERS, type ScratchDatabase, useStateDb } from './state/harness.ts';

/** Whether the physical table (or view) of `snapshotId` exists. */
async function physicalExists(engine: Engine, snapshotId: string): Promise<boolean> {
  const model = snapshotId.slice(0, snapshotId.lastIndexOf('@'));
  const { schema, table } = physicalTable(model, fingerprintOf(snapshotId));
  return (await engine.columns(schema, table)).length > 0;
}

describe.each(DRIVERS)('janitor (state on %s)', { timeout: 120_000 }, (driver) => {
  const state = useStateDb(driver, 'janitor');
  let project: TestProject;
  let engines: EnginePool;
  let engine: Engine;
  let stack: PlanStack | undefined;

  beforeEach(async () => {
    project = createTestProject();
    engines = enginesFor(project.load());
    engine = engines.get('local');
    await poison(engine, []);
  });

  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    await engines.closeAll();
    project.dispose();
  });

  /** Plans and applies the project on the real stack (started on first use). */
  const apply = async (environment: string) => {
    stack ??= await startPlanStack({ db: state.db, project: project.load() });
    return stack.planAndApply({ project: project.load(), environment, now: NOW });
  };

  it('drops the tables of snapshots no environment maps, once the last environment using them expires', async () => {
    const first = await apply('prod');
    await apply('dev');
    project.remove('models/latest.sql');
    project.write(
      'models/totals.sql',
      'MODEL (name mart.totals, kind FULL);\nSELECT count(*) AS days FROM src.events\n',
    );
    const second = await apply('prod');
    const oldTotals = first.diff.snapshotMap['mart.totals']!;
    const oldLatest = first.diff.snapshotMap['mart.latest']!;
    expect(second.diff.removed).toEqual(['mart.latest']);
    expect(await engine.columns('mart', 'latest')).toEqual([]);

    // dev still maps the old snapshots: nothing goes
    expect(await janitor({ db: state.db, engines, now: NOW })).toEqual({
      environments: [],
      snapshots: [],
      kept: [],
    });
    expect(await physicalExists(engine, oldTotals)).toBe(true);
    expect(await readRelation(engine, 'mart__dev', 'latest')).toMatchObject({
      rows: [['2024-01-05', '150']],
    });

    const devMap = await environmentSnapshotMap(state.db, 'dev');
    await promoteEnvironment(state.db, 'dev', devMap, null, { expiresAt: NOW - 1 });
    const result = await janitor({ db: state.db, engines, now: NOW });
    expect(result.environments).toEqual(['dev']);
    expect(result.snapshots.sort()).toEqual([oldLatest, oldTotals].sort());
    expect(result.kept).toEqual([]);
    expect(await getEnvironment(state.db, 'dev')).toBeNull();
    expect(await engine.columns('mart__dev', 'latest')).toEqual([]);
    expect(await engine.columns('src__dev', 'events')).toEqual([]);
    expect(await physicalExists(engine, oldTotals)).toBe(false);
    expect(await physicalExists(engine, oldLatest)).toBe(false);
    expect(await getSnapshots(state.db, [oldTotals, oldLatest])).toEqual([]);
    expect(await completedIntervals(state.db, [oldTotals])).toEqual({ [oldTotals]: [] });

    // what prod maps is untouched
    const prodMap = await environmentSnapshotMap(state.db, 'prod');
    for (const id of Object.values(prodMap)) {
      if (!id.startsWith('mart.constants@')) expect(await physicalExists(engine, id)).toBe(true);
    }
    expect((await readRelation(engine, 'mart', 'totals')).rows).toEqual([['5']]);
    expect(await janitor({ db: state.db, engines, now: NOW })).toEqual({
      environments: [],
      snapshots: [],
      kept: [],
    });
  });

  it('keeps the snapshots an open plan has stored but not promoted yet', async () => {
    // the first steps of an application: beginPlan stores the snapshots, the executor creates the tables
    const { planId, diff } = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'prod',
      submittedBy: 'tests',
      now: NOW,
    });
    const scheduler = createSchedulerActivities({ db: state.db });
    const work = await scheduler.beginPlan({ planId, environment: 'prod' });
    for (const { gateway, models } of work.tables) {
      const requests = await scheduler.tableRequests({ planId, environment: 'prod', gateway, models });
      await createPhysicalTables(engines.get(gateway), requests as ExecutionRequest[]);
    }
    const result = await janitor({ db: state.db, engines, now: NOW });
    expect(result.snapshots).toEqual([]);
    expect(result.kept.map((k) => k.reason)).toEqual(Array(4).fill('an open plan maps it'));
    expect(await physicalExists(engine, diff.snapshotMap['src.events']!)).toBe(true);
  });

  it('spares snapshots stored after createdBefore', async () => {
    const loaded = project.load();
    const diff = await computePlan({ db: state.db, project: loaded, environment: 'prod', now: NOW });
    await storePlanSnapshots({ db: state.db, project: loaded, diff });
    const spared = await janitor({ db: state.db, engines, createdBefore: Date.now() - 60_000 });
    expect(spared.snapshots).toEqual([]);
    const all = await janitor({ db: state.db, engines });
    expect(all.snapshots).toHaveLength(4);
  });
});

describe('janitor on a PostgreSQL warehouse', { timeout: 120_000 }, () => {
  let state: Awaited<ReturnType<typeof openState>>;
  let warehouse: ScratchDatabase;
  let dir: string;
  let engines: EnginePool | undefined;
  let stack: PlanStack | undefined;

  beforeAll(async () => {
    state = await openState('pglite', 'janitor_pg');
    warehouse = await createScratchDatabase('janitor_wh');
    dir = mkdtempSync(join(tmpdir(), 'sluice-janitor-'));
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'config.yaml'), postgresConfig('warehouse', warehouse.name));
  });

  afterAll(async () => {
    await stack?.stop();
    await engines?.closeAll();
    await state?.dispose();
    await warehouse?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (base: string) => {
    writeFileSync(join(dir, 'models/base.sql'), `MODEL (name j.base, kind FULL);\n${base}\n`);
    writeFileSync(
      join(dir, 'models/reader.sql'),
      'MODEL (name j.reader, kind VIEW);\nSELECT id FROM j.base\n',
    );
  };

  it('drops a superseded view before the table it reads, which PostgreSQL insists on', async () => {
    const password = new URL(TEST_DATABASE_URL).password;
    const env = password
      ? { SQLMESH__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD: decodeURIComponent(password) }
      : {};
    write('SELECT 1 AS id');
    const first = loadProject(dir, { now: NOW, env });
    engines = enginesFor(first);
    stack = await startPlanStack({ db: state.db, project: first });
    const before = await stack.planAndApply({ project: first, environment: 'prod', now: NOW });
    write('SELECT 2 AS id');
    const second = loadProject(dir, { now: NOW, env });
    await stack.planAndApply({ project: second, environment: 'prod', now: NOW });

    const result = await janitor({ db: state.db, engines, now: NOW });
    expect(result.snapshots.sort()).toEqual(Object.values(before.diff.snapshotMap).sort());
    const engine = engines.get('warehouse');
    for (const id of Object.values(before.diff.snapshotMap))
      expect(await physicalExists(engine, id)).toBe(false);
    expect((await readRelation(engine, 'j', 'reader')).rows).toEqual([['2']]);
  });
});
