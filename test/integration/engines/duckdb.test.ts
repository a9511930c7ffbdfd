import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../../engines/create-engine.ts';
import type { Engine, StatementResult } from '../../../engines/engine.ts';
import {
  EngineCancelledError,
  EngineError,
  RetryableEngineError,
  SqlExecutionError,
} from '../../../engines/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'sluice-engine-duckdb-'));
const engines: Engine[] = [];

function engine(database: string, extra: Record<string, unknown> = {}): Engine {
  const created = createEngine('local', { type: 'duckdb', database, ...extra }, { baseDir: root });
  engines.push(created);
  return created;
}

async function failure(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error('expected the call to fail');
}

async function ids(target: Engine, table: string): Promise<number[]> {
  const rows = await target.queryRows(`SELECT id FROM ${table} ORDER BY id`, 1000);
  return rows.map((row) => Number(row.id));
}

let duck: Engine;

beforeAll(async () => {
  duck = engine('files/warehouse.duckdb');
  await duck.createSchema('sushi');
});

afterAll(async () => {
  await Promise.all(engines.map((created) => created.close()));
  rmSync(root, { recursive: true, force: true });
});

describe('duckdb engine: transactions', () => {
  it('opens a relative database path under the base directory', async () => {
    await duck.ping();
    expect(existsSync(join(root, 'files', 'warehouse.duckdb'))).toBe(true);
  });

  it('runs statements in one transaction and reports changed rows for DML only', async () => {
    const seen: Array<[number, StatementResult]> = [];
    const results = await duck.runInTransaction(
      [
        { sql: 'CREATE TABLE sushi.orders (id INTEGER PRIMARY KEY, v INTEGER)', label: 'sushi.orders' },
        { sql: 'INSERT INTO sushi.orders SELECT range, 0 FROM range(1, 4)', label: 'sushi.orders' },
        { sql: 'UPDATE sushi.orders SET v = 1 WHERE id > 1' },
        { sql: 'DELETE FROM sushi.orders WHERE id = 3' },
        { sql: 'CREATE TABLE sushi.orders_copy AS SELECT * FROM sushi.orders' },
        { sql: 'INSERT INTO sushi.orders VALUES (10, 0); INSERT INTO sushi.orders VALUES (11, 0), (12, 0)' },
      ],
      { onStatement: (result, index) => seen.push([index, result]) },
    );
    expect(results.map((result) => result.rowsAffected)).toEqual([null, 3, 2, 1, null, null]);
    expect(results.map((result) => result.label)).toEqual([
      'sushi.orders',
      'sushi.orders',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    for (const result of results) {
      expect(result.notices).toEqual([]);
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(seen.map(([index]) => index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.map(([, result]) => result)).toEqual(results);
    expect(await ids(duck, 'sushi.orders')).toEqual([1, 2, 10, 11, 12]);
    expect(await ids(duck, 'sushi.orders_copy')).toEqual([1, 2]);
  });

  it('rolls back earlier statements when a later one fails, and describes the failure', async () => {
    await duck.runInTransaction([
      { sql: 'CREATE TABLE sushi.rollback_target (id INTEGER)' },
      { sql: 'INSERT INTO sushi.rollback_target VALUES (1)' },
    ]);
    const statement = 'INSERT INTO sushi.missing_table SELECT id FROM sushi.rollback_target';
    const error = await failure(
      duck.runInTransaction([
        { sql: 'INSERT INTO sushi.rollback_target VALUES (2), (3)', label: 'sushi.first' },
        { sql: 'CREATE TABLE sushi.created_then_rolled_back (x INTEGER)', label: 'sushi.first' },
        { sql: statement, label: 'sushi.second' },
        { sql: 'INSERT INTO sushi.rollback_target VALUES (4)', label: 'sushi.third' },
      ]),
    );
    expect(error).toBeInstanceOf(SqlExecutionError);
    const sqlError = error as SqlExecutionError;
    expect(sqlError.code).toBe('SQL_ERROR');
    expect(sqlError.retryable).toBe(false);
    expect(sqlError.sqlState).toBeUndefined();
    expect(sqlError.label).toBe('sushi.second');
    expect(sqlError.statement).toBe(statement);
    expect(sqlError.statementIndex).toBe(2);
    expect(sqlError.engineMessage).toMatch(/^Catalog Error: Table with name missing_table does not exist!/);
    expect(sqlError.message).toMatch(
      /^gateway "local": statement 3 for "sushi.second" failed: Catalog Error: Table with name missing_table/,
    );
    expect(await ids(duck, 'sushi.rollback_target')).toEqual([1]);
    expect(await duck.tableExists('sushi', 'created_then_rolled_back')).toBe(false);
  });

  it('reports parser and conversion errors', async () => {
    const parse = await failure(duck.runInTransaction([{ sql: 'SELEC 1', label: 'broken' }]));
    expect(parse).toBeInstanceOf(SqlExecutionError);
    expect((parse as SqlExecutionError).engineMessage).toMatch(
      /^Parser Error: syntax error at or near "SELEC"/,
    );
    const conversion = await failure(duck.runInTransaction([{ sql: "SELECT 'x'::INTEGER" }]));
    expect((conversion as SqlExecutionError).engineMessage).toMatch(/^Conversion Error/);
  });

  it('does not hand a failed callback error over as a SQL error', async () => {
    await duck.runInTransaction([{ sql: 'CREATE TABLE sushi.callback_target (id INTEGER)' }]);
    const thrown = new Error('heartbeat failed');
    await expect(
      duck.runInTransaction([{ sql: 'INSERT INTO sushi.callback_target VALUES (1)' }], {
        onStatement: () => {
          throw thrown;
        },
      }),
    ).rejects.toBe(thrown);
    expect(await ids(duck, 'sushi.callback_target')).toEqual([]);
  });

  it('reports write-write conflicts between concurrent transactions as retryable', async () => {
    await duck.runInTransaction([
      { sql: 'CREATE TABLE sushi.contended (id INTEGER PRIMARY KEY, v INTEGER)' },
      { sql: 'INSERT INTO sushi.contended VALUES (1, 0)' },
    ]);
    const controller = new AbortController();
    let updated: () => void = () => {};
    const holding = new Promise<void>((resolve) => {
      updated = resolve;
    });
    const holder = duck.runInTransaction(
      [
        { sql: 'UPDATE sushi.contended SET v = 1 WHERE id = 1' },
        { sql: 'SELECT count(*) FROM range(1000000000000) r WHERE r.range % 7 = 3' },
      ],
      { signal: controller.signal, onStatement: (_result, index) => index === 0 && updated() },
    );
    try {
      await holding;
      const error = await failure(
        duck.runInTransaction([{ sql: 'UPDATE sushi.contended SET v = 2 WHERE id = 1' }]),
      );
      expect(error).toBeInstanceOf(RetryableEngineError);
      expect(error.code).toBe('TRANSACTION_CONFLICT');
    } finally {
      controller.abort();
      await holder.catch(() => {});
    }
    expect(await duck.queryScalar('SELECT v FROM sushi.contended WHERE id = 1')).toBe(0);
  });

  it('keeps committed data across closing and reopening the file', async () => {
    const path = 'reopen/data.duckdb';
    const first = engine(path);
    await first.runInTransaction([{ sql: 'CREATE TABLE kept AS SELECT 42 AS answer' }]);
    await first.close();
    const second = engine(path);
    expect(await second.queryScalar('SELECT answer FROM kept')).toBe(42);
  });
});

describe('duckdb engine: cancellation', () => {
  it('interrupts a long statement and rolls the transaction back', async () => {
    await duck.runInTransaction([
      { sql: 'CREATE TABLE sushi.cancel_target (id INTEGER)' },
      { sql: 'INSERT INTO sushi.cancel_target VALUES (1)' },
    ]);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const error = await failure(
      duck.runInTransaction(
        [
          { sql: 'INSERT INTO sushi.cancel_target VALUES (2)', label: 'sushi.slow' },
          // about 10^12 rows: hours of work if it ran to the end
          {
            sql: 'SELECT count(*) FROM range(1000000000) a, range(1000) b WHERE a.range + b.range = 7',
            label: 'sushi.slow',
          },
        ],
        { signal: controller.signal },
      ),
    );
    expect(error).toBeInstanceOf(EngineCancelledError);
    expect(error.code).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await ids(duck, 'sushi.cancel_target')).toEqual([1]);
  });

  it('refuses to start when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(
      duck.runInTransaction([{ sql: 'CREATE TABLE sushi.never_created (id INTEGER)' }], {
        signal: controller.signal,
      }),
    );
    expect(error).toBeInstanceOf(EngineCancelledError);
    expect(await duck.tableExists('sushi', 'never_created')).toBe(false);
  });
});

describe('duckdb engine: metadata and catalog', () => {
  it('reads scalars and bounded rows as JSON-safe values', async () => {
    expect(await duck.queryScalar('SELECT count(*) FROM range(42)')).toBe(42);
    expect(await duck.queryScalar("SELECT 'x'")).toBe('x');
    expect(await duck.queryScalar('SELECT 1 WHERE false')).toBeNull();
    expect(await duck.queryScalar('SELECT 9223372036854775807::BIGINT')).toBe('9223372036854775807');
    expect(await duck.queryScalar("SELECT TIMESTAMP '2024-01-02 03:04:05'")).toBe('2024-01-02T03:04:05.000Z');
    const rows = await duck.queryRows(
      'SELECT range AS n, range % 2 = 0 AS even FROM range(1, 100000) ORDER BY range',
      3,
    );
    expect(rows).toEqual([
      { n: 1, even: false },
      { n: 2, even: true },
      { n: 3, even: false },
    ]);
    await expect(duck.queryRows('SELECT 1', 0)).rejects.toThrow('positive integer row limit');
  });

  it('reports metadata query errors with the statement', async () => {
    const error = await failure(duck.queryScalar('SELECT nope FROM nowhere'));
    expect(error).toBeInstanceOf(SqlExecutionError);
    expect((error as SqlExecutionError).statement).toBe('SELECT nope FROM nowhere');
  });

  it('creates schemas, views and tables, and inspects them', async () => {
    await duck.createSchema('extra');
    await duck.createSchema('extra');
    await duck.runInTransaction([
      { sql: 'CREATE TABLE extra.physical (id INTEGER NOT NULL, name VARCHAR, amount DECIMAL(10, 2))' },
      { sql: "INSERT INTO extra.physical VALUES (1, 'a', 2.50)" },
    ]);
    expect(await duck.tableExists('extra', 'physical')).toBe(true);
    expect(await duck.tableExists('extra', 'absent')).toBe(false);
    expect(await duck.columns('extra', 'physical')).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'name', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(10,2)' },
    ]);
    expect(await duck.columns('extra', 'absent')).toEqual([]);

    await duck.createOrReplaceView('extra.current', 'SELECT id, name FROM extra.physical');
    expect(await duck.tableExists('extra', 'current')).toBe(false);
    expect(await duck.columns('extra', 'current')).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'name', type: 'VARCHAR' },
    ]);
    await duck.createOrReplaceView('extra.current', 'SELECT amount FROM extra.physical');
    expect(await duck.columns('extra', 'current')).toEqual([{ name: 'amount', type: 'DECIMAL(10,2)' }]);
    expect(await duck.queryScalar('SELECT amount FROM extra.current')).toBe(2.5);

    const viewError = await failure(duck.createOrReplaceView('extra.broken', 'SELECT * FROM nowhere'));
    expect(viewError).toBeInstanceOf(SqlExecutionError);
    expect((viewError as SqlExecutionError).statement).toBe(
      'CREATE OR REPLACE VIEW "extra"."broken" AS SELECT * FROM nowhere',
    );

    await duck.dropView('extra.current');
    await duck.dropView('extra.current');
    expect(await duck.columns('extra', 'current')).toEqual([]);
    await duck.dropTable('extra.physical');
    await duck.dropTable('extra.physical');
    expect(await duck.tableExists('extra', 'physical')).toBe(false);
  });

  it('quotes awkward identifiers', async () => {
    expect(duck.quoteIdentifier('we"ird')).toBe('"we""ird"');
    await duck.createOrReplaceView('sushi."odd.""name"', 'SELECT 1 AS one');
    expect(await duck.columns('sushi', 'odd."name')).toEqual([{ name: 'one', type: 'INTEGER' }]);
    await duck.dropView('sushi."odd.""name"');
    expect(await duck.columns('sushi', 'odd."name')).toEqual([]);
  });
});

describe('duckdb engine: databases and processes', () => {
  it('keeps separate in-memory databases apart', async () => {
    const left = engine(':memory:');
    const right = engine(':memory:');
    await left.runInTransaction([{ sql: 'CREATE TABLE only_left AS SELECT 1 AS x' }]);
    expect(await left.tableExists('main', 'only_left')).toBe(true);
    expect(await right.tableExists('main', 'only_left')).toBe(false);
  });

  it('loads configured extensions when the database opens', async () => {
    const withJson = engine(':memory:', { extensions: ['json'] });
    expect(
      await withJson.queryScalar("SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'json'"),
    ).toBe(true);
    expect(await withJson.queryScalar(`SELECT json_extract('{"a": 7}', '$.a')::INTEGER`)).toBe(7);
  });

  it('applies connector_config settings', async () => {
    const configured = engine(':memory:', { connector_config: { threads: 1 } });
    expect(await configured.queryScalar("SELECT current_setting('threads')")).toBe(1);
  });

  it('reports a database file held by another process as locked and retryable', async () => {
    const path = join(root, 'locked', 'held.duckdb');
    const holder = await holdDatabase(path);
    try {
      const locked = engine(path);
      const error = await failure(locked.ping());
      expect(error).toBeInstanceOf(RetryableEngineError);
      expect(error.code).toBe('DATABASE_LOCKED');
      expect(error.message).toContain(path);
    } finally {
      holder.kill();
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    const afterwards = engine(path);
    await afterwards.ping();
  });

  it('waits for running work on close and refuses work afterwards', async () => {
    const closing = engine(':memory:');
    const running = closing.runInTransaction([
      { sql: 'SELECT count(*) FROM range(20000000) r WHERE r.range % 3 = 1' },
    ]);
    await closing.close();
    expect(await running).toHaveLength(1);
    const error = await failure(closing.ping());
    expect(error).toBeInstanceOf(RetryableEngineError);
    expect(error.code).toBe('ENGINE_CLOSED');
  });
});

/** Starts a separate process that opens `path` for writing and keeps it open until killed. */
async function holdDatabase(path: string): Promise<ChildProcess> {
  const script = `
    const { mkdirSync } = require('node:fs');
    const { dirname } = require('node:path');
    const { DuckDBInstance } = require('@duckdb/node-api');
    mkdirSync(dirname(process.argv[1]), { recursive: true });
    DuckDBInstance.create(process.argv[1]).then(async (instance) => {
      const connection = await instance.connect();
      await connection.run('CREATE TABLE IF NOT EXISTS held (x INTEGER)');
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);
    });
  `;
  const child = spawn(process.execPath, ['-e', script, path], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the holding process exited early with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  return child;
}
