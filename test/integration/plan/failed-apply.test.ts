/**
 * "A failed backfill leaves the environment as it was", on the path production takes (stack.ts):
 * real workflows, real failures, a real warehouse (DuckDB and PostgreSQL). A plan whose model fails
 * (a query error, a failing blocking audit, a table that does not exist) ends `failed`, naming the
 * failed model with its error and the skipped downstream model with its reason; the environment's
 * views and snapshot map are untouched; and the fixed plan that follows applies.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { environmentState } from '../../../api/environment-commands.ts';
import { physicalTable } from '../../../core/naming.ts';
import { fingerprintOf } from '../../../core/plan/requests.ts';
import { loadProject } from '../../../core/project/load.ts';
import type { Project } from '../../../core/project/types.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import type { Engine } from '../../../engines/engine.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { environmentSnapshotMap, getEnvironment } from '../../../state/environments.ts';
import { completedIntervals } from '../../../state/intervals.ts';
import { getRun } from '../../../state/runs.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';
import { waitFor } from '../../support/waiting.ts';
import { createScratchDatabase, resetState, type ScratchDatabase } from '../state/harness.ts';
import { APPLY_EXECUTOR, type AppliedPlan, type PlanStack, startPlanStack } from './stack.ts';
import { enginesFor, readRelation } from './support.ts';

const NOW = Date.parse('2024-01-06T12:00:00Z');

type Warehouse = 'duckdb' | 'postgres';

function config(warehouse: Warehouse, database: string): string {
  const connection =
    warehouse === 'duckdb'
      ? ['      type: duckdb', `      database: ${database}`]
      : (() => {
          const url = new URL(TEST_DATABASE_URL);
          return [
            '      type: postgres',
            `      host: ${url.hostname}`,
            `      port: ${url.port || '5432'}`,
            `      user: ${decodeURIComponent(url.username || 'postgres')}`,
            `      database: ${database}`,
          ];
        })();
  return [
    'gateways:',
    '  wh:',
    '    connection:',
    ...connection,
    'default_gateway: wh',
    'model_defaults:',
    `  dialect: ${warehouse}`,
    "  start: '2024-01-01'",
    "  cron: '@daily'",
    '',
  ].join('\n');
}

const orders = (query: string, audits = '') =>
  `MODEL (\n  name shop.orders,\n  kind FULL${audits ? `,\n  audits (${audits})` : ''}\n);\n\n${query}\n`;

/** the first version: the source's rows as they are. */
const ORDERS = 'SELECT id, amount FROM ext.orders';
/** fails on the warehouse while its batch runs (not when its table is created): the row with id 2 does not cast. */
const BROKEN =
  "SELECT id, amount + CAST(CASE WHEN id = 2 THEN 'boom' ELSE '0' END AS INTEGER) AS amount FROM ext.orders";
/** the fix: amounts doubled. */
const FIXED = 'SELECT id, amount * 2 AS amount FROM ext.orders';
/** one amount missing, which the not_null audit refuses. */
const NULL_AMOUNT = 'SELECT id, CASE WHEN id = 2 THEN NULL ELSE amount END AS amount FROM ext.orders';

const REVENUE = `MODEL (
  name shop.revenue,
  kind FULL
);

SELECT count(*) AS orders, sum(amount) AS total FROM shop.orders
`;

describe.each<Warehouse>(['duckdb', 'postgres'])(
  'a failed plan, then a fixed one, on a %s warehouse',
  { timeout: 120_000 },
  (warehouse) => {
    let scratch: ScratchDatabase;
    let state: StateConnection;
    let warehouseDb: ScratchDatabase | undefined;
    let dir: string;
    let engines: EnginePool;
    let engine: Engine;
    let stack: PlanStack;

    const env = (): Record<string, string> => {
      const password = new URL(TEST_DATABASE_URL).password;
      return warehouse === 'postgres' && password
        ? { SQLMESH__GATEWAYS__WH__CONNECTION__PASSWORD: decodeURIComponent(password) }
        : {};
    };
    const load = (): Project => loadProject(dir, { now: NOW, env: env() });
    const write = (file: string, text: string) => writeFileSync(join(dir, file), text);

    beforeAll(async () => {
      scratch = await createScratchDatabase('failed_apply');
      state = createStateDb({ url: scratch.url });
      await migrate(state.db);
    });

    afterAll(async () => {
      await state?.close();
      await scratch?.drop();
    });

    beforeEach(async () => {
      await resetState(state.db);
      dir = mkdtempSync(join(tmpdir(), 'sluice-failed-apply-'));
      mkdirSync(join(dir, 'models'));
      if (warehouse === 'postgres') warehouseDb = await createScratchDatabase('failed_apply_wh');
      write('config.yaml', config(warehouse, warehouseDb?.name ?? 'warehouse.duckdb'));
      write('models/orders.sql', orders(ORDERS));
      write('models/revenue.sql', REVENUE);
      engines = enginesFor(load());
      engine = engines.get('wh');
      await engine.runInTransaction([
        { sql: 'CREATE SCHEMA IF NOT EXISTS ext' },
        { sql: 'CREATE TABLE ext.orders (id INTEGER, amount INTEGER)' },
        { sql: 'INSERT INTO ext.orders VALUES (1, 10), (2, 20)' },
      ]);
      stack = await startPlanStack({ db: state.db, project: load() });
    });

    afterEach(async () => {
      await stack?.stop();
      await engines?.closeAll();
      await warehouseDb?.drop();
      warehouseDb = undefined;
      rmSync(dir, { recursive: true, force: true });
    });

    const rows = async (schema: string, name: string) => (await readRelation(engine, schema, name)).rows;

    /** The text of a view's definition, as the warehouse holds it. */
    async function viewDefinition(schema: string, name: string): Promise<string | null> {
      const found = await engine.queryRows(
        `SELECT view_definition FROM information_schema.views WHERE table_schema = '${schema}' AND table_name = '${name}'`,
        1,
      );
      return found[0] ? String(found[0].view_definition) : null;
    }

    const physicalOf = (snapshotId: string) =>
      physicalTable(snapshotId.slice(0, snapshotId.lastIndexOf('@')), fingerprintOf(snapshotId)).table;

    async function submitAndSettle(environment = 'prod'): Promise<AppliedPlan> {
      const submitted = await stack.submit({ project: load(), environment, now: NOW });
      expect(submitted.position).toBe(1);
      return stack.settle(submitted.planId);
    }

    /** What a failed application of the orders model must leave in the state database. */
    async function expectFailedAndSkipped(failed: AppliedPlan, cause: RegExp): Promise<void> {
      expect(failed.plan.status).toBe('failed');
      expect(failed.plan.finishedAt).not.toBeNull();
      const error = failed.plan.error ?? '';
      expect(error).toMatch(/^backfill failed; /);
      expect(error).toMatch(/shop\.orders failed: shop\.orders \[2024-01-01 00:00, 2024-01-06 00:00\): /);
      expect(error).toMatch(cause);
      expect(error).toContain('shop.revenue skipped: upstream shop.orders failed');

      const run = await getRun(state.db, failed.runId);
      expect(run).toMatchObject({ trigger: 'plan', planId: failed.planId, status: 'failed' });
      expect(run?.error).toBe(error);
      const byModel = Object.fromEntries(failed.executions.map((e) => [e.model, e]));
      expect(Object.keys(byModel).sort()).toEqual(['shop.orders', 'shop.revenue']);
      expect(byModel['shop.orders']).toMatchObject({ status: 'failed', skipReason: null });
      expect(byModel['shop.orders']!.attempt).toBeGreaterThanOrEqual(1);
      expect(byModel['shop.orders']!.error).toMatch(cause);
      expect(byModel['shop.orders']!.finishedAt).not.toBeNull();
      // Who ran the failed attempt, and when it began, as the executor said.
      expect(byModel['shop.orders']!.executor).toBe(APPLY_EXECUTOR);
      expect(byModel['shop.orders']!.startedAt).not.toBeNull();
      expect(byModel['shop.orders']!.durationMs).toBeGreaterThanOrEqual(0);
      expect(byModel['shop.revenue']).toMatchObject({
        status: 'skipped',
        skipReason: 'upstream shop.orders failed',
        startedAt: null,
        error: null,
      });
      // nothing of the failed snapshot is recorded complete
      const ordersSnapshot = failed.diff.snapshotMap['shop.orders']!;
      expect((await completedIntervals(state.db, [ordersSnapshot]))[ordersSnapshot]).toEqual([]);
    }

    it('keeps the views and the snapshot map when a model fails, then applies the fix', async () => {
      const first = await stack.planAndApply({ project: load(), environment: 'prod', now: NOW });
      const before = await environmentSnapshotMap(state.db, 'prod');
      expect(await rows('shop', 'orders')).toEqual([
        ['1', '10'],
        ['2', '20'],
      ]);
      expect(await rows('shop', 'revenue')).toEqual([['2', '30']]);
      const oldOrders = physicalOf(before['shop.orders']!);
      expect(await viewDefinition('shop', 'orders')).toContain(oldOrders);

      write('models/orders.sql', orders(BROKEN));
      const failed = await submitAndSettle();
      expect(failed.diff.directlyModified).toEqual(['shop.orders']);
      expect(failed.diff.indirectlyModified).toEqual(['shop.revenue']);
      await expectFailedAndSkipped(failed, /SQL_ERROR: .*boom/);

      // the environment is as it was: same snapshot map, same plan, views on the old tables
      expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(before);
      expect((await getEnvironment(state.db, 'prod'))?.planId).toBe(first.planId);
      expect(await viewDefinition('shop', 'orders')).toContain(oldOrders);
      expect(await rows('shop', 'orders')).toEqual([
        ['1', '10'],
        ['2', '20'],
      ]);
      expect(await rows('shop', 'revenue')).toEqual([['2', '30']]);
      // the environment hears of the apply child's end a moment after the plan's record is final
      const live = await waitFor(
        'the environment to release the failed plan',
        async () => {
          const state = await environmentState(stack.temporal.client, 'prod');
          return state.applyingPlan === null ? state : undefined;
        },
        20_000,
      );
      expect(live.applyingPlan).toBeNull();
      expect(live.plansQueued).toEqual([]);

      // the fixed plan applies on the same environment and the views serve its data
      write('models/orders.sql', orders(FIXED));
      const fixed = await submitAndSettle();
      expect(fixed.plan).toMatchObject({ status: 'applied', error: null });
      expect(fixed.executions.map((e) => [e.model, e.status])).toEqual([
        ['shop.orders', 'succeeded'],
        ['shop.revenue', 'succeeded'],
      ]);
      expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(fixed.diff.snapshotMap);
      expect(await viewDefinition('shop', 'orders')).toContain(
        physicalOf(fixed.diff.snapshotMap['shop.orders']!),
      );
      expect(await rows('shop', 'orders')).toEqual([
        ['1', '20'],
        ['2', '40'],
      ]);
      expect(await rows('shop', 'revenue')).toEqual([['2', '60']]);
    });

    it('keeps the environment as it was when a blocking audit fails, then applies the fix', async () => {
      await stack.planAndApply({ project: load(), environment: 'prod', now: NOW });
      const before = await environmentSnapshotMap(state.db, 'prod');

      write('models/orders.sql', orders(NULL_AMOUNT, 'not_null(columns := [amount])'));
      const failed = await submitAndSettle();
      await expectFailedAndSkipped(
        failed,
        /AUDIT_FAILED: audit "not_null" failed for model "shop\.orders": 1 offending row/,
      );
      expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(before);
      expect(await rows('shop', 'orders')).toEqual([
        ['1', '10'],
        ['2', '20'],
      ]);
      expect(await rows('shop', 'revenue')).toEqual([['2', '30']]);

      write('models/orders.sql', orders(FIXED, 'not_null(columns := [amount])'));
      const fixed = await submitAndSettle();
      expect(fixed.plan.status).toBe('applied');
      expect(await rows('shop', 'orders')).toEqual([
        ['1', '20'],
        ['2', '40'],
      ]);
      expect(await rows('shop', 'revenue')).toEqual([['2', '60']]);
    });

    it('creates nothing of a new environment whose plan fails, then creates it with the fixed plan', async () => {
      write('models/orders.sql', orders(BROKEN));
      const failed = await submitAndSettle('dev');
      expect(failed.diff.base).toBeNull();
      await expectFailedAndSkipped(failed, /SQL_ERROR: .*boom/);
      expect(await getEnvironment(state.db, 'dev')).toBeNull();
      expect(await viewDefinition('shop__dev', 'orders')).toBeNull();
      expect(await viewDefinition('shop__dev', 'revenue')).toBeNull();

      write('models/orders.sql', orders(FIXED));
      const fixed = await submitAndSettle('dev');
      expect(fixed.plan.status).toBe('applied');
      expect(await environmentSnapshotMap(state.db, 'dev')).toEqual(fixed.diff.snapshotMap);
      expect(await rows('shop__dev', 'revenue')).toEqual([['2', '60']]);
    });

    it('fails a plan whose model reads a table that does not exist before any batch runs, and names the model', async () => {
      await stack.planAndApply({ project: load(), environment: 'prod', now: NOW });
      const before = await environmentSnapshotMap(state.db, 'prod');

      write('models/orders.sql', orders('SELECT id, amount FROM ext.missing_orders'));
      const failed = await submitAndSettle();
      expect(failed.plan.status).toBe('failed');
      // the table is created from the query's shape, so the plan fails there, before its backfill
      expect(failed.plan.error).toMatch(/^SQL_ERROR: .*"shop\.orders".*missing_orders/s);
      expect(failed.executions).toEqual([]);
      expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(before);
      expect(await rows('shop', 'revenue')).toEqual([['2', '30']]);

      // once the table exists, the same project applies
      await engine.runInTransaction([
        { sql: 'CREATE TABLE ext.missing_orders AS SELECT id, amount * 3 AS amount FROM ext.orders' },
      ]);
      const fixed = await submitAndSettle();
      expect(fixed.plan.status).toBe('applied');
      expect(await rows('shop', 'revenue')).toEqual([['2', '90']]);
    });
  },
);
