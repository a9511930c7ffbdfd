import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../../engines/create-engine.ts';
import type { Engine, StatementResult } from '../../../engines/engine.ts';
import {
  ConnectionRejectedError,
  EngineCancelledError,
  EngineError,
  RetryableEngineError,
  SqlExecutionError,
} from '../../../engines/errors.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';

const url = new URL(TEST_DATABASE_URL);
const schema = `sluice_engine_pg_${process.pid}_${randomBytes(4).toString('hex')}`;
const appName = `sluice-engine-test-${randomBytes(4).toString('hex')}`;
const admin = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} });
const engines: Engine[] = [];

function connection(overrides: Record<string, string | number | boolean> = {}) {
  return {
    type: 'postgres' as const,
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1) || 'postgres',
    sslmode: 'disable',
    application_name: appName,
    ...overrides,
  };
}

function engine(overrides: Record<string, string | number | boolean> = {}): Engine {
  const created = createEngine('warehouse', connection(overrides), { baseDir: '/unused' });
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

async function tableRows(table: string): Promise<number[]> {
  const rows = await admin.unsafe(`SELECT id FROM "${schema}"."${table}" ORDER BY id`);
  return rows.map((row) => Number(row.id));
}

/** A TCP port on this machine that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

let pg: Engine;

beforeAll(async () => {
  await admin.unsafe(`CREATE SCHEMA "${schema}"`);
  pg = engine({ schema });
});

afterAll(async () => {
  await Promise.all(engines.map((created) => created.close()));
  await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

describe('postgres engine: transactions', () => {
  it('runs statements in one transaction and reports counts, labels, notices and timings', async () => {
    const seen: Array<[number, StatementResult]> = [];
    const results = await pg.runInTransaction(
      [
        { sql: 'CREATE TABLE counts (id int PRIMARY KEY, v int)', label: 'sushi.counts' },
        { sql: 'INSERT INTO counts SELECT g, 0 FROM generate_series(1, 3) g', label: 'sushi.counts' },
        { sql: 'UPDATE counts SET v = 1 WHERE id > 1' },
        {
          sql: "DO $$ BEGIN RAISE NOTICE 'rows: %', (SELECT count(*) FROM counts); RAISE WARNING 'careful'; END $$",
        },
        { sql: 'DELETE FROM counts WHERE id = 3' },
        { sql: 'CREATE TABLE counts_copy AS SELECT * FROM counts' },
        { sql: 'INSERT INTO counts VALUES (10, 0); INSERT INTO counts VALUES (11, 0), (12, 0)' },
      ],
      { onStatement: (result, index) => seen.push([index, result]) },
    );
    expect(results.map((result) => result.rowsAffected)).toEqual([null, 3, 2, null, 1, 2, null]);
    expect(results.map((result) => result.label)).toEqual([
      'sushi.counts',
      'sushi.counts',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(results.map((result) => result.notices)).toEqual([
      [],
      [],
      [],
      ['NOTICE: rows: 3', 'WARNING: careful'],
      [],
      [],
      [],
    ]);
    for (const result of results) expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen.map(([index]) => index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(seen.map(([, result]) => result)).toEqual(results);
    // the gateway's schema setting is the search_path, so unqualified names landed there
    expect(await tableRows('counts')).toEqual([1, 2, 10, 11, 12]);
    expect(await tableRows('counts_copy')).toEqual([1, 2]);
  });

  it('rolls back earlier statements when a later one fails, and describes the failure', async () => {
    await pg.runInTransaction([
      { sql: 'CREATE TABLE rollback_target (id int)' },
      { sql: 'INSERT INTO rollback_target VALUES (1)' },
    ]);
    const statement = 'INSERT INTO missing_table SELECT id FROM rollback_target';
    const error = await failure(
      pg.runInTransaction([
        { sql: 'INSERT INTO rollback_target VALUES (2), (3)', label: 'sushi.first' },
        { sql: 'CREATE TABLE created_then_rolled_back (x int)', label: 'sushi.first' },
        { sql: statement, label: 'sushi.second' },
        { sql: 'INSERT INTO rollback_target VALUES (4)', label: 'sushi.third' },
      ]),
    );
    expect(error).toBeInstanceOf(SqlExecutionError);
    const sqlError = error as SqlExecutionError;
    expect(sqlError.code).toBe('SQL_ERROR');
    expect(sqlError.retryable).toBe(false);
    expect(sqlError.sqlState).toBe('42P01');
    expect(sqlError.label).toBe('sushi.second');
    expect(sqlError.statement).toBe(statement);
    expect(sqlError.statementIndex).toBe(2);
    expect(sqlError.engineMessage).toBe('relation "missing_table" does not exist');
    expect(sqlError.message).toBe(
      'gateway "warehouse": statement 3 for "sushi.second" failed: relation "missing_table" does not exist (SQLSTATE 42P01)',
    );
    expect(await tableRows('rollback_target')).toEqual([1]);
    expect(await pg.tableExists(schema, 'created_then_rolled_back')).toBe(false);
  });

  it('reports syntax errors with their SQLSTATE', async () => {
    const error = await failure(pg.runInTransaction([{ sql: 'SELEC 1', label: 'broken' }]));
    expect(error).toBeInstanceOf(SqlExecutionError);
    expect((error as SqlExecutionError).sqlState).toBe('42601');
    expect((error as SqlExecutionError).engineMessage).toContain('syntax error at or near "SELEC"');
  });

  it('reports a failure at COMMIT and keeps nothing', async () => {
    await pg.runInTransaction([
      { sql: 'CREATE TABLE parent (id int PRIMARY KEY)' },
      { sql: 'CREATE TABLE child (id int, parent_id int REFERENCES parent DEFERRABLE INITIALLY DEFERRED)' },
    ]);
    const error = await failure(
      pg.runInTransaction([{ sql: 'INSERT INTO child VALUES (1, 99)', label: 'sushi.child' }]),
    );
    expect(error).toBeInstanceOf(SqlExecutionError);
    expect((error as SqlExecutionError).sqlState).toBe('23503');
    expect((error as SqlExecutionError).statement).toBe('COMMIT');
    expect((error as SqlExecutionError).statementIndex).toBe(1);
    expect(await admin.unsafe(`SELECT count(*)::int AS n FROM "${schema}".child`)).toEqual([{ n: 0 }]);
  });

  it('keeps notices of concurrent transactions apart', async () => {
    const notify = (tag: string) => [
      { sql: `DO $$ BEGIN RAISE NOTICE '${tag} before'; END $$` },
      { sql: 'SELECT pg_sleep(0.3)' },
      { sql: `DO $$ BEGIN RAISE NOTICE '${tag} after'; END $$` },
    ];
    const [left, right] = await Promise.all([
      pg.runInTransaction(notify('left')),
      pg.runInTransaction(notify('right')),
    ]);
    expect(left?.map((result) => result.notices)).toEqual([
      ['NOTICE: left before'],
      [],
      ['NOTICE: left after'],
    ]);
    expect(right?.map((result) => result.notices)).toEqual([
      ['NOTICE: right before'],
      [],
      ['NOTICE: right after'],
    ]);
  });

  it('does not hand a failed callback error over as a SQL error', async () => {
    await pg.runInTransaction([{ sql: 'CREATE TABLE callback_target (id int)' }]);
    const thrown = new Error('heartbeat failed');
    await expect(
      pg.runInTransaction([{ sql: 'INSERT INTO callback_target VALUES (1)' }], {
        onStatement: () => {
          throw thrown;
        },
      }),
    ).rejects.toBe(thrown);
    expect(await tableRows('callback_target')).toEqual([]);
  });
});

describe('postgres engine: cancellation and timeouts', () => {
  it('cancels a long statement on the server and rolls the transaction back', async () => {
    await pg.runInTransaction([
      { sql: 'CREATE TABLE cancel_target (id int)' },
      { sql: 'INSERT INTO cancel_target VALUES (1)' },
    ]);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const error = await failure(
      pg.runInTransaction(
        [
          { sql: 'INSERT INTO cancel_target VALUES (2)', label: 'sushi.slow' },
          { sql: 'SELECT pg_sleep(30)', label: 'sushi.slow' },
        ],
        { signal: controller.signal },
      ),
    );
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(EngineCancelledError);
    expect(error.code).toBe('CANCELLED');
    expect(error.retryable).toBe(false);
    expect(elapsed).toBeLessThan(5_000);
    expect(await tableRows('cancel_target')).toEqual([1]);
    const sleeping = await admin`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE application_name = ${appName} AND query LIKE '%pg_sleep(30)%' AND state = 'active'`;
    expect(sleeping).toEqual([{ n: 0 }]);
    // the connection is usable again
    expect(await pg.queryScalar('SELECT count(*) FROM cancel_target')).toBe(1);
  });

  it('refuses to start when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();
    await pg
      .runInTransaction([{ sql: 'CREATE TABLE never_created (id int)' }], { signal: controller.signal })
      .then(
        () => {
          throw new Error('expected a cancellation');
        },
        (error: unknown) => expect(error).toBeInstanceOf(EngineCancelledError),
      );
    expect(await pg.tableExists(schema, 'never_created')).toBe(false);
  });

  it('cancels work still waiting for a connection', async () => {
    const single = engine({ schema, concurrent_tasks: 1 });
    const busy = single.runInTransaction([{ sql: 'SELECT pg_sleep(1)' }]);
    const controller = new AbortController();
    const started = Date.now();
    const waiting = single.runInTransaction([{ sql: 'SELECT 1' }], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await failure(waiting);
    expect(error).toBeInstanceOf(EngineCancelledError);
    expect(Date.now() - started).toBeLessThan(900);
    expect(await busy).toHaveLength(1);
  });

  it('treats a server-side statement timeout as retryable', async () => {
    const error = await failure(
      pg.runInTransaction([{ sql: "SET LOCAL statement_timeout = '100ms'" }, { sql: 'SELECT pg_sleep(5)' }]),
    );
    expect(error).toBeInstanceOf(RetryableEngineError);
    expect(error.code).toBe('STATEMENT_TIMEOUT');
  });

  it('treats a session killed mid-statement as a lost connection, then reconnects', async () => {
    const victimApp = `${appName}-victim`;
    const victim = engine({ schema, application_name: victimApp, concurrent_tasks: 1 });
    const running = victim.runInTransaction([{ sql: 'SELECT pg_sleep(30)' }]);
    const started = Date.now();
    for (;;) {
      const [row] = await admin`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = ${victimApp} AND query LIKE '%pg_sleep(30)%' AND state = 'active'`;
      if (row?.n === 1) break;
      if (Date.now() - started > 5_000) throw new Error('the statement never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${victimApp}`;
    const error = await failure(running);
    expect(error).toBeInstanceOf(RetryableEngineError);
    expect(error.code).toBe('CONNECTION_LOST');
    expect(error.retryable).toBe(true);
    await victim.ping();
  });

  it('never runs the rest of a transaction on a new session after the old one closed', async () => {
    await pg.runInTransaction([{ sql: 'CREATE TABLE session_target (id int)' }]);
    const error = await failure(
      pg.runInTransaction(
        [
          { sql: "SET LOCAL idle_in_transaction_session_timeout = '100ms'" },
          { sql: 'INSERT INTO session_target VALUES (1)' },
          { sql: 'INSERT INTO session_target VALUES (2)' },
        ],
        {
          onStatement: (_result, index) => {
            // hold the transaction idle long enough for the server to end the session
            if (index === 1) {
              const until = Date.now() + 1_000;
              while (Date.now() < until) {}
            }
          },
        },
      ),
    );
    expect(error).toBeInstanceOf(RetryableEngineError);
    expect(error.code).toBe('CONNECTION_LOST');
    expect(await tableRows('session_target')).toEqual([]);
    expect(await pg.queryScalar('SELECT count(*) FROM session_target')).toBe(0);
  });
});

describe('postgres engine: connection failures', () => {
  const password = 'Zq9-distinctive-P4ssw0rd';

  it('fails fast and retryably on a closed port, without the password anywhere', async () => {
    const port = await closedPort();
    const closed = engine({ port, password, connect_timeout: 2 });
    const started = Date.now();
    const error = await failure(closed.ping());
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(RetryableEngineError);
    expect(error.code).toBe('CONNECTION_FAILED');
    expect(error.message).toBe(
      `gateway "warehouse": cannot connect to postgres at ${url.hostname}:${port} (ECONNREFUSED)`,
    );
    for (const text of [
      error.message,
      String(error.stack),
      JSON.stringify(error),
      JSON.stringify(error.details()),
    ]) {
      expect(text).not.toContain(password);
    }
    const inTransaction = await failure(closed.runInTransaction([{ sql: 'SELECT 1', label: 'sushi.x' }]));
    expect(inTransaction.code).toBe('CONNECTION_FAILED');
  });

  it('times out a server that never answers', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const address = silent.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      const stuck = engine({ host: '127.0.0.1', port: address.port, password, connect_timeout: 1 });
      const started = Date.now();
      const error = await failure(stuck.ping());
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(error).toBeInstanceOf(RetryableEngineError);
      expect(error.code).toBe('CONNECTION_TIMEOUT');
      expect(error.message).not.toContain(password);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('rejects a session the server refuses, without retrying and without the password', async () => {
    const unknownRole = engine({ user: `no_such_role_${randomBytes(3).toString('hex')}`, password });
    const error = await failure(unknownRole.ping());
    expect(error).toBeInstanceOf(ConnectionRejectedError);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('SQLSTATE 28000');
    expect(error.message).not.toContain(password);

    const unknownDatabase = engine({ database: `no_such_db_${randomBytes(3).toString('hex')}` });
    const missing = await failure(unknownDatabase.ping());
    expect(missing).toBeInstanceOf(ConnectionRejectedError);
    expect(missing.message).toContain('SQLSTATE 3D000');
  });

  it('scrubs the password from messages the server echoes', async () => {
    const echoing = engine({ schema, password });
    const error = await failure(
      echoing.runInTransaction([{ sql: `SELECT 1 FROM "${password}"`, label: 'leaky' }]),
    );
    expect(error).toBeInstanceOf(SqlExecutionError);
    expect(error.message).not.toContain(password);
    expect((error as SqlExecutionError).statement).not.toContain(password);
    expect(error.message).toContain('relation "[redacted]" does not exist');
  });
});

describe('postgres engine: metadata and catalog', () => {
  it('reads scalars and bounded rows as JSON-safe values', async () => {
    expect(await pg.queryScalar('SELECT count(*) FROM generate_series(1, 42)')).toBe(42);
    expect(await pg.queryScalar("SELECT 'x'::text")).toBe('x');
    expect(await pg.queryScalar('SELECT 1 WHERE false')).toBeNull();
    expect(await pg.queryScalar('SELECT 9223372036854775807::int8')).toBe('9223372036854775807');
    expect(await pg.queryScalar("SELECT '2024-01-02T03:04:05Z'::timestamptz")).toBe(
      '2024-01-02T03:04:05.000Z',
    );
    const rows = await pg.queryRows(
      'SELECT g AS n, g % 2 = 0 AS even FROM generate_series(1, 100) g ORDER BY g',
      3,
    );
    expect(rows).toEqual([
      { n: 1, even: false },
      { n: 2, even: true },
      { n: 3, even: false },
    ]);
    await expect(pg.queryRows('SELECT 1', 0)).rejects.toThrow('positive integer row limit');
  });

  it('reports metadata query errors with the statement', async () => {
    const error = await failure(pg.queryScalar('SELECT nope FROM nowhere'));
    expect(error).toBeInstanceOf(SqlExecutionError);
    expect((error as SqlExecutionError).statement).toBe('SELECT nope FROM nowhere');
    expect((error as SqlExecutionError).sqlState).toBe('42P01');
  });

  it('creates schemas, views and tables, and inspects them', async () => {
    const other = `${schema}_extra`;
    try {
      await pg.createSchema(other);
      await pg.createSchema(other);
      await pg.runInTransaction([
        {
          sql: `CREATE TABLE "${other}".physical (id int NOT NULL, name varchar(20), amount numeric(10, 2))`,
        },
        { sql: `INSERT INTO "${other}".physical VALUES (1, 'a', 2.50)` },
      ]);
      expect(await pg.tableExists(other, 'physical')).toBe(true);
      expect(await pg.tableExists(other, 'absent')).toBe(false);
      expect(await pg.columns(other, 'physical')).toEqual([
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'character varying(20)' },
        { name: 'amount', type: 'numeric(10,2)' },
      ]);
      expect(await pg.columns(other, 'absent')).toEqual([]);

      await pg.createOrReplaceView(`${other}.current`, `SELECT id, name FROM "${other}".physical`);
      expect(await pg.tableExists(other, 'current')).toBe(false);
      expect(await pg.columns(other, 'current')).toEqual([
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'character varying(20)' },
      ]);
      // a swap to a different column set, which CREATE OR REPLACE VIEW alone refuses
      await pg.createOrReplaceView(`${other}.current`, `SELECT amount FROM "${other}".physical`);
      expect(await pg.columns(other, 'current')).toEqual([{ name: 'amount', type: 'numeric(10,2)' }]);
      expect(await admin.unsafe(`SELECT amount FROM "${other}".current`)).toEqual([{ amount: '2.50' }]);

      const viewError = await failure(pg.createOrReplaceView(`${other}.broken`, 'SELECT * FROM nowhere'));
      expect(viewError).toBeInstanceOf(SqlExecutionError);
      expect((viewError as SqlExecutionError).statement).toBe(
        `CREATE OR REPLACE VIEW "${other}"."broken" AS SELECT * FROM nowhere`,
      );

      await pg.dropView(`${other}.current`);
      await pg.dropView(`${other}.current`);
      expect(await pg.columns(other, 'current')).toEqual([]);
      await pg.dropTable(`${other}.physical`);
      await pg.dropTable(`${other}.physical`);
      expect(await pg.tableExists(other, 'physical')).toBe(false);
    } finally {
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${other}" CASCADE`);
    }
  });

  it('creates the same schema from concurrent transactions', async () => {
    const contested = `${schema}_contested`;
    try {
      await Promise.all([pg.createSchema(contested), pg.createSchema(contested), pg.createSchema(contested)]);
      const [row] = await admin`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = ${contested}`;
      expect(row?.n).toBe(1);
    } finally {
      await admin.unsafe(`DROP SCHEMA IF EXISTS "${contested}" CASCADE`);
    }
  });

  it('quotes awkward identifiers', async () => {
    expect(pg.quoteIdentifier('we"ird')).toBe('"we""ird"');
    expect(pg.quoteQualifiedName('a.b')).toBe('"a"."b"');
    await pg.createOrReplaceView(`${schema}."odd.""name"`, 'SELECT 1 AS one');
    expect(await pg.columns(schema, 'odd."name')).toEqual([{ name: 'one', type: 'integer' }]);
    await pg.dropView(`${schema}."odd.""name"`);
    expect(await pg.columns(schema, 'odd."name')).toEqual([]);
  });

  it('waits for running work on close and refuses work afterwards', async () => {
    const closing = engine({ schema });
    await closing.ping();
    const running = closing.runInTransaction([{ sql: 'SELECT pg_sleep(0.3)' }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closing.close();
    expect(await running).toHaveLength(1);
    const error = await failure(closing.ping());
    expect(error).toBeInstanceOf(RetryableEngineError);
    expect(error.code).toBe('ENGINE_CLOSED');
  });
});
