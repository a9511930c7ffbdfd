/**
 * History reads at scale: one million model executions (10,000 runs of 100 models in 4
 * environments) seeded into PostgreSQL, then the API's history routes timed through the real Hono app
 * and the real indexes. Prints p50/p99 per route; the target is p99 under 50 ms.
 *
 *   npx tsx bench/history-reads.ts        (uses SLUICE_BENCH_DATABASE_URL's server, default local)
 */
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { createApp } from '../api/app.ts';
import { readConfig } from '../config/read.ts';
import { createStateDb } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { percentile } from './support/stack.ts';

const RUNS = 10_000;
const MODELS = 100;
const REQUESTS = 200;
const server = new URL(readConfig('bench', process.env).SLUICE_BENCH_DATABASE_URL);
const name = `sluice_history_bench_${process.pid}`;

const admin = postgres({ ...urlParts(server, 'postgres'), max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${name}"`);
const state = createStateDb({ url: urlOf(server, name) });
try {
  await migrate(state.db);
  const sql = postgres({ ...urlParts(server, name), max: 1, onnotice: () => {} });
  const t0 = performance.now();
  await sql.unsafe(`
    insert into sluice.runs (id, environment, trigger, status, scheduled_at, started_at, finished_at, models)
    select 'run-' || g, 'env_' || (g % 4), 'schedule', case when g % 50 = 0 then 'failed' else 'succeeded' end,
           now() - make_interval(mins => g), now() - make_interval(mins => g) + interval '1 second',
           now() - make_interval(mins => g) + interval '30 seconds', '[]'::jsonb
    from generate_series(1, ${RUNS}) g`);
  await sql.unsafe(`
    insert into sluice.model_executions (id, run_id, environment, model, snapshot_id, interval_start_ms,
      interval_end_ms, status, attempt, executor, queued_at, started_at, finished_at, wait_ms, duration_ms, rows_affected)
    select 'run-' || r || ':m' || m, 'run-' || r, 'env_' || (r % 4), 'bench.m' || m, 'bench.m' || m || '@0123456789',
           extract(epoch from now() - make_interval(mins => r + 1))::bigint * 1000,
           extract(epoch from now() - make_interval(mins => r))::bigint * 1000,
           case when r % 50 = 0 and m = 7 then 'failed' else 'succeeded' end, 1, 'run@bench',
           now() - make_interval(mins => r), now() - make_interval(mins => r) + make_interval(secs => m * 0.1 + 1),
           now() - make_interval(mins => r) + make_interval(secs => m * 0.1 + 2), 1000 + m, 1000, 10
    from generate_series(1, ${RUNS}) r, generate_series(0, ${MODELS - 1}) m`);
  await sql.unsafe(`insert into sluice.environments (name) select 'env_' || g from generate_series(0, 3) g`);
  await sql.unsafe(`
    insert into sluice.snapshots (id, name, fingerprint, metadata_hash, kind, definition, query, parents,
      physical_schema, physical_table, gateway)
    select 'bench.m' || m || '@0123456789', 'bench.m' || m, '0123456789', '0123456789', 'FULL', '{}'::jsonb,
           'select 1', '[]'::jsonb, 'sluice__bench', 'bench__m' || m || '__0123456789', 'warehouse'
    from generate_series(0, ${MODELS - 1}) m`);
  await sql.unsafe('analyze');
  const [{ n }] = (await sql`select count(*)::int as n from sluice.model_executions`) as unknown as [
    { n: number },
  ];
  console.log(
    `seeded ${n.toLocaleString('en')} model executions in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  await sql.end();

  // History routes read only the state DB; the Temporal connection is never opened.
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = createApp({ db: state.db, client, auth: 'off' });
  const firstPage = (await (await app.request('/api/runs?environment=env_1&limit=50')).json()) as {
    nextCursor: string;
  };
  const routes: Array<[string, (i: number) => string]> = [
    ['GET /api/runs?environment&limit=50', () => '/api/runs?environment=env_1&limit=50'],
    [
      'GET /api/runs?environment&cursor (page 2)',
      () => `/api/runs?environment=env_1&limit=50&cursor=${encodeURIComponent(firstPage.nextCursor)}`,
    ],
    ['GET /api/runs?status=failed', () => '/api/runs?status=failed&limit=50'],
    ['GET /api/runs/{id} (100 executions)', (i) => `/api/runs/run-${1 + ((i * 37) % RUNS)}`],
    [
      'GET /api/models/{name}/executions?environment',
      (i) => `/api/models/bench.m${i % MODELS}/executions?environment=env_${i % 4}`,
    ],
  ];
  console.log(`history reads over ${n.toLocaleString('en')} executions, ${REQUESTS} requests per route:`);
  let worst = 0;
  for (const [label, path] of routes) {
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      const res = await app.request(path(i));
      if (res.status !== 200) throw new Error(`${label}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      times.push(performance.now() - t);
    }
    worst = Math.max(worst, percentile(times, 99));
    console.log(
      `  ${label.padEnd(48)} p50 ${percentile(times, 50).toFixed(1)} ms   p99 ${percentile(times, 99).toFixed(1)} ms`,
    );
  }
  console.log(
    `  target p99 < 50 ms on every route: ${worst < 50 ? 'met' : 'not met'} (worst p99 ${worst.toFixed(1)} ms)`,
  );
} finally {
  await state.close();
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
}

function urlOf(base: URL, database: string): string {
  const url = new URL(base.toString());
  url.pathname = `/${database}`;
  return url.toString();
}

function urlParts(base: URL, database: string) {
  return {
    host: base.hostname,
    port: Number(base.port || 5432),
    user: decodeURIComponent(base.username || 'postgres'),
    password: base.password ? decodeURIComponent(base.password) : undefined,
    database,
  };
}
