import { describe, expect, it } from 'vitest';
import { physicalTable } from '../../core/naming.ts';
import { modelsByName, RenderError, renderQuery } from '../../core/render.ts';
import { days, testModel } from './execution/model.ts';

const execution = Date.UTC(2020, 0, 10, 6, 0, 0);
const incremental = { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'ds', lookback: 0 } as const;

const orders = testModel(
  'sushi.orders',
  incremental,
  'SELECT * FROM raw.orders WHERE ds BETWEEN @start_ds AND @end_ds',
);
const items = testModel('sushi.items', { name: 'FULL' }, 'SELECT 1 AS id');
const report = testModel(
  'sushi.report',
  { name: 'FULL' },
  'SELECT o.id, i.id AS item FROM sushi.orders AS o JOIN sushi.items AS i ON o.item_id = i.id',
);
const models = [orders, items, report];

const prodTables = {
  'sushi.orders': physicalTable('sushi.orders', 'prod1').qualified,
  'sushi.items': physicalTable('sushi.items', 'prod2').qualified,
  'sushi.report': physicalTable('sushi.report', 'prod3').qualified,
};
const devTables = { ...prodTables, 'sushi.orders': physicalTable('sushi.orders', 'dev1').qualified };

describe('renderQuery: macro variables', () => {
  it('renders the batch interval and @this_model', () => {
    const model = testModel(
      'sushi.orders',
      incremental,
      'SELECT @start_ds AS s, @end_ds AS e, @start_date AS d FROM @this_model',
    );
    expect(
      renderQuery({ model, models: [model], tables: prodTables, interval: days('2020-01-02', 2), execution }),
    ).toBe(
      `SELECT '2020-01-02' AS s, '2020-01-03' AS e, CAST('2020-01-02' AS DATE) AS d FROM "sluice__sushi"."sushi__orders__prod1"`,
    );
  });

  it('renders execution variables for FULL models without an interval', () => {
    const model = testModel('sushi.items', { name: 'FULL' }, 'SELECT @execution_ds AS run');
    expect(renderQuery({ model, models: [model], tables: prodTables, execution })).toBe(
      "SELECT '2020-01-10' AS run",
    );
  });

  it('requires an interval for incremental models, naming the model', () => {
    expect(() => renderQuery({ model: orders, models, tables: prodTables, execution })).toThrow(
      'model "sushi.orders": a INCREMENTAL_BY_TIME_RANGE batch needs an interval to render its query',
    );
  });

  it('names the model when a macro cannot be rendered', () => {
    const model = testModel('sushi.items', { name: 'FULL' }, 'SELECT @start_ds');
    expect(() => renderQuery({ model, models: [model], tables: prodTables, execution })).toThrow(RenderError);
    expect(() => renderQuery({ model, models: [model], tables: prodTables, execution })).toThrow(
      /^model "sushi.items": .*@start_ds/,
    );
  });
});

describe('renderQuery: model references', () => {
  it('reads the physical tables the caller maps models to (prod)', () => {
    expect(renderQuery({ model: report, models, tables: prodTables, execution })).toBe(
      'SELECT o.id, i.id AS item FROM "sluice__sushi"."sushi__orders__prod1" AS o JOIN "sluice__sushi"."sushi__items__prod2" AS i ON o.item_id = i.id',
    );
  });

  it('reads the development versions in a development backfill', () => {
    const sql = renderQuery({ model: report, models, tables: devTables, execution });
    expect(sql).toContain('"sluice__sushi"."sushi__orders__dev1" AS o');
    expect(sql).toContain('"sluice__sushi"."sushi__items__prod2" AS i');
    expect(sql).not.toContain('prod1');
  });

  it('resolves quoted and upper-case names as SQLMesh normalises them', () => {
    const model = testModel('sushi.report', { name: 'FULL' }, 'SELECT * FROM "sushi"."orders", SUSHI.Items');
    expect(renderQuery({ model, models, tables: prodTables, execution })).toBe(
      'SELECT * FROM "sluice__sushi"."sushi__orders__prod1", "sluice__sushi"."sushi__items__prod2"',
    );
  });

  it('leaves names that are not models alone (external tables, column references)', () => {
    const model = testModel(
      'sushi.report',
      { name: 'FULL' },
      'SELECT orders.id, sushi.orders_count FROM raw.orders AS orders JOIN sushi.items ON TRUE',
    );
    expect(renderQuery({ model, models, tables: prodTables, execution })).toBe(
      'SELECT orders.id, sushi.orders_count FROM raw.orders AS orders JOIN "sluice__sushi"."sushi__items__prod2" ON TRUE',
    );
  });

  it('lets CTE names shadow models: a CTE named like a model table is not a model reference', () => {
    const model = testModel(
      'sushi.report',
      { name: 'FULL' },
      'WITH orders AS (SELECT * FROM sushi.orders), items AS (SELECT 1 AS id) SELECT * FROM orders JOIN items ON TRUE',
    );
    expect(renderQuery({ model, models, tables: prodTables, execution })).toBe(
      'WITH orders AS (SELECT * FROM "sluice__sushi"."sushi__orders__prod1"), items AS (SELECT 1 AS id) SELECT * FROM orders JOIN items ON TRUE',
    );
  });

  it('does not touch strings or comments', () => {
    const query = [
      "SELECT 'FROM sushi.orders @start_ds' AS s, $$ FROM sushi.items $$ AS d",
      '-- FROM sushi.orders',
      '/* JOIN sushi.items @this_model */',
      'FROM sushi.items',
    ].join('\n');
    const model = testModel('sushi.report', { name: 'FULL' }, query);
    expect(renderQuery({ model, models, tables: prodTables, execution })).toBe(
      query.replace(/FROM sushi\.items$/, 'FROM "sluice__sushi"."sushi__items__prod2"'),
    );
  });

  it('fails, naming both models, when a referenced model has no physical table', () => {
    const { 'sushi.items': _items, ...withoutItems } = prodTables;
    expect(() => renderQuery({ model: report, models, tables: withoutItems, execution })).toThrow(
      'model "sushi.report": the query reads model "sushi.items" (query line 1), but no physical table was given for it',
    );
  });

  it('fails when the model itself has no physical table', () => {
    expect(() => renderQuery({ model: report, models, tables: {}, execution })).toThrow(
      'model "sushi.report": no physical table was given for the model itself',
    );
  });
});

describe('renderQuery: EMBEDDED models', () => {
  const recent = testModel(
    'sushi.recent_orders',
    { name: 'EMBEDDED' },
    'SELECT * FROM sushi.orders WHERE ds >= @start_ds -- recent only',
  );
  const nested = testModel('sushi.nested', { name: 'EMBEDDED' }, 'SELECT id FROM sushi.recent_orders');
  const all = [...models, recent, nested];
  const interval = days('2020-01-05');

  it('inlines the embedded query as a subquery aliased by its table name (embedded models have no table)', () => {
    const model = testModel(
      'sushi.daily',
      incremental,
      'SELECT COUNT(*) FROM sushi.recent_orders WHERE recent_orders.id > 0',
    );
    const tables = { ...prodTables, 'sushi.daily': physicalTable('sushi.daily', 'd1').qualified };
    expect(renderQuery({ model, models: all, tables, interval, execution })).toBe(
      `SELECT COUNT(*) FROM (\nSELECT * FROM "sluice__sushi"."sushi__orders__prod1" WHERE ds >= '2020-01-05' -- recent only\n) AS "recent_orders" WHERE recent_orders.id > 0`,
    );
  });

  it('keeps the alias the reference gives', () => {
    const model = testModel(
      'sushi.daily',
      incremental,
      'SELECT r.id FROM sushi.recent_orders r JOIN sushi.recent_orders AS s ON TRUE',
    );
    const tables = { ...prodTables, 'sushi.daily': physicalTable('sushi.daily', 'd1').qualified };
    const sql = renderQuery({ model, models: all, tables, interval, execution });
    expect(sql).toMatch(/^SELECT r\.id FROM \(\n.*\n\) r JOIN \(\n.*\n\) AS s ON TRUE$/);
    expect(sql).not.toContain('"recent_orders"');
  });

  it('inlines embedded models recursively, with the batch values and the caller mapping', () => {
    const model = testModel('sushi.daily', incremental, 'SELECT * FROM sushi.nested');
    const tables = { ...devTables, 'sushi.daily': physicalTable('sushi.daily', 'd1').qualified };
    expect(renderQuery({ model, models: all, tables, interval, execution })).toBe(
      `SELECT * FROM (\nSELECT id FROM (\nSELECT * FROM "sluice__sushi"."sushi__orders__dev1" WHERE ds >= '2020-01-05' -- recent only\n) AS "recent_orders"\n) AS "nested"`,
    );
  });

  it('names the embedded model when what it reads has no physical table', () => {
    const model = testModel('sushi.items', { name: 'FULL' }, 'SELECT * FROM sushi.recent_orders');
    const { 'sushi.orders': _orders, ...tables } = prodTables;
    expect(() => renderQuery({ model, models: all, tables, execution })).toThrow(
      'model "sushi.items": embedded model "sushi.recent_orders" reads model "sushi.orders" (query line 1), but no physical table was given for it',
    );
  });

  it('rejects embedded models that reference each other', () => {
    const a = testModel('sushi.a', { name: 'EMBEDDED' }, 'SELECT * FROM sushi.b');
    const b = testModel('sushi.b', { name: 'EMBEDDED' }, 'SELECT * FROM sushi.a');
    const model = testModel('sushi.items', { name: 'FULL' }, 'SELECT * FROM sushi.a');
    expect(() => renderQuery({ model, models: [a, b, model], tables: prodTables, execution })).toThrow(
      'model "sushi.items": embedded models reference each other: sushi.items -> sushi.a -> sushi.b -> sushi.a',
    );
  });
});

describe('renderQuery: the models given by name', () => {
  const recent = testModel('sushi.recent_orders', { name: 'EMBEDDED' }, 'SELECT * FROM sushi.orders');
  const all = [...models, recent];
  const model = testModel(
    'sushi.daily',
    { name: 'FULL' },
    'SELECT * FROM sushi.recent_orders JOIN sushi.items',
  );
  const tables = { ...prodTables, 'sushi.daily': physicalTable('sushi.daily', 'd1').qualified };

  it('renders the same from a map by name as from the list or a record', () => {
    const fromList = renderQuery({ model, models: all, tables, execution });
    expect(renderQuery({ model, models: modelsByName(all), tables, execution })).toBe(fromList);
    const record = Object.fromEntries(all.map((m) => [m.name, m]));
    expect(renderQuery({ model, models: record, tables, execution })).toBe(fromList);
    expect(fromList).toContain('"sluice__sushi"."sushi__items__prod2"');
  });

  it('indexes a list or a record by name, and takes a map as it is', () => {
    const byName = modelsByName(all);
    expect([...byName.keys()]).toEqual(all.map((m) => m.name));
    expect(modelsByName(byName)).toBe(byName);
    expect(modelsByName({ a: items })).toEqual(new Map([['sushi.items', items]]));
  });
});
