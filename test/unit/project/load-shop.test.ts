import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditQuery } from '../../../core/project/audit-query.ts';
import { inspectProject, loadProject } from '../../../core/project/load.ts';

const ROOT = path.resolve('test/fixtures/projects/shop');
const NOW = Date.parse('2025-06-15T10:00:00Z');

describe('a project with models in subfolders (test/fixtures/projects/shop)', () => {
  const project = loadProject(ROOT, { now: NOW });
  const model = (name: string) => {
    const found = project.models.find((m) => m.name === name);
    if (!found) throw new Error(`no model ${name}`);
    return found;
  };

  it('orders models after their dependencies, by name among ready ones', () => {
    expect(project.models.map((m) => m.name)).toEqual([
      'staging.stg_customers',
      'staging.stg_orders',
      'ephemeral.order_lines',
      'marts.customer_orders',
      'marts.daily_revenue',
      'marts.orders_view',
    ]);
  });

  it('reads both gateways, names lower-cased, and the declared default', () => {
    expect(project.config.gateways).toEqual({
      warehouse: {
        connection: {
          type: 'postgres',
          host: 'db.internal',
          port: 5432,
          database: 'analytics',
          user: 'sluice',
        },
      },
      local: { connection: { type: 'duckdb', database: 'local.duckdb', pretty_sql: true } },
    });
    expect(project.config.defaultGateway).toBe('warehouse');
    expect(project.notices).toEqual(['config.yaml:24: config section ui is ignored by sluice']);
  });

  it('reads an incremental model written in lower case with comments and trailing commas', () => {
    const orders = model('staging.stg_orders');
    expect(orders.kind).toEqual({
      name: 'INCREMENTAL_BY_TIME_RANGE',
      timeColumn: 'order_date',
      timeColumnFormat: '%Y-%m-%d',
      batchSize: 7,
      lookback: 2,
    });
    expect(orders.columns).toEqual([
      { name: 'order_id', type: 'BIGINT' },
      { name: 'customer_id', type: 'INTEGER' },
      { name: 'total', type: 'DECIMAL(10, 2)' },
      { name: 'order_date', type: 'DATE' },
      { name: 'placed_at', type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
    expect(orders.grains).toEqual(['order_id']);
    // raw.orders is an external table, not a dependency.
    expect(orders.dependsOn).toEqual([]);
    expect(orders.location).toEqual({ file: 'models/staging/stg_orders.sql', line: 3 });
    expect(orders.query.startsWith('SELECT\n  o.order_id,')).toBe(true);
    expect(orders.query.endsWith('WHERE o.order_date BETWEEN @start_ds AND @end_ds')).toBe(true);
  });

  it('applies model_defaults where a model says nothing', () => {
    const orders = model('staging.stg_orders');
    expect(orders.dialect).toBe('postgres');
    expect(orders.cron).toBe('@daily');
    expect(orders.cronTz).toBe('UTC');
    expect(orders.owner).toBe('data-team');
    expect(orders.start).toEqual({ raw: '2024-01-01', ms: Date.parse('2024-01-01T00:00:00Z') });
    expect(orders.enabled).toBe(true);
  });

  it('reads a seed two folders up, relative to the model file', () => {
    const customers = model('staging.stg_customers');
    expect(customers.kind).toEqual({ name: 'SEED', path: '../../seeds/customers.csv', batchSize: 500 });
    expect(customers.seed).toEqual({
      path: 'seeds/customers.csv',
      content: 'customer_id,name,region\n1,Ada,eu\n2,Grace,us\n',
    });
    expect(customers.grains).toEqual(['customer_id']);
  });

  it('finds quoted references and references inside a CTE named like a model, but not text in strings', () => {
    const report = model('marts.customer_orders');
    expect(report.dependsOn).toEqual(['staging.stg_customers', 'staging.stg_orders']);
    expect(report.owner).toBe('ana');
    expect(report.description).toBe('Orders per customer');
    expect(report.tags).toEqual(['finance', 'daily report']);
    expect(report.grains).toEqual(['customer_id']);
    expect(report.audits).toEqual([
      { name: 'not_null', args: { columns: '(customer_id, total)' } },
      { name: 'unique_values', args: { columns: '[customer_id]' } },
      { name: 'positive_values', args: { column: 'total' } },
    ]);
  });

  it('combines explicit depends_on with the references of the query', () => {
    const revenue = model('marts.daily_revenue');
    expect(revenue.kind).toEqual({
      name: 'INCREMENTAL_BY_UNIQUE_KEY',
      uniqueKey: ['day', 'region'],
      lookback: 3,
    });
    expect(revenue.explicitDependsOn).toEqual(['staging.stg_customers']);
    expect(revenue.dependsOn).toEqual([
      'ephemeral.order_lines',
      'staging.stg_customers',
      'staging.stg_orders',
    ]);
    expect(revenue.cron).toBe('0 6 * * *');
    expect(revenue.cronTz).toBe('America/New_York');
    expect(revenue.intervalUnit).toBe('day');
    expect(revenue.start).toEqual({ raw: '1704067200000', ms: 1704067200000 });
    // A date-only end covers that whole day.
    expect(revenue.end).toEqual({ raw: '2030-12-31', ms: Date.parse('2031-01-01T00:00:00Z') });
    expect(revenue.query.endsWith('GROUP BY 1, 2')).toBe(true);
  });

  it('reads a materialized view on another gateway and a DuckDB FROM-first query', () => {
    const view = model('marts.orders_view');
    expect(view.kind).toEqual({ name: 'VIEW', materialized: true });
    expect(view.gateway).toBe('local');
    expect(view.dialect).toBe('duckdb');
    expect(view.enabled).toBe(false);
    expect(view.dependsOn).toEqual(['staging.stg_orders']);
    expect(model('ephemeral.order_lines').kind).toEqual({ name: 'EMBEDDED' });
  });

  it('reads two audits from one file, with defaults, dialect and blocking', () => {
    expect(project.audits).toEqual({
      positive_values: {
        name: 'positive_values',
        query: 'SELECT *\nFROM @this_model\nWHERE @column < @threshold',
        blocking: false,
        defaults: { threshold: '0' },
        location: { file: 'audits/values.sql', line: 3 },
      },
      at_most_rows: {
        name: 'at_most_rows',
        query: 'SELECT COUNT(*) FROM @this_model HAVING COUNT(*) > @max_rows',
        blocking: true,
        dialect: 'postgres',
        defaults: { max_rows: '1000000' },
        location: { file: 'audits/values.sql', line: 11 },
      },
    });
    const report = model('marts.customer_orders');
    expect(report.audits.map((ref) => auditQuery(project.audits, ref))).toEqual([
      {
        name: 'not_null',
        blocking: true,
        query: 'SELECT *\nFROM @this_model\nWHERE (customer_id IS NULL OR total IS NULL)',
      },
      {
        name: 'unique_values',
        blocking: true,
        query:
          'SELECT *\nFROM (\n  SELECT ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY customer_id) AS rank_1\n  FROM @this_model\n) AS audit_rows\nWHERE rank_1 > 1',
      },
      { name: 'positive_values', blocking: false, query: 'SELECT *\nFROM @this_model\nWHERE total < 0' },
    ]);
  });

  it('reports the same project through inspectProject without problems', () => {
    const inspection = inspectProject(ROOT, { now: NOW });
    expect(inspection.issues).toEqual([]);
    expect(inspection.project).toEqual(project);
    expect(inspection.notices).toEqual(project.notices);
  });

  it('applies environment overrides only when an environment is passed', () => {
    const overridden = loadProject(ROOT, {
      now: NOW,
      env: {
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: 'replica.internal',
        SLUICE__DEFAULT_GATEWAY: 'local',
      },
    });
    expect(overridden.config.gateways.warehouse?.connection.host).toBe('replica.internal');
    expect(overridden.config.defaultGateway).toBe('local');
  });
});
