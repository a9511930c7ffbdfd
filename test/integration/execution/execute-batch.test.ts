import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditFailedError } from '../../../activities/execution/audit-failed-error.ts';
import { createPhysicalTables } from '../../../activities/execution/create-physical-tables.ts';
import { type ExecutionProgress, executeBatch } from '../../../activities/execution/execute-batch.ts';
import { renderAudits } from '../../../core/execution/audits.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import { buildExecution } from '../../../core/execution/statements.ts';
import type { Interval } from '../../../core/intervals.ts';
import { physicalTable } from '../../../core/naming.ts';
import type { Audit, Model, ModelKind } from '../../../core/project/types.ts';
import { renderQuery } from '../../../core/render.ts';
import { SqlExecutionError } from '../../../engines/errors.ts';
import { days, testModel } from '../../unit/execution/model.ts';
import { openWarehouse, WAREHOUSES, type Warehouse } from './warehouses.ts';

const execution = Date.UTC(2020, 0, 10, 6);

const EVENTS = [
  [1, 1, '2020-01-01', 10],
  [2, 2, '2020-01-01', 20],
  [3, 1, '2020-01-02', 5],
  [4, 3, '2020-01-02', 7],
  [5, 2, '2020-01-03', 1],
] as const;

const projectAudits: Record<string, Audit> = {
  no_small_amounts: {
    name: 'no_small_amounts',
    query: 'SELECT * FROM @this_model WHERE @column < @threshold',
    blocking: true,
    defaults: { threshold: '5' },
    location: { file: 'audits/amounts.sql', line: 1 },
  },
};

describe.each(WAREHOUSES)('model execution on %s', (type) => {
  let w: Warehouse;
  let models: Model[] = [];

  const model = (name: string, kind: ModelKind, query: string, extra: Partial<Model> = {}): Model => {
    const created = testModel(name, kind, query, { dialect: w.dialect, ...extra });
    models = [...models.filter((m) => m.name !== name), created];
    return created;
  };

  /** Renders and builds one batch of `m` writing snapshot `fingerprint`; other models read `tables`. */
  const prepare = (
    m: Model,
    fingerprint: string,
    options: { interval?: Interval; tables?: Record<string, string> } = {},
  ): ExecutionRequest => {
    const tables = { ...options.tables, [m.name]: physicalTable(m.name, fingerprint).qualified };
    const input = {
      model: m,
      models,
      tables,
      execution,
      ...(options.interval === undefined ? {} : { interval: options.interval }),
    };
    const query = m.kind.name === 'SEED' ? '' : renderQuery(input);
    const audits = renderAudits({ ...input, audits: projectAudits });
    return buildExecution({
      model: m,
      fingerprint,
      query,
      audits,
      ...(options.interval === undefined ? {} : { interval: options.interval }),
    });
  };

  const contents = (m: Model, fingerprint: string, columns: string, orderBy: string) =>
    w.rows(`SELECT ${columns} FROM ${physicalTable(m.name, fingerprint).qualified} ORDER BY ${orderBy}`);

  async function failure(promise: Promise<unknown>): Promise<Error> {
    try {
      await promise;
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the batch to fail');
  }

  beforeAll(async () => {
    w = await openWarehouse(type, 'exec');
    await w.exec(
      'CREATE SCHEMA raw',
      'CREATE TABLE raw.events (id INTEGER, item_id INTEGER, event_date DATE, amount INTEGER)',
      `INSERT INTO raw.events VALUES ${EVENTS.map(([id, item, day, amount]) => `(${id}, ${item}, '${day}', ${amount})`).join(', ')}`,
    );
  });

  afterAll(async () => {
    await w?.close();
  });

  describe('FULL', () => {
    it('builds the table from the query, and a re-run leaves exactly the same rows', async () => {
      const m = model(
        'shop.item_totals',
        { name: 'FULL' },
        'SELECT item_id, SUM(amount) AS total, COUNT(*) AS n FROM raw.events GROUP BY item_id',
      );
      const request = prepare(m, 'full1');
      const first = await executeBatch(w.engine, request);
      expect(first.rowsAffected).toBe(3);
      const once = await contents(m, 'full1', 'item_id, total, n', 'item_id');
      expect(once).toEqual([
        { item_id: 1, total: 15, n: 2 },
        { item_id: 2, total: 21, n: 2 },
        { item_id: 3, total: 7, n: 1 },
      ]);
      const again = await executeBatch(w.engine, request);
      expect(again.rowsAffected).toBe(3);
      expect(await contents(m, 'full1', 'item_id, total, n', 'item_id')).toEqual(once);
    });

    it('reads an EMBEDDED model inlined into the query', async () => {
      model('shop.big_events', { name: 'EMBEDDED' }, 'SELECT id, amount FROM raw.events WHERE amount >= 10');
      const m = model(
        'shop.big_total',
        { name: 'FULL' },
        'SELECT SUM(big_events.amount) AS total FROM shop.big_events',
      );
      await executeBatch(w.engine, prepare(m, 'emb1'));
      expect(await contents(m, 'emb1', 'total', 'total')).toEqual([{ total: 30 }]);
    });
  });

  describe('VIEW', () => {
    it('creates a view over the query, and a re-run replaces it with the same definition', async () => {
      const m = model(
        'shop.big_view',
        { name: 'VIEW', materialized: false },
        'SELECT id, amount FROM raw.events WHERE amount >= 10',
      );
      const request = prepare(m, 'view1');
      const result = await executeBatch(w.engine, request);
      expect(result.rowsAffected).toBeNull();
      expect(await w.engine.tableExists('sluice__shop', 'shop__big_view__view1')).toBe(false);
      const once = await contents(m, 'view1', 'id, amount', 'id');
      expect(once).toEqual([
        { id: 1, amount: 10 },
        { id: 2, amount: 20 },
      ]);
      await executeBatch(w.engine, request);
      expect(await contents(m, 'view1', 'id, amount', 'id')).toEqual(once);
    });

    it('materializes a materialized view as a table, rebuilt on every run', async () => {
      const m = model(
        'shop.big_table',
        { name: 'VIEW', materialized: true },
        'SELECT id, amount FROM raw.events WHERE amount >= 10',
      );
      const request = prepare(m, 'mat1');
      await executeBatch(w.engine, request);
      expect(await w.engine.tableExists('sluice__shop', 'shop__big_table__mat1')).toBe(true);
      const once = await contents(m, 'mat1', 'id, amount', 'id');
      expect(once).toEqual([
        { id: 1, amount: 10 },
        { id: 2, amount: 20 },
      ]);
      await executeBatch(w.engine, request);
      expect(await contents(m, 'mat1', 'id, amount', 'id')).toEqual(once);
    });
  });

  describe('INCREMENTAL_BY_TIME_RANGE', () => {
    const kind = { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'event_date', lookback: 0 } as const;
    const columns = 'id, CAST(event_date AS VARCHAR) AS day, amount';

    it('writes only the batch interval, even when the query returns more', async () => {
      const m = model('shop.events_all', kind, 'SELECT id, event_date, amount FROM raw.events');
      const result = await executeBatch(w.engine, prepare(m, 'inc0', { interval: days('2020-01-02') }));
      expect(result.rowsAffected).toBe(2);
      expect(await contents(m, 'inc0', columns, 'id')).toEqual([
        { id: 3, day: '2020-01-02', amount: 5 },
        { id: 4, day: '2020-01-02', amount: 7 },
      ]);
    });

    it('two batches then a re-run of the first give the union of both, without duplicates', async () => {
      const m = model(
        'shop.events',
        kind,
        'SELECT id, item_id, event_date, amount FROM raw.events WHERE event_date BETWEEN @start_ds AND @end_ds',
      );
      const first = prepare(m, 'inc1', { interval: days('2020-01-01') });
      const second = prepare(m, 'inc1', { interval: days('2020-01-02', 2) });
      expect((await executeBatch(w.engine, first)).rowsAffected).toBe(2);
      expect((await executeBatch(w.engine, second)).rowsAffected).toBe(3);
      const union = await contents(m, 'inc1', columns, 'id');
      expect(union).toEqual(EVENTS.map(([id, , day, amount]) => ({ id, day, amount })));
      expect((await executeBatch(w.engine, first)).rowsAffected).toBe(2);
      expect(await contents(m, 'inc1', columns, 'id')).toEqual(union);
      expect((await executeBatch(w.engine, second)).rowsAffected).toBe(3);
      expect(await contents(m, 'inc1', columns, 'id')).toEqual(union);
    });

    it('a re-run picks up changed source rows of its interval and leaves other intervals alone', async () => {
      await w.exec(
        'CREATE TABLE raw.late (id INTEGER, event_date DATE)',
        "INSERT INTO raw.late VALUES (1, '2020-01-01'), (2, '2020-01-02')",
      );
      const m = model('shop.late', kind, 'SELECT id, event_date FROM raw.late');
      const day1 = prepare(m, 'late1', { interval: days('2020-01-01') });
      await executeBatch(w.engine, day1);
      await executeBatch(w.engine, prepare(m, 'late1', { interval: days('2020-01-02') }));
      await w.exec("INSERT INTO raw.late VALUES (3, '2020-01-01'), (4, '2020-01-02')");
      await executeBatch(w.engine, day1);
      expect(await contents(m, 'late1', 'id, CAST(event_date AS VARCHAR) AS day', 'id')).toEqual([
        { id: 1, day: '2020-01-01' },
        { id: 2, day: '2020-01-02' },
        { id: 3, day: '2020-01-01' },
      ]);
    });

    it('compares a formatted string time column as formatted strings', async () => {
      const m = model(
        'shop.events_ds',
        { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'ds', timeColumnFormat: '%Y%m%d', lookback: 0 },
        "SELECT id, REPLACE(CAST(event_date AS VARCHAR), '-', '') AS ds FROM raw.events",
      );
      const request = prepare(m, 'ds1', { interval: days('2020-01-02', 2) });
      await executeBatch(w.engine, request);
      await executeBatch(w.engine, request);
      expect(await contents(m, 'ds1', 'id, ds', 'id')).toEqual([
        { id: 3, ds: '20200102' },
        { id: 4, ds: '20200102' },
        { id: 5, ds: '20200103' },
      ]);
    });

    it('filters TIMESTAMPTZ columns in UTC whatever the session time zone', async () => {
      const m = model(
        'shop.hourly',
        { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'at', lookback: 0 },
        "SELECT 1 AS id, CAST('2020-01-01 23:30:00+00:00' AS TIMESTAMPTZ) AS at UNION ALL SELECT 2, CAST('2020-01-02 00:30:00+00:00' AS TIMESTAMPTZ)",
        {
          columns: [
            { name: 'id', type: 'INTEGER' },
            { name: 'at', type: 'TIMESTAMPTZ' },
          ],
          intervalUnit: 'hour',
        },
      );
      const request = prepare(m, 'tz1', { interval: [Date.UTC(2020, 0, 1, 23), Date.UTC(2020, 0, 2)] });
      // a TIMESTAMP bound would be read as New York time here and select nothing
      const setZone = `SET ${type === 'postgres' ? 'LOCAL ' : ''}TimeZone = 'America/New_York'`;
      const statements = [{ sql: setZone }, ...request.statements];
      await w.engine.runInTransaction(statements);
      expect(await contents(m, 'tz1', 'id', 'id')).toEqual([{ id: 1 }]);
    });
  });

  describe('INCREMENTAL_BY_UNIQUE_KEY', () => {
    const kind: ModelKind = { name: 'INCREMENTAL_BY_UNIQUE_KEY', uniqueKey: ['item_id'], lookback: 0 };
    const query =
      'SELECT item_id, CAST(MAX(event_date) AS VARCHAR) AS last_day, SUM(amount) AS amount FROM raw.events WHERE event_date BETWEEN @start_ds AND @end_ds GROUP BY item_id';

    it('upserts on the key; two batches then a re-run of the first equal one run of each', async () => {
      const m = model('shop.item_latest', kind, query);
      const first = prepare(m, 'uk1', { interval: days('2020-01-01') });
      const second = prepare(m, 'uk1', { interval: days('2020-01-02', 2) });
      expect((await executeBatch(w.engine, first)).rowsAffected).toBe(2);
      expect(await contents(m, 'uk1', 'item_id, last_day, amount', 'item_id')).toEqual([
        { item_id: 1, last_day: '2020-01-01', amount: 10 },
        { item_id: 2, last_day: '2020-01-01', amount: 20 },
      ]);
      await executeBatch(w.engine, second);
      const merged = [
        { item_id: 1, last_day: '2020-01-02', amount: 5 },
        { item_id: 2, last_day: '2020-01-03', amount: 1 },
        { item_id: 3, last_day: '2020-01-02', amount: 7 },
      ];
      expect(await contents(m, 'uk1', 'item_id, last_day, amount', 'item_id')).toEqual(merged);
      await executeBatch(w.engine, second);
      expect(await contents(m, 'uk1', 'item_id, last_day, amount', 'item_id')).toEqual(merged);
      await executeBatch(w.engine, first);
      expect(await contents(m, 'uk1', 'item_id, last_day, amount', 'item_id')).toEqual([
        { item_id: 1, last_day: '2020-01-01', amount: 10 },
        { item_id: 2, last_day: '2020-01-01', amount: 20 },
        { item_id: 3, last_day: '2020-01-02', amount: 7 },
      ]);
    });

    it('never duplicates rows whose key is NULL, and keeps one row per key of a batch', async () => {
      const m = model(
        'shop.keyed',
        { name: 'INCREMENTAL_BY_UNIQUE_KEY', uniqueKey: ['k1', 'k2'], lookback: 0 },
        "SELECT CAST(NULL AS INTEGER) AS k1, 'a' AS k2, 1 AS v UNION ALL SELECT 1, NULL, 2 UNION ALL SELECT 2, 'b', 3 UNION ALL SELECT 2, 'b', 3",
      );
      const request = prepare(m, 'key1', { interval: days('2020-01-01') });
      await executeBatch(w.engine, request);
      const once = await contents(m, 'key1', 'k1, k2, v', 'v');
      expect(once).toEqual([
        { k1: null, k2: 'a', v: 1 },
        { k1: 1, k2: null, v: 2 },
        { k1: 2, k2: 'b', v: 3 },
      ]);
      await executeBatch(w.engine, request);
      await executeBatch(w.engine, request);
      expect(await contents(m, 'key1', 'k1, k2, v', 'v')).toEqual(once);
    });
  });

  describe('SEED', () => {
    const csv = 'id,name,price,active\n1,"O\'Brien, ""Ada""",1.5,true\n2,,2,false\n3,C:\\path,NULL,true\n';

    it('loads the CSV with inferred types; empty fields and NULL markers become NULL; a re-run replaces it exactly', async () => {
      const m = model('shop.items', { name: 'SEED', path: '../seeds/items.csv', batchSize: 2 }, '', {
        seed: { path: 'seeds/items.csv', content: csv },
      });
      const request = prepare(m, 'seed1');
      const result = await executeBatch(w.engine, request);
      expect(result.rowsAffected).toBe(3);
      const once = await contents(m, 'seed1', 'id, name, price, active', 'id');
      expect(once).toEqual([
        { id: 1, name: 'O\'Brien, "Ada"', price: 1.5, active: true },
        { id: 2, name: null, price: 2, active: false },
        { id: 3, name: 'C:\\path', price: null, active: true },
      ]);
      const types = (await w.engine.columns('sluice__shop', 'shop__items__seed1')).map((c) =>
        c.type.toLowerCase(),
      );
      expect(types).toEqual(
        type === 'postgres'
          ? ['bigint', 'text', 'double precision', 'boolean']
          : ['bigint', 'varchar', 'double', 'boolean'],
      );
      expect((await executeBatch(w.engine, request)).rowsAffected).toBe(3);
      expect(await contents(m, 'seed1', 'id, name, price, active', 'id')).toEqual(once);
    });

    it('uses declared column types', async () => {
      const m = model('shop.typed', { name: 'SEED', path: 'typed.csv' }, '', {
        seed: { path: 'seeds/typed.csv', content: 'day,id\n2020-01-01,1\n2020-01-02,2\n' },
        columns: [
          { name: 'id', type: 'INTEGER' },
          { name: 'day', type: 'DATE' },
        ],
      });
      await executeBatch(w.engine, prepare(m, 'typed1'));
      expect(await contents(m, 'typed1', 'id, CAST(day + 1 AS VARCHAR) AS next_day', 'id')).toEqual([
        { id: 1, next_day: '2020-01-02' },
        { id: 2, next_day: '2020-01-03' },
      ]);
      const types = (await w.engine.columns('sluice__shop', 'shop__typed__typed1')).map((c) =>
        c.type.toLowerCase(),
      );
      expect(types).toEqual(['integer', 'date']);
    });
  });

  describe('atomicity', () => {
    it('a batch that fails after deleting leaves the table as it was, and the error names the model', async () => {
      await w.exec('CREATE TABLE raw.codes (code VARCHAR)', "INSERT INTO raw.codes VALUES ('1'), ('2')");
      const m = model('shop.codes', { name: 'FULL' }, 'SELECT CAST(code AS INTEGER) AS code FROM raw.codes');
      const request = prepare(m, 'codes1');
      await executeBatch(w.engine, request);
      await w.exec("INSERT INTO raw.codes VALUES ('x')");
      const error = await failure(executeBatch(w.engine, request));
      expect(error).toBeInstanceOf(SqlExecutionError);
      expect((error as SqlExecutionError).statementIndex).toBe(3);
      expect(error.message).toContain('for "shop.codes"');
      expect(await contents(m, 'codes1', 'code', 'code')).toEqual([{ code: 1 }, { code: 2 }]);
    });

    it('a batch whose second statement fails changes nothing', async () => {
      const m = model(
        'shop.events_atomic',
        { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'event_date', lookback: 0 },
        'SELECT id, event_date FROM raw.events',
      );
      const request = prepare(m, 'atom1', { interval: days('2020-01-01', 3) });
      await executeBatch(w.engine, request);
      const before = await contents(m, 'atom1', 'id', 'id');
      expect(before).toHaveLength(5);
      const [, , deleteRange] = request.statements;
      const broken = {
        ...request,
        statements: [deleteRange!, { sql: 'SELECT * FROM raw.no_such_table', label: m.name }],
      };
      const error = await failure(executeBatch(w.engine, broken));
      expect(error).toBeInstanceOf(SqlExecutionError);
      expect((error as SqlExecutionError).statementIndex).toBe(1);
      expect(await contents(m, 'atom1', 'id', 'id')).toEqual(before);
    });

    it('an INCREMENTAL_BY_UNIQUE_KEY batch failing at its insert keeps the rows it had deleted', async () => {
      await w.exec(
        'CREATE TABLE raw.keyed_codes (k INTEGER, code VARCHAR)',
        "INSERT INTO raw.keyed_codes VALUES (1, '10'), (2, '20')",
      );
      const m = model(
        'shop.keyed_codes',
        { name: 'INCREMENTAL_BY_UNIQUE_KEY', uniqueKey: ['k'], lookback: 0 },
        'SELECT k, CAST(code AS INTEGER) AS code FROM raw.keyed_codes',
      );
      const request = prepare(m, 'kc1', { interval: days('2020-01-01') });
      await executeBatch(w.engine, request);
      await w.exec("UPDATE raw.keyed_codes SET code = 'bad' WHERE k = 2");
      await failure(executeBatch(w.engine, request));
      expect(await contents(m, 'kc1', 'k, code', 'k')).toEqual([
        { k: 1, code: 10 },
        { k: 2, code: 20 },
      ]);
      await w.exec("UPDATE raw.keyed_codes SET code = '21' WHERE k = 2");
      await executeBatch(w.engine, request);
      expect(await contents(m, 'kc1', 'k, code', 'k')).toEqual([
        { k: 1, code: 10 },
        { k: 2, code: 21 },
      ]);
    });
  });

  describe('audits', () => {
    it('a blocking audit with offending rows fails with a non-retryable error naming audit, model and count', async () => {
      const m = model('shop.amounts', { name: 'FULL' }, 'SELECT id, amount FROM raw.events', {
        audits: [{ name: 'no_small_amounts', args: { column: 'amount' } }],
      });
      const error = await failure(executeBatch(w.engine, prepare(m, 'aud1')));
      expect(error).toBeInstanceOf(AuditFailedError);
      const audit = error as AuditFailedError;
      expect(audit.message).toBe('audit "no_small_amounts" failed for model "shop.amounts": 1 offending row');
      expect(audit).toMatchObject({
        code: 'AUDIT_FAILED',
        retryable: false,
        failingRows: 1,
        model: 'shop.amounts',
      });
      expect(audit.details()).toMatchObject({
        code: 'AUDIT_FAILED',
        audit: 'no_small_amounts',
        failingRows: 1,
      });
      // audits run after the commit, as in SQLMesh: the data is there, the batch is not recorded done
      expect(await contents(m, 'aud1', 'id', 'id')).toHaveLength(5);
    });

    it('counts several offending rows and audits a time-range batch on its own interval only', async () => {
      const m = model(
        'shop.amounts_daily',
        { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'event_date', lookback: 0 },
        'SELECT id, event_date, amount FROM raw.events',
        { audits: [{ name: 'no_small_amounts', args: { column: 'amount', threshold: '8' } }] },
      );
      await expect(
        executeBatch(w.engine, prepare(m, 'aud2', { interval: days('2020-01-02') })),
      ).rejects.toThrow('audit "no_small_amounts" failed for model "shop.amounts_daily": 2 offending rows');
      const passing = await executeBatch(w.engine, prepare(m, 'aud2', { interval: days('2020-01-01') }));
      expect(passing.audits).toEqual([{ name: 'no_small_amounts', blocking: true, failingRows: 0 }]);
    });

    it('a non-blocking audit only warns; passing built-in audits report zero rows', async () => {
      const m = model('shop.amounts_warn', { name: 'FULL' }, 'SELECT id, item_id, amount FROM raw.events', {
        audits: [
          { name: 'not_null', args: { columns: '(id, amount)' } },
          { name: 'accepted_range_non_blocking', args: { column: 'amount', min_v: '6' } },
          { name: 'unique_values', args: { columns: '(id)' } },
        ],
      });
      const result = await executeBatch(w.engine, prepare(m, 'aud3'));
      expect(result.audits).toEqual([
        { name: 'not_null', blocking: true, failingRows: 0 },
        { name: 'accepted_range_non_blocking', blocking: false, failingRows: 2 },
        { name: 'unique_values', blocking: true, failingRows: 0 },
      ]);
      expect(result.notices).toContain(
        'WARNING: non-blocking audit "accepted_range_non_blocking" found 2 offending rows in model "shop.amounts_warn"',
      );
    });

    it('an audit that does not run names the model and the audit', async () => {
      const m = model('shop.amounts_bad_audit', { name: 'FULL' }, 'SELECT id FROM raw.events', {
        audits: [{ name: 'no_small_amounts', args: { column: 'no_such_column' } }],
      });
      const error = await failure(executeBatch(w.engine, prepare(m, 'aud4')));
      expect(error).toBeInstanceOf(SqlExecutionError);
      expect(error.message).toContain('for "shop.amounts_bad_audit audit no_small_amounts"');
    });
  });

  describe('results and errors', () => {
    it('reports statements, timings and heartbeats; never data rows', async () => {
      const m = model('shop.reported', { name: 'FULL' }, 'SELECT id FROM raw.events', {
        audits: [{ name: 'not_null', args: { columns: '(id)' } }],
      });
      const request = prepare(m, 'rep1');
      const beats: ExecutionProgress[] = [];
      const result = await executeBatch(w.engine, request, { heartbeat: (detail) => beats.push(detail) });
      expect(result.rowsAffected).toBe(5);
      expect(result.statements).toHaveLength(request.statements.length);
      expect(result.statements.every((s) => s.label === 'shop.reported' && s.durationMs >= 0)).toBe(true);
      expect(result.statements[3]!.rowsAffected).toBe(5);
      expect(result.durationMs).toBeGreaterThan(0);
      expect(result.notices).toEqual([]);
      expect(beats).toEqual([
        ...request.statements.map((_, i) => ({
          model: 'shop.reported',
          phase: 'statement',
          statement: i + 1,
          statements: request.statements.length,
          durationMs: expect.any(Number),
        })),
        { model: 'shop.reported', phase: 'audit', audit: 'not_null', audits: 1, index: 1, failingRows: 0 },
      ]);
      expect(Object.keys(result).sort()).toEqual([
        'audits',
        'durationMs',
        'notices',
        'rowsAffected',
        'statements',
      ]);
    });

    it('a SQL error names the model', async () => {
      const m = model('shop.broken', { name: 'FULL' }, 'SELECT no_such_column FROM raw.events');
      const error = await failure(executeBatch(w.engine, prepare(m, 'bad1')));
      expect(error).toBeInstanceOf(SqlExecutionError);
      expect(error.message).toMatch(/statement 2 for "shop\.broken" failed/);
      expect(await w.engine.tableExists('sluice__shop', 'shop__broken__bad1')).toBe(false);
    });

    it('an aborted batch is rolled back', async () => {
      const m = model('shop.cancelled', { name: 'FULL' }, 'SELECT id FROM raw.events');
      const controller = new AbortController();
      controller.abort();
      const error = await failure(executeBatch(w.engine, prepare(m, 'can1'), { signal: controller.signal }));
      expect(error.message).toMatch(/cancelled/);
      expect(await w.engine.tableExists('sluice__shop', 'shop__cancelled__can1')).toBe(false);
    });
  });

  describe('name resolution', () => {
    it('a development batch reads the development tables, a production batch the production ones', async () => {
      const upstream = model('shop.prices', { name: 'FULL' }, 'SELECT 1 AS id, 100 AS price');
      await executeBatch(w.engine, prepare(upstream, 'prod1'));
      const devUpstream = model('shop.prices', { name: 'FULL' }, 'SELECT 1 AS id, 999 AS price');
      await executeBatch(w.engine, prepare(devUpstream, 'dev1'));
      const downstream = model(
        'shop.price_report',
        { name: 'FULL' },
        'SELECT id, price * 2 AS doubled FROM shop.prices',
      );
      const prodTables = { 'shop.prices': physicalTable('shop.prices', 'prod1').qualified };
      const devTables = { 'shop.prices': physicalTable('shop.prices', 'dev1').qualified };
      await executeBatch(w.engine, prepare(downstream, 'rp', { tables: prodTables }));
      await executeBatch(w.engine, prepare(downstream, 'rd', { tables: devTables }));
      expect(await contents(downstream, 'rp', 'doubled', 'doubled')).toEqual([{ doubled: 200 }]);
      expect(await contents(downstream, 'rd', 'doubled', 'doubled')).toEqual([{ doubled: 1998 }]);
    });

    it('leaves strings and comments that look like references untouched', async () => {
      model('shop.words', { name: 'FULL' }, 'SELECT 1 AS x');
      const m = model(
        'shop.literal',
        { name: 'FULL' },
        "SELECT 'FROM shop.words' AS text -- FROM shop.words\nFROM raw.events WHERE id = 1",
      );
      await executeBatch(w.engine, prepare(m, 'lit1'));
      expect(await contents(m, 'lit1', 'text', 'text')).toEqual([{ text: 'FROM shop.words' }]);
    });
  });

  describe('createPhysicalTables', () => {
    it('creates empty tables from the query shape, idempotently, without writing data', async () => {
      const full = model('shop.prepared', { name: 'FULL' }, 'SELECT id, amount FROM raw.events');
      const seed = model('shop.prepared_seed', { name: 'SEED', path: 's.csv' }, '', {
        seed: { path: 'seeds/s.csv', content: 'a\n1\n' },
      });
      const requests = [prepare(full, 'pre1'), prepare(seed, 'pre2')];
      await createPhysicalTables(w.engine, requests);
      await createPhysicalTables(w.engine, requests);
      expect(await contents(full, 'pre1', 'id', 'id')).toEqual([]);
      expect(await contents(seed, 'pre2', 'a', 'a')).toEqual([]);
      expect((await w.engine.columns('sluice__shop', 'shop__prepared__pre1')).map((c) => c.name)).toEqual([
        'id',
        'amount',
      ]);
      await executeBatch(w.engine, requests[0]!);
      expect(await contents(full, 'pre1', 'id', 'id')).toHaveLength(5);
    });
  });
});
