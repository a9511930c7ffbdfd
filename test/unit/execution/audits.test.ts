import { describe, expect, it } from 'vitest';
import { renderAudits } from '../../../core/execution/audits.ts';
import { physicalTable } from '../../../core/naming.ts';
import type { Audit } from '../../../core/project/types.ts';
import { days, testModel } from './model.ts';

const execution = Date.UTC(2020, 0, 10);
const audits: Record<string, Audit> = {
  positive_values: {
    name: 'positive_values',
    query: 'SELECT * FROM @this_model WHERE @column < @threshold',
    blocking: false,
    defaults: { threshold: '0' },
    location: { file: 'audits/values.sql', line: 2 },
  },
  items_exist: {
    name: 'items_exist',
    query: 'SELECT * FROM @this_model AS t WHERE t.item_id NOT IN (SELECT id FROM shop.items)',
    blocking: true,
    defaults: {},
    location: { file: 'audits/items.sql', line: 1 },
  },
};
const tables = {
  'shop.orders': physicalTable('shop.orders', 'o1').qualified,
  'shop.items': physicalTable('shop.items', 'i1').qualified,
};

describe('renderAudits', () => {
  it('substitutes arguments and defaults, and @this_model with the physical table', () => {
    const model = testModel('shop.orders', { name: 'FULL' }, 'SELECT 1', {
      audits: [{ name: 'positive_values', args: { column: 'total' } }],
    });
    expect(renderAudits({ model, models: [model], tables, execution, audits })).toEqual([
      {
        name: 'positive_values',
        blocking: false,
        query: 'SELECT * FROM "sluice__shop"."shop__orders__o1" WHERE total < 0',
      },
    ]);
  });

  it('renders built-in audits, blocking and non-blocking', () => {
    const model = testModel('shop.orders', { name: 'FULL' }, 'SELECT 1', {
      audits: [
        { name: 'not_null', args: { columns: '(id, total)' } },
        { name: 'not_null_non_blocking', args: { columns: '[id]' } },
      ],
    });
    const rendered = renderAudits({ model, models: [model], tables, execution, audits });
    expect(rendered.map((a) => [a.name, a.blocking])).toEqual([
      ['not_null', true],
      ['not_null_non_blocking', false],
    ]);
    expect(rendered[0]!.query).toContain('FROM "sluice__shop"."shop__orders__o1"');
    expect(rendered[0]!.query).toContain('id IS NULL OR total IS NULL');
  });

  it('restricts @this_model to the batch interval for time-range models and resolves other models', () => {
    const model = testModel(
      'shop.orders',
      { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'ds', lookback: 0 },
      'SELECT 1',
      {
        audits: [
          { name: 'positive_values', args: { column: 'total' } },
          { name: 'items_exist', args: {} },
        ],
      },
    );
    const items = testModel('shop.items', { name: 'FULL' }, 'SELECT 1 AS id');
    const [positive, exist] = renderAudits({
      model,
      models: [model, items],
      tables,
      execution,
      audits,
      interval: days('2020-01-02'),
    });
    const filtered = `(SELECT * FROM "sluice__shop"."shop__orders__o1" WHERE "ds" >= CAST('2020-01-02 00:00:00' AS TIMESTAMP) AND "ds" < CAST('2020-01-03 00:00:00' AS TIMESTAMP))`;
    expect(positive!.query).toBe(`SELECT * FROM ${filtered} AS this_model WHERE total < 0`);
    expect(exist!.query).toBe(
      `SELECT * FROM ${filtered} AS t WHERE t.item_id NOT IN (SELECT id FROM "sluice__shop"."shop__items__i1")`,
    );
  });

  it('names the model and the audit when an audit cannot be rendered', () => {
    const model = testModel('shop.orders', { name: 'FULL' }, 'SELECT 1', {
      audits: [{ name: 'nope', args: {} }],
    });
    expect(() => renderAudits({ model, models: [model], tables, execution, audits })).toThrow(
      `model "shop.orders": unknown audit 'nope'`,
    );
    const bad = testModel('shop.orders', { name: 'FULL' }, 'SELECT 1', {
      audits: [{ name: 'forall', args: { criteria: '(ds > @start_ds)' } }],
    });
    expect(() => renderAudits({ model: bad, models: [bad], tables, execution, audits })).toThrow(
      /^model "shop.orders": audit forall: .*@start_ds/,
    );
  });
});
