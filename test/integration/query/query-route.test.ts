/**
 * `POST /api/environments/{env}/query` and `sluice fetchdf` on a real stack with PostgreSQL: a
 * Temporal dev server, the scheduler worker, a run executor that holds the `warehouse` gateway (a
 * scratch database), and the shop project planned into prod and a development environment. Model
 * names read the environment's views; writes are refused with nothing changed; the limit and the
 * timeout hold; a token without the operator role on the environment gets 403; bad input is named.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../../api/app.ts';
import { type ApiServer, startApiServer } from '../../../api/server.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { listAudit } from '../../../state/audit-log.ts';
import { environmentSnapshotMap, promoteEnvironment } from '../../../state/environments.ts';
import { startExecutorWorker } from '../../../workers/executor-worker.ts';
import type { RunningWorker } from '../../../workers/running-worker.ts';
import { startSchedulerWorker } from '../../../workers/scheduler-worker.ts';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { Contract } from '../../api/support/contract.ts';
import { seedShop } from '../../api/support/seed.ts';
import { runSluice } from '../../support/sluice-process.ts';
import { startDevServer } from '../../support/temporal.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';

let env: TestWorkflowEnvironment;
let stateDb: ScratchDatabase;
let warehouseDb: ScratchDatabase;
let state: StateConnection;
let warehouse: postgres.Sql;
let dir: string;
const workers: RunningWorker[] = [];
let app: SluiceApp;
let contract: Contract;
let server: ApiServer;
let operator: string;

beforeAll(async () => {
  env = await startDevServer();
  dir = mkdtempSync(join(tmpdir(), 'sluice-query-route-'));
  stateDb = await createScratchDatabase('query_state');
  warehouseDb = await createScratchDatabase('query_wh');
  state = createStateDb({ url: stateDb.url });
  await migrate(state.db);
  const seeded = await seedShop(state.db);
  await promoteEnvironment(
    state.db,
    'dev_team',
    await environmentSnapshotMap(state.db, 'prod'),
    seeded.planId,
  );

  // the warehouse as the executors left it: prod's and dev_team's views of marts.customer_orders
  warehouse = postgres(warehouseDb.url, { max: 1, onnotice: () => {} });
  await warehouse.unsafe(`
    CREATE SCHEMA marts;
    CREATE TABLE marts.orders_table (customer_id int, orders bigint, spend numeric(12,2), last_at timestamptz);
    INSERT INTO marts.orders_table SELECT i, i * 2, i * 10.5, timestamptz '2026-11-01 00:00:00+00' + i * interval '1 hour'
      FROM generate_series(1, 50) AS i;
    CREATE VIEW marts.customer_orders AS SELECT * FROM marts.orders_table;
    CREATE SCHEMA marts__dev_team;
    CREATE VIEW marts__dev_team.customer_orders AS SELECT * FROM marts.orders_table WHERE customer_id = 7;
  `);

  workers.push(
    await startSchedulerWorker({
      connection: env.nativeConnection,
      db: state.db,
      client: env.client,
      identity: 'scheduler@query',
      shutdownGraceMs: 2_000,
    }),
  );
  const url = new URL(warehouseDb.url);
  workers.push(
    await startExecutorWorker({
      connection: env.nativeConnection,
      role: 'run',
      gateways: {
        warehouse: {
          connection: {
            type: 'postgres',
            host: url.hostname,
            port: Number(url.port || 5432),
            user: decodeURIComponent(url.username || 'postgres'),
            database: url.pathname.slice(1),
            sslmode: 'disable',
          },
        },
      },
      baseDir: dir,
      identity: 'run@query',
      shutdownGraceMs: 2_000,
    }),
  );
  app = testApp({ db: state.db, client: env.client, temporalTimeoutMs: 10_000 });
  contract = await Contract.of(app);
  operator = await tokenFor(state.db, 'operator', ['dev_*'], 'analyst');
  server = await startApiServer({
    db: state.db,
    client: env.client,
    host: '127.0.0.1',
    port: 0,
    auth: 'tokens',
    log: () => {},
    logError: () => {},
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  for (const worker of workers.reverse()) await worker.stop().catch(() => {});
  await warehouse?.end();
  await state?.close();
  await stateDb?.drop();
  await warehouseDb?.drop();
  await env?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function query(environment: string, body: Record<string, unknown>, token = operator) {
  return contract.call(app, 'POST', `/api/environments/${environment}/query`, { token, body });
}

const ordersTotal = async () => Number((await warehouse`SELECT count(*) AS n FROM marts.orders_table`)[0]!.n);

describe('POST /api/environments/{env}/query on PostgreSQL', () => {
  it("reads the environment's views through the run executor", async () => {
    const reply = await query('dev_team', { sql: 'SELECT * FROM marts.customer_orders' });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({
      environment: 'dev_team',
      gateway: 'warehouse',
      executor: 'run@query',
      models: ['marts.customer_orders'],
      rowCount: 1,
      truncated: false,
      truncatedBy: null,
    });
    expect(reply.body.columns).toEqual([
      { name: 'customer_id', type: 'integer' },
      { name: 'orders', type: 'bigint' },
      { name: 'spend', type: 'numeric' },
      { name: 'last_at', type: 'timestamp with time zone' },
    ]);
    expect(reply.body.rows).toEqual([[7, 14, '73.50', '2026-11-01T07:00:00.000Z']]);
    const audit = await listAudit(state.db, { action: 'query.run' });
    expect(audit.items[0]).toMatchObject({ environment: 'dev_team', target: 'warehouse' });
  });

  it('stops at the limit and says so', async () => {
    const admin = await tokenFor(state.db, 'admin', ['*'], 'root');
    const reply = await query(
      'prod',
      { sql: 'SELECT customer_id FROM marts.customer_orders ORDER BY 1', limit: 5 },
      admin,
    );
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.rows).toEqual([[1], [2], [3], [4], [5]]);
    expect(reply.body).toMatchObject({ rowCount: 5, truncated: true, truncatedBy: 'rows' });
  });

  it('refuses a write with 422 naming it, and writes nothing', async () => {
    for (const sql of [
      'DELETE FROM marts.orders_table',
      'SELECT * FROM marts.customer_orders FOR UPDATE',
      'SELECT 1; DROP TABLE marts.orders_table',
    ]) {
      const reply = await query('dev_team', { sql });
      expect(reply.status, sql).toBe(422);
      expect(reply.body.error.code, sql).toBe('query_not_read_only');
      expect(reply.body.error.message, sql).toMatch(
        /only a single read-only SELECT statement may be queried/,
      );
    }
    expect(await ordersTotal()).toBe(50);
  });

  it('answers 408 naming the timeout when the query runs longer', async () => {
    const reply = await query('dev_team', { sql: 'SELECT pg_sleep(5)', timeoutMs: 500 });
    expect(reply.status, reply.text).toBe(408);
    expect(reply.body.error.code).toBe('query_timeout');
    expect(reply.body.error.message).toContain('timeout of 500 ms');
  });

  it('answers 503 naming the gateway when the run executor does not serve it', async () => {
    const reply = await query('dev_team', { sql: 'SELECT 1', gateway: 'local' });
    expect(reply.status, reply.text).toBe(503);
    expect(reply.body.error.code).toBe('executor_unavailable');
    expect(reply.body.error.message).toContain('gateway "local" is not configured on executor run@query');
  });

  it("gives the warehouse's own refusal as 422 query_failed", async () => {
    const reply = await query('dev_team', { sql: 'SELECT nope FROM marts.customer_orders' });
    expect(reply.status).toBe(422);
    expect(reply.body.error.code).toBe('query_failed');
    expect(reply.body.error.message).toContain('column "nope" does not exist');
  });

  it('refuses a token without the operator role on the environment with 403', async () => {
    const viewer = await tokenFor(state.db, 'viewer', ['*'], 'reader');
    const byViewer = await query('dev_team', { sql: 'SELECT 1' }, viewer);
    expect(byViewer.status).toBe(403);
    expect(byViewer.body.error.message).toContain(
      "to query the environment's warehouse it needs role operator",
    );
    const outside = await query('prod', { sql: 'SELECT 1' });
    expect(outside.status).toBe(403);
    expect(outside.body.error.message).toContain('not "prod"');
  });

  it('names bad input: empty sql, limit 0, unknown environment and gateway, models it cannot read', async () => {
    const empty = await query('dev_team', { sql: '  ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('sql: must hold a statement');
    const zero = await query('dev_team', { sql: 'SELECT 1', limit: 0 });
    expect(zero.status).toBe(400);
    expect(zero.body.error.message).toMatch(/^body.limit: Too small: expected number to be >=1/);
    const unknownEnv = await query('dev_nope', { sql: 'SELECT 1' });
    expect(unknownEnv.status).toBe(404);
    expect(unknownEnv.body.error.message).toContain('unknown environment "dev_nope"');
    const unknownGateway = await query('dev_team', { sql: 'SELECT 1', gateway: 'lake' });
    expect(unknownGateway.status).toBe(404);
    expect(unknownGateway.body.error.message).toContain(
      'has no gateway "lake" (its gateways: local, warehouse)',
    );
    const otherGateway = await query('dev_team', { sql: 'SELECT * FROM marts.orders_view' });
    expect(otherGateway.status).toBe(422);
    expect(otherGateway.body.error.message).toContain('on gateway "local", not "warehouse"');
    const embedded = await query('dev_team', { sql: 'SELECT * FROM ephemeral.order_lines' });
    expect(embedded.status).toBe(422);
    expect(embedded.body.error.message).toContain('is EMBEDDED');
    const unlexable = await query('dev_team', { sql: "SELECT 'open" });
    expect(unlexable.status).toBe(400);
    expect(unlexable.body.error.message).toMatch(/^sql: line 1: unterminated/);
  });

  it('prints the rows with sluice fetchdf as a table, JSON and CSV', async () => {
    const cli = (args: string[]) =>
      runSluice(['fetchdf', ...args, '--url', server.url, '--token', operator, '--env', 'dev_team'], {});
    const table = await cli(['SELECT customer_id, spend, last_at FROM marts.customer_orders']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')).toEqual([
      'customer_id  spend  last_at',
      '7            73.50  2026-11-01T07:00:00.000Z',
      '',
    ]);
    const json = await cli(['SELECT customer_id FROM marts.customer_orders', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ rows: [[7]], columns: [{ name: 'customer_id' }] });
    const csv = await cli([`SELECT 'a,"b"' AS text, NULL AS nothing, 1 AS one`, '--csv']);
    expect(csv.stdout).toBe('text,nothing,one\r\n"a,""b""",,1\r\n');
    const refused = await cli(['DELETE FROM marts.orders_table']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^sluice: gateway "warehouse": only a single read-only SELECT statement may be queried, not a DELETE statement/,
    );
    const bad = await cli(['SELECT 1', '--limit', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--limit must be a whole number from 1 to 10000 (got 0)');
    expect(await ordersTotal()).toBe(50);
  });
});
