import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeBatch } from '../../activities/execution/execute-batch.ts';
import { buildExecution } from '../../core/execution/statements.ts';
import { environmentView, physicalTable } from '../../core/naming.ts';
import type { ModelKind } from '../../core/project/types.ts';
import { renderQuery } from '../../core/render.ts';
import { dropPhysicalTables, dropViews, ensurePhysicalSchemas, promoteViews } from '../../engines/views.ts';
import { testModel } from '../unit/execution/model.ts';
import { openWarehouse, WAREHOUSES, type Warehouse } from './execution/warehouses.ts';

const execution = Date.UTC(2020, 0, 10);

describe.each(WAREHOUSES)('virtual environments on %s', (type) => {
  let w: Warehouse;

  /** Builds snapshot `fingerprint` of `name` from `query` and returns its physical table's SQL name. */
  async function snapshot(
    name: string,
    fingerprint: string,
    query: string,
    kind: ModelKind = { name: 'FULL' },
  ) {
    const model = testModel(name, kind, query, { dialect: w.dialect });
    const physical = physicalTable(name, fingerprint).qualified;
    const rendered = renderQuery({ model, models: [model], tables: { [name]: physical }, execution });
    await executeBatch(w.engine, buildExecution({ model, fingerprint, query: rendered }));
    return physical;
  }

  const read = (view: string) => w.rows(`SELECT * FROM ${view} ORDER BY 1`);

  beforeAll(async () => {
    w = await openWarehouse(type, 'venv');
    await w.exec(
      'CREATE SCHEMA raw',
      'CREATE TABLE raw.orders (id INTEGER, total INTEGER)',
      'INSERT INTO raw.orders VALUES (1, 10), (2, 20)',
    );
  });

  afterAll(async () => {
    await w?.close();
  });

  it('promotes prod and dev views, and re-promoting switches what a view returns', async () => {
    const v1 = await snapshot('shop.orders', 'v1', 'SELECT id, total FROM raw.orders');
    const v2 = await snapshot('shop.orders', 'v2', 'SELECT id, total * 100 AS total FROM raw.orders');

    await promoteViews(w.engine, 'prod', [{ model: 'shop.orders', physical: v1 }]);
    await promoteViews(w.engine, 'dev', [{ model: 'shop.orders', physical: v2 }]);
    expect(environmentView('shop.orders', 'prod').qualified).toBe('"shop"."orders"');
    expect(environmentView('shop.orders', 'dev').qualified).toBe('"shop__dev"."orders"');
    expect(await read('shop.orders')).toEqual([
      { id: 1, total: 10 },
      { id: 2, total: 20 },
    ]);
    expect(await read('shop__dev.orders')).toEqual([
      { id: 1, total: 1000 },
      { id: 2, total: 2000 },
    ]);
    // views, not tables
    expect(await w.engine.tableExists('shop', 'orders')).toBe(false);
    expect(await w.engine.tableExists('shop__dev', 'orders')).toBe(false);

    await promoteViews(w.engine, 'prod', [{ model: 'shop.orders', physical: v2 }]);
    expect(await read('shop.orders')).toEqual([
      { id: 1, total: 1000 },
      { id: 2, total: 2000 },
    ]);
    await promoteViews(w.engine, 'prod', [{ model: 'shop.orders', physical: v1 }]);
    expect(await read('shop.orders')).toEqual([
      { id: 1, total: 10 },
      { id: 2, total: 20 },
    ]);
  });

  it('re-points a view at a table with other columns', async () => {
    const narrow = await snapshot('shop.shape', 'n1', 'SELECT id FROM raw.orders');
    const wide = await snapshot('shop.shape', 'w1', "SELECT 'x' AS label, id, total FROM raw.orders");
    await promoteViews(w.engine, 'prod', [{ model: 'shop.shape', physical: narrow }]);
    await promoteViews(w.engine, 'prod', [{ model: 'shop.shape', physical: wide }]);
    expect((await w.engine.columns('shop', 'shape')).map((c) => c.name)).toEqual(['label', 'id', 'total']);
    await promoteViews(w.engine, 'prod', [{ model: 'shop.shape', physical: narrow }]);
    expect((await w.engine.columns('shop', 'shape')).map((c) => c.name)).toEqual(['id']);
  });

  it('a FULL model rebuilds its table while environment views read it', async () => {
    const physical = await snapshot('shop.totals', 't1', 'SELECT SUM(total) AS total FROM raw.orders');
    await promoteViews(w.engine, 'prod', [{ model: 'shop.totals', physical }]);
    await promoteViews(w.engine, 'dev', [{ model: 'shop.totals', physical }]);
    await w.exec('INSERT INTO raw.orders VALUES (3, 5)');
    await snapshot('shop.totals', 't1', 'SELECT SUM(total) AS total FROM raw.orders');
    expect(await read('shop.totals')).toEqual([{ total: 35 }]);
    expect(await read('shop__dev.totals')).toEqual([{ total: 35 }]);
    await w.exec('DELETE FROM raw.orders WHERE id = 3');
  });

  it('drops environment views, and dropping a missing view is harmless', async () => {
    const physical = await snapshot('shop.dropme', 'd1', 'SELECT id FROM raw.orders');
    await promoteViews(w.engine, 'pr_7', [{ model: 'shop.dropme', physical }]);
    expect(await w.engine.columns('shop__pr_7', 'dropme')).toHaveLength(1);
    await dropViews(w.engine, 'pr_7', ['shop.dropme']);
    expect(await w.engine.columns('shop__pr_7', 'dropme')).toEqual([]);
    await dropViews(w.engine, 'pr_7', ['shop.dropme', 'shop.never_promoted']);
    expect(await w.engine.tableExists('sluice__shop', 'shop__dropme__d1')).toBe(true);
  });

  it('drops physical tables and physical views for the janitor', async () => {
    const table = await snapshot('shop.old', 'o1', 'SELECT id FROM raw.orders');
    const view = await snapshot('shop.old_view', 'o2', 'SELECT id FROM raw.orders', {
      name: 'VIEW',
      materialized: false,
    });
    expect(await w.engine.columns('sluice__shop', 'shop__old_view__o2')).toHaveLength(1);
    await dropPhysicalTables(w.engine, [table, view, physicalTable('shop.gone', 'g1').qualified]);
    expect(await w.engine.tableExists('sluice__shop', 'shop__old__o1')).toBe(false);
    expect(await w.engine.columns('sluice__shop', 'shop__old__o1')).toEqual([]);
    expect(await w.engine.columns('sluice__shop', 'shop__old_view__o2')).toEqual([]);
  });

  it('creates the physical schemas of prepared batches', async () => {
    const model = testModel('fresh.things', { name: 'FULL' }, 'SELECT 1 AS x', { dialect: w.dialect });
    const request = buildExecution({ model, fingerprint: 'f1', query: 'SELECT 1 AS x' });
    await ensurePhysicalSchemas(w.engine, [request, request]);
    await ensurePhysicalSchemas(w.engine, [request]);
    const found = await w.rows(
      "SELECT schema_name FROM information_schema.schemata WHERE schema_name = 'sluice__fresh'",
    );
    expect(found).toEqual([{ schema_name: 'sluice__fresh' }]);
  });

  it('rejects an invalid environment name before touching the warehouse', async () => {
    await expect(
      promoteViews(w.engine, 'Bad-Env', [{ model: 'shop.orders', physical: '"x"."y"' }]),
    ).rejects.toThrow('invalid environment name "Bad-Env"');
    await expect(dropViews(w.engine, 'Bad-Env', ['shop.orders'])).rejects.toThrow(
      'invalid environment name "Bad-Env"',
    );
    expect(await w.engine.columns('shop__Bad-Env', 'orders')).toEqual([]);
  });
});
