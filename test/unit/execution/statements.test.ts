import { describe, expect, it } from 'vitest';
import { buildExecution, ExecutionBuildError } from '../../../core/execution/statements.ts';
import { days, testModel } from './model.ts';

const query = 'SELECT id, ds FROM raw.events -- trailing comment';
const sqls = (request: ReturnType<typeof buildExecution>) => request.statements.map((s) => s.sql);
const target = '"sluice__shop"."shop__events__f1"';
const source = `SELECT * FROM (\n${query}\n) AS sluice_query`;

describe('buildExecution', () => {
  it('describes the batch: model, snapshot, gateway, kind, physical table, labels', () => {
    const model = testModel('shop.events', { name: 'FULL' }, query, { gateway: 'warehouse' });
    const request = buildExecution({ model, fingerprint: 'f1', query });
    expect(request).toMatchObject({
      model: 'shop.events',
      snapshot: 'f1',
      gateway: 'warehouse',
      kind: 'FULL',
      physical: { schema: 'sluice__shop', table: 'shop__events__f1' },
      audits: [],
    });
    expect(request.statements.every((s) => s.label === 'shop.events')).toBe(true);
    expect(
      buildExecution({ model: { ...model, gateway: undefined }, fingerprint: 'f1', query }),
    ).not.toHaveProperty('gateway');
  });

  it('VIEW: creates the schema and replaces the view', () => {
    const model = testModel('shop.events', { name: 'VIEW', materialized: false }, query);
    const request = buildExecution({ model, fingerprint: 'f1', query });
    expect(sqls(request)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "sluice__shop"',
      `CREATE OR REPLACE VIEW ${target} AS\n${query}\n`,
    ]);
    expect(request.createStatements).toBe(2);
    expect(request.writeStatements).toEqual([]);
  });

  it('FULL and materialized VIEW: create empty from the query shape, empty, refill', () => {
    const expected = [
      'CREATE SCHEMA IF NOT EXISTS "sluice__shop"',
      `CREATE TABLE IF NOT EXISTS ${target} AS ${source} LIMIT 0`,
      `DELETE FROM ${target}`,
      `INSERT INTO ${target}\n${source}`,
    ];
    for (const kind of [{ name: 'FULL' }, { name: 'VIEW', materialized: true }] as const) {
      const request = buildExecution({
        model: testModel('shop.events', kind, query),
        fingerprint: 'f1',
        query,
      });
      expect(sqls(request)).toEqual(expected);
      expect(request.createStatements).toBe(2);
      expect(request.writeStatements).toEqual([3]);
    }
  });

  it('INCREMENTAL_BY_TIME_RANGE: deletes the interval and inserts the query rows inside it', () => {
    const model = testModel(
      'shop.events',
      { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'ds', lookback: 0 },
      query,
    );
    const request = buildExecution({ model, fingerprint: 'f1', query, interval: days('2020-01-01', 2) });
    const range = `"ds" >= CAST('2020-01-01 00:00:00' AS TIMESTAMP) AND "ds" < CAST('2020-01-03 00:00:00' AS TIMESTAMP)`;
    expect(sqls(request)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "sluice__shop"',
      `CREATE TABLE IF NOT EXISTS ${target} AS ${source} LIMIT 0`,
      `DELETE FROM ${target} WHERE ${range}`,
      `INSERT INTO ${target}\n${source}\nWHERE ${range}`,
    ]);
    expect(request.writeStatements).toEqual([3]);
  });

  it('INCREMENTAL_BY_TIME_RANGE with a formatted string column compares formatted strings', () => {
    const kind = {
      name: 'INCREMENTAL_BY_TIME_RANGE',
      timeColumn: 'ds',
      timeColumnFormat: '%Y%m%d',
      lookback: 0,
    } as const;
    const request = buildExecution({
      model: testModel('shop.events', kind, query),
      fingerprint: 'f1',
      query,
      interval: days('2020-01-01'),
    });
    expect(sqls(request)[2]).toBe(`DELETE FROM ${target} WHERE "ds" BETWEEN '20200101' AND '20200101'`);
  });

  it('INCREMENTAL_BY_TIME_RANGE needs an interval', () => {
    const model = testModel(
      'shop.events',
      { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'ds', lookback: 0 },
      query,
    );
    expect(() => buildExecution({ model, fingerprint: 'f1', query })).toThrow(
      'model "shop.events": an INCREMENTAL_BY_TIME_RANGE batch needs an interval',
    );
  });

  it('INCREMENTAL_BY_UNIQUE_KEY: stages, deletes matching keys (NULL keys too), inserts one row per key', () => {
    const model = testModel(
      'shop.events',
      { name: 'INCREMENTAL_BY_UNIQUE_KEY', uniqueKey: ['id', '"Ds"'], lookback: 0 },
      query,
    );
    const request = buildExecution({ model, fingerprint: 'f1', query, interval: days('2020-01-01') });
    expect(sqls(request)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "sluice__shop"',
      `CREATE TABLE IF NOT EXISTS ${target} AS ${source} LIMIT 0`,
      `CREATE TEMPORARY TABLE sluice_stage AS ${source}`,
      `DELETE FROM ${target} AS sluice_target WHERE EXISTS (SELECT 1 FROM sluice_stage AS sluice_source WHERE sluice_target."id" = sluice_source."id" AND sluice_target."Ds" = sluice_source."Ds")`,
      `DELETE FROM ${target} AS sluice_target WHERE (sluice_target."id" IS NULL OR sluice_target."Ds" IS NULL) AND EXISTS (SELECT 1 FROM sluice_stage AS sluice_source WHERE sluice_target."id" IS NOT DISTINCT FROM sluice_source."id" AND sluice_target."Ds" IS NOT DISTINCT FROM sluice_source."Ds")`,
      `INSERT INTO ${target}\nSELECT DISTINCT ON ("id", "Ds") * FROM sluice_stage`,
      'DROP TABLE sluice_stage',
    ]);
    expect(request.createStatements).toBe(2);
    expect(request.writeStatements).toEqual([5]);
  });

  it('SEED: creates the typed table, empties it and loads the rows', () => {
    const model = testModel('shop.events', { name: 'SEED', path: 'e.csv', batchSize: 1 }, '', {
      seed: { path: 'seeds/e.csv', content: 'id\n1\n2\n' },
    });
    const request = buildExecution({ model, fingerprint: 'f1', query: '' });
    expect(sqls(request).slice(0, 3)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "sluice__shop"',
      `CREATE TABLE IF NOT EXISTS ${target} ("id" BIGINT)`,
      `DELETE FROM ${target}`,
    ]);
    expect(request.statements).toHaveLength(5);
    expect(request.writeStatements).toEqual([3, 4]);
  });

  it('EMBEDDED: refuses, naming the model', () => {
    const model = testModel('shop.events', { name: 'EMBEDDED' }, query);
    expect(() => buildExecution({ model, fingerprint: 'f1', query })).toThrow(ExecutionBuildError);
    expect(() => buildExecution({ model, fingerprint: 'f1', query })).toThrow(
      'model "shop.events": EMBEDDED models have no table: they are inlined where referenced',
    );
  });

  it('refuses an empty query', () => {
    const model = testModel('shop.events', { name: 'FULL' }, '');
    expect(() => buildExecution({ model, fingerprint: 'f1', query: '  ' })).toThrow(
      'model "shop.events": the rendered query is empty',
    );
  });

  it('wraps each audit as a count of offending rows', () => {
    const model = testModel('shop.events', { name: 'FULL' }, query);
    const request = buildExecution({
      model,
      fingerprint: 'f1',
      query,
      audits: [{ name: 'no_negative', blocking: false, query: 'SELECT * FROM t WHERE x < 0 -- c' }],
    });
    expect(request.audits).toEqual([
      {
        name: 'no_negative',
        blocking: false,
        sql: 'SELECT COUNT(*) FROM (\nSELECT * FROM t WHERE x < 0 -- c\n) AS audit',
      },
    ]);
  });

  it('is plain JSON data', () => {
    const model = testModel('shop.events', { name: 'FULL' }, query);
    const request = buildExecution({ model, fingerprint: 'f1', query });
    expect(JSON.parse(JSON.stringify(request))).toEqual(request);
  });
});
