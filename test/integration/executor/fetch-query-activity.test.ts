/**
 * The executor's `fetchQuery` activity on real DuckDB and PostgreSQL: a SELECT answers its rows as
 * JSON-safe values with the column types; anything that writes (or is not one statement) is
 * refused by the engine and changes nothing; the row limit and the timeout hold; a query naming
 * models reads a development environment's views once its names are resolved.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorActivities, QueryRequest, QueryResult } from '../../../activities/contracts.ts';
import { createExecutorActivities } from '../../../activities/executor/index.ts';
import { ManagedConnections } from '../../../activities/executor/managed-connections.ts';
import { environmentView } from '../../../core/naming.ts';
import { resolveModelReferences } from '../../../core/query/resolve-models.ts';
import { keyringOf } from '../../../crypto/keyring.ts';
import { seal } from '../../../crypto/sealed.ts';
import { EnginePool } from '../../../engines/pool.ts';
import {
  activityEnvironment,
  type ExecutorGateways,
  GATEWAY_OF,
  GATEWAY_TYPES,
  openExecutorGateways,
  rejection,
} from './executor-gateways.ts';

let gateways: ExecutorGateways;
let activities: ExecutorActivities;

beforeAll(async () => {
  gateways = await openExecutorGateways('exec_query');
  activities = createExecutorActivities({ pool: gateways.pool, identity: 'run@h:1', role: 'run' });
  for (const type of GATEWAY_TYPES) {
    const engine = gateways.pool.get(GATEWAY_OF[type]);
    await engine.runInTransaction([
      { sql: 'CREATE SCHEMA IF NOT EXISTS shop' },
      { sql: 'CREATE TABLE shop.orders (id integer, amount decimal(10,2), placed timestamp, note text)' },
      {
        sql: `INSERT INTO shop.orders VALUES (1, 10.50, '2026-01-02 03:04:05', 'first'), (2, 20.25, '2026-01-03 00:00:00', NULL), (3, 30.00, '2026-01-04 12:00:00', 'o''brien')`,
      },
      { sql: 'CREATE SCHEMA IF NOT EXISTS shop__dev' },
      { sql: 'CREATE VIEW shop__dev.orders AS SELECT id, amount FROM shop.orders WHERE id = 3' },
    ]);
  }
});

afterAll(async () => {
  await gateways?.close();
});

function query(gateway: string, sql: string, extra: Partial<QueryRequest> = {}): Promise<QueryResult> {
  const { env } = activityEnvironment();
  return env.run(activities.fetchQuery, { gateway, sql, limit: 100, timeoutMs: 10_000, ...extra });
}

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe.each(GATEWAY_TYPES)('fetchQuery on %s', (type) => {
  const gateway = GATEWAY_OF[type];
  const engine = () => gateways.pool.get(gateway);
  const orderCount = async () => Number(await engine().queryScalar('SELECT count(*) FROM shop.orders'));

  it('answers the rows of a SELECT as JSON-safe values, with column names and types', async () => {
    const result = await query(
      gateway,
      'SELECT id, amount, placed, note, 9007199254740993::bigint AS big, 7::bigint AS small FROM shop.orders ORDER BY id',
    );
    expect(result).toMatchObject({ executor: 'run@h:1', gateway, truncated: false, truncatedBy: null });
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'amount', 'placed', 'note', 'big', 'small']);
    expect(result.columns[0]!.type.toLowerCase()).toBe('integer');
    expect(result.columns[1]!.type.toLowerCase()).toMatch(/^(decimal\(10,2\)|numeric)$/);
    expect(result.rows[0]).toEqual([
      1,
      '10.50',
      expect.stringMatching(/^2026-01-02T03:04:05/),
      'first',
      '9007199254740993',
      7,
    ]);
    expect(result.rows[1]![3]).toBeNull();
    expect(result.rows[2]![3]).toBe("o'brien");
    expect(result.rows).toHaveLength(3);
    // JSON survives the round trip unchanged: nothing in the answer is a bigint, a Date or a Buffer
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('gives bytes as base64', async () => {
    const sql = type === 'duckdb' ? "SELECT '\\x01\\x02\\xFF'::BLOB AS b" : "SELECT '\\x0102ff'::bytea AS b";
    const result = await query(gateway, sql);
    expect(result.rows).toEqual([[Buffer.from([1, 2, 255]).toString('base64')]]);
  });

  it('stops at the row limit and says the answer is truncated', async () => {
    const result = await query(gateway, 'SELECT id FROM shop.orders ORDER BY id', { limit: 2 });
    expect(result.rows).toEqual([[1], [2]]);
    expect(result).toMatchObject({ truncated: true, truncatedBy: 'rows' });
    const exact = await query(gateway, 'SELECT id FROM shop.orders ORDER BY id', { limit: 3 });
    expect(exact).toMatchObject({ truncated: false, truncatedBy: null });
  });

  it('stops at the byte cap, well under the payload limit', async () => {
    const result = await query(gateway, `SELECT repeat('x', 1000) AS filler FROM generate_series(1, 5000)`, {
      limit: 10_000,
    });
    expect(result).toMatchObject({ truncated: true, truncatedBy: 'bytes' });
    expect(result.rows.length).toBeGreaterThan(500);
    expect(result.rows.length).toBeLessThan(1000);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(1_100_000);
  });

  const writes = [
    ['an INSERT', "INSERT INTO shop.orders VALUES (9, 1, '2026-01-01', 'x')"],
    ['a CREATE', 'CREATE TABLE shop.sneaky AS SELECT * FROM shop.orders'],
    ['a DROP', 'DROP TABLE shop.orders'],
    ['an UPDATE', 'UPDATE shop.orders SET amount = 0'],
    ['an INSERT into a view', 'INSERT INTO shop__dev.orders VALUES (9, 1)'],
    [
      'a COPY',
      type === 'duckdb' ? "COPY shop.orders TO '/tmp/sluice-query-copy.csv'" : 'COPY shop.orders TO STDOUT',
    ],
    ['several statements', 'SELECT 1; DELETE FROM shop.orders'],
    // DuckDB has no writes inside a CTE: its parser refuses the text outright
    ...(type === 'postgres'
      ? ([
          ['a write inside a CTE', 'WITH gone AS (DELETE FROM shop.orders RETURNING id) SELECT * FROM gone'],
        ] as const)
      : []),
  ] as const;

  it.each(writes)('refuses %s and changes nothing', async (_what, sql) => {
    const failure = await refusal(query(gateway, sql));
    expect(failure.type).toBe('QUERY_NOT_READ_ONLY');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/only a single read-only SELECT statement may be queried, not /);
    expect(await orderCount()).toBe(3);
    expect(await engine().tableExists('shop', 'sneaky')).toBe(false);
    expect(Number(await engine().queryScalar('SELECT sum(amount) FROM shop.orders'))).toBeCloseTo(60.75);
  });

  it('names the kind of statement it refused', async () => {
    const failure = await refusal(query(gateway, 'DELETE FROM shop.orders'));
    expect(failure.message).toContain('not a DELETE statement');
    const several = await refusal(query(gateway, 'SELECT 1; SELECT 2'));
    expect(several.message).toMatch(/not (2 statements|several statements)/);
  });

  if (type === 'duckdb') {
    it('refuses ATTACH, and attaches nothing', async () => {
      const failure = await refusal(query(gateway, "ATTACH '/tmp/sluice-query-attach.duckdb' AS other"));
      expect(failure.message).toContain('not a ATTACH statement');
      expect(
        Number(
          await engine().queryScalar("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'other'"),
        ),
      ).toBe(0);
    });
  } else {
    it('refuses SELECT ... FOR UPDATE and a function that writes', async () => {
      const locking = await refusal(query(gateway, 'SELECT * FROM shop.orders FOR UPDATE'));
      expect(locking.type).toBe('QUERY_NOT_READ_ONLY');
      expect(locking.message).toMatch(/read-only transaction/);
      await engine().runInTransaction([
        {
          sql: `CREATE FUNCTION shop.wipe() RETURNS integer LANGUAGE sql AS 'DELETE FROM shop.orders RETURNING 1'`,
        },
      ]);
      const writing = await refusal(query(gateway, 'SELECT shop.wipe()'));
      expect(writing.type).toBe('QUERY_NOT_READ_ONLY');
      expect(await orderCount()).toBe(3);
    });
  }

  it('stops a query that runs past its timeout and says so', async () => {
    const sql =
      type === 'duckdb' ? 'SELECT count(*) FROM range(10000000000) a, range(10) b' : 'SELECT pg_sleep(5)';
    const started = Date.now();
    const failure = await refusal(query(gateway, sql, { timeoutMs: 500 }));
    expect(failure.type).toBe('QUERY_TIMEOUT');
    expect(failure.message).toContain('ran longer than its timeout of 500 ms');
    expect(Date.now() - started).toBeLessThan(4_000);
    // the engine serves the next query
    expect((await query(gateway, 'SELECT 1 AS one')).rows).toEqual([[1]]);
  });

  it("reads a development environment's views once model names are resolved", async () => {
    const resolved = resolveModelReferences(
      'SELECT id, amount FROM shop.orders -- shop.orders in a comment stays\nORDER BY id',
      (model) => (model === 'shop.orders' ? environmentView(model, 'dev').qualified : undefined),
    );
    expect(resolved.sql).toContain('"shop__dev"."orders"');
    expect(resolved.sql).toContain('-- shop.orders in a comment stays');
    const result = await query(gateway, resolved.sql);
    expect(result.rows).toEqual([[3, '30.00']]);
  });

  it('refuses a request without a statement or with a limit out of range', async () => {
    expect((await refusal(query(gateway, '  '))).message).toContain('query.sql: expected a statement');
    const zero = await refusal(query(gateway, 'SELECT 1', { limit: 0 }));
    expect(zero.type).toBe('INVALID_REQUEST');
    expect(zero.message).toContain('query.limit');
  });
});

describe('fetchQuery with a scheduler-managed connection', () => {
  it('opens the sealed connection that came with the query when the executor has no gateway of its own', async () => {
    const keyring = keyringOf(randomBytes(32), 'k-query');
    const managed = new ManagedConnections({ keyring, identity: 'run@managed:1', baseDir: tmpdir() });
    try {
      const bare = createExecutorActivities({
        pool: new EnginePool({}, { baseDir: tmpdir() }),
        identity: 'run@managed:1',
        role: 'run',
        encryption: keyring,
        managedConnections: managed,
      });
      const connection = seal(keyring, JSON.stringify(gateways.connections.warehouse), 'warehouse');
      const { env } = activityEnvironment();
      const result = await env.run(bare.fetchQuery, {
        gateway: 'warehouse',
        sql: 'SELECT count(*) AS n FROM shop.orders',
        limit: 10,
        timeoutMs: 10_000,
        connection,
      });
      expect(result).toMatchObject({ executor: 'run@managed:1', gateway: 'warehouse', rows: [[3]] });

      // without it, the executor says it does not serve the gateway
      const failure = await refusal(
        activityEnvironment().env.run(bare.fetchQuery, {
          gateway: 'warehouse',
          sql: 'SELECT 1',
          limit: 10,
          timeoutMs: 10_000,
        }),
      );
      expect(failure.type).toBe('GATEWAY_NOT_CONFIGURED');
    } finally {
      await managed.closeAll();
    }
  });
});
