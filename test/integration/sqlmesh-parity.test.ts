/**
 * The project `sqlmesh init` writes, planned and applied by sluice as production applies plans (a
 * Temporal dev server, the scheduler worker, an apply executor in this process: plan/stack.ts), holds what
 * SQLMesh 0.236.4 itself produces for the same execution time (test/fixtures/sqlmesh-expected/,
 * see its README): into prod, into a dev environment created from the unchanged project (a
 * virtual update that copies nothing), and into dev again after one model changed (only that model
 * and its downstream are backfilled, into new tables; prod is untouched). Each warehouse (DuckDB,
 * PostgreSQL) runs against each state driver (PGlite, PostgreSQL).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentSchema, PHYSICAL_SCHEMA_PREFIX } from '../../core/naming.ts';
import { loadProject } from '../../core/project/load.ts';
import type { StateDriver } from '../../db/client.ts';
import type { EnginePool } from '../../engines/pool.ts';
import { environmentSnapshotMap } from '../../state/environments.ts';
import { listExecutions } from '../../state/executions.ts';
import { completedIntervals } from '../../state/intervals.ts';
import { listRuns } from '../../state/runs.ts';
import { TEST_DATABASE_URL } from '../support/postgres.ts';
import { type PlanStack, startPlanStack } from './plan/stack.ts';
import {
  copyFixture,
  editFile,
  enginesFor,
  FIXTURES,
  openState,
  readRelation,
  sortRows,
  type TableContents,
  tablesIn,
} from './plan/support.ts';
import { createScratchDatabase, type ScratchDatabase } from './state/harness.ts';

type Warehouse = 'duckdb' | 'postgres';

interface Expected {
  executionTime: string;
  change: { file: string; find: string; replace: string };
  prodIntervals: Record<string, Array<[number, number]>>;
  prod: Record<string, { columns: Array<{ name: string; type: string }>; rows: unknown[][] }>;
  devUnchanged: Expected['prod'];
  devChanged: Expected['prod'];
}

const SCHEMA = 'sqlmesh_example';
const SEED = `${SCHEMA}.seed_model`;
const INCREMENTAL = `${SCHEMA}.incremental_model`;
const FULL = `${SCHEMA}.full_model`;

function expected(warehouse: Warehouse): Expected {
  return JSON.parse(
    readFileSync(join(FIXTURES, 'sqlmesh-expected', `${warehouse}.json`), 'utf8'),
  ) as Expected;
}

/** SQLMesh's view contents with every value as text, as `readRelation` reads sluice's. */
function asText(views: Expected['prod']): Record<string, TableContents> {
  return Object.fromEntries(
    Object.entries(views).map(([model, view]) => [
      model,
      {
        columns: view.columns,
        rows: sortRows(view.rows.map((row) => row.map((value) => (value === null ? null : String(value))))),
      },
    ]),
  );
}

/** Configuration overrides that point the Postgres fixture's gateway at the test server's `database`. */
function postgresGateway(database: string): Record<string, string> {
  const url = new URL(TEST_DATABASE_URL);
  const prefix = 'SQLMESH__GATEWAYS__POSTGRES__CONNECTION__';
  return {
    [`${prefix}HOST`]: url.hostname,
    [`${prefix}PORT`]: url.port || '5432',
    [`${prefix}USER`]: decodeURIComponent(url.username || 'postgres'),
    ...(url.password ? { [`${prefix}PASSWORD`]: decodeURIComponent(url.password) } : {}),
    [`${prefix}DATABASE`]: database,
  };
}

const combinations: Array<[Warehouse, StateDriver]> = [
  ['duckdb', 'pglite'],
  ['duckdb', 'postgres'],
  ['postgres', 'pglite'],
  ['postgres', 'postgres'],
];

describe.each(combinations)(
  'sqlmesh init project on %s, state on %s',
  { timeout: 120_000 },
  (warehouse, driver) => {
    const want = expected(warehouse);
    const now = Date.parse(`${want.executionTime.replace(' ', 'T')}Z`);
    let state: Awaited<ReturnType<typeof openState>>;
    let project: ReturnType<typeof copyFixture>;
    let warehouseDb: ScratchDatabase | undefined;
    let env: Record<string, string> = {};
    const pools: EnginePool[] = [];
    let stack: PlanStack | undefined;

    beforeAll(async () => {
      state = await openState(driver, `parity_state_${warehouse}`);
      project = copyFixture(`sqlmesh-init-${warehouse}`);
      if (warehouse === 'postgres') {
        warehouseDb = await createScratchDatabase(`parity_wh_${driver}`);
        env = postgresGateway(warehouseDb.name);
      }
      stack = await startPlanStack({ db: state.db, project: loadProject(project.dir, { now, env }) });
    });

    afterAll(async () => {
      await stack?.stop();
      for (const pool of pools) await pool.closeAll();
      await state?.dispose();
      await warehouseDb?.drop();
      project?.remove();
    });

    function load() {
      const loaded = loadProject(project.dir, { now, env });
      const pool = pools[0] ?? enginesFor(loaded);
      if (pools.length === 0) pools.push(pool);
      return { loaded, engines: pool, engine: pool.get(loaded.config.defaultGateway) };
    }

    async function views(environment: string): Promise<Record<string, TableContents>> {
      const { engine } = load();
      const schema = environmentSchema(SCHEMA, environment);
      const result: Record<string, TableContents> = {};
      for (const model of [SEED, INCREMENTAL, FULL])
        result[model] = await readRelation(engine, schema, model.split('.')[1]!);
      return result;
    }

    it('plans prod, creates dev as a virtual update, and backfills only a changed model and its downstream in dev', async () => {
      const { db } = state;
      const { loaded, engine } = load();
      const planAndApply = (input: { project: typeof loaded; environment: string }) =>
        stack!.planAndApply({ ...input, now });

      // prod: everything is new and backfilled from each model's start
      const prod = await planAndApply({ project: loaded, environment: 'prod' });
      expect(prod.diff.base).toBeNull();
      expect(prod.diff.added).toEqual([SEED, INCREMENTAL, FULL]);
      expect(prod.diff.backfill.map((entry) => [entry.model, entry.execution, entry.intervals])).toEqual([
        [SEED, 'single', want.prodIntervals[SEED]],
        [INCREMENTAL, 'batched', want.prodIntervals[INCREMENTAL]],
        [FULL, 'single', want.prodIntervals[FULL]],
      ]);
      expect(prod.executions.map((execution) => [execution.model, execution.status])).toEqual([
        [SEED, 'succeeded'],
        [INCREMENTAL, 'succeeded'],
        [FULL, 'succeeded'],
      ]);
      expect(await views('prod')).toEqual(asText(want.prod));
      const prodMap = await environmentSnapshotMap(db, 'prod');
      expect(prodMap).toEqual(prod.diff.snapshotMap);
      const completed = await completedIntervals(db, Object.values(prodMap));
      expect(
        Object.fromEntries(Object.entries(prodMap).map(([model, id]) => [model, completed[id]])),
      ).toEqual(want.prodIntervals);
      const physicalSchema = `${PHYSICAL_SCHEMA_PREFIX}${SCHEMA}`;
      const prodTables = await tablesIn(engine, physicalSchema);
      expect(prodTables).toHaveLength(3);

      // dev from the unchanged project: no data copied, the views read prod's tables
      const executionsBefore = (await listExecutions(db, { limit: 500 })).items.length;
      const devUnchanged = await planAndApply({ project: loaded, environment: 'dev' });
      expect(devUnchanged.diff.base).toBe('prod');
      expect(devUnchanged.diff.unchanged).toEqual([SEED, INCREMENTAL, FULL]);
      expect(devUnchanged.diff.virtualUpdateOnly).toBe(true);
      expect(devUnchanged.executions).toEqual([]);
      expect((await listExecutions(db, { limit: 500 })).items).toHaveLength(executionsBefore);
      expect(await environmentSnapshotMap(db, 'dev')).toEqual(prodMap);
      expect(await tablesIn(engine, physicalSchema)).toEqual(prodTables);
      expect(await views('dev')).toEqual(asText(want.devUnchanged));

      // change incremental_model: dev backfills it and full_model into new snapshots
      editFile(join(project.dir, want.change.file), want.change.find, want.change.replace);
      const changed = load().loaded;
      const dev = await planAndApply({ project: changed, environment: 'dev' });
      expect(dev.diff.base).toBe('dev');
      expect(dev.diff.directlyModified).toEqual([INCREMENTAL]);
      expect(dev.diff.indirectlyModified).toEqual([FULL]);
      expect(dev.diff.unchanged).toEqual([SEED]);
      expect(dev.diff.backfill.map((entry) => entry.model)).toEqual([INCREMENTAL, FULL]);
      expect(dev.executions.map((execution) => [execution.model, execution.status])).toEqual([
        [INCREMENTAL, 'succeeded'],
        [FULL, 'succeeded'],
      ]);
      expect(await views('dev')).toEqual(asText(want.devChanged));

      const devMap = await environmentSnapshotMap(db, 'dev');
      expect(devMap[SEED]).toBe(prodMap[SEED]);
      expect(devMap[INCREMENTAL]).not.toBe(prodMap[INCREMENTAL]);
      expect(devMap[FULL]).not.toBe(prodMap[FULL]);
      const allTables = await tablesIn(engine, physicalSchema);
      expect(allTables).toHaveLength(5);
      expect(allTables).toEqual(expect.arrayContaining(prodTables));

      // prod is untouched: same map, same contents
      expect(await environmentSnapshotMap(db, 'prod')).toEqual(prodMap);
      expect(await views('prod')).toEqual(asText(want.prod));
      const runs = (await listRuns(db, { trigger: 'plan' })).items;
      expect(runs.map((run) => [run.environment, run.status]).sort()).toEqual([
        ['dev', 'succeeded'],
        ['prod', 'succeeded'],
      ]);
    });
  },
);
