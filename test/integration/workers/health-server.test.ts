// The health port of a real executor on the Temporal dev server, over real HTTP: /healthz follows
// the Temporal worker's state (503 once it starts stopping), /readyz pings Temporal and each
// gateway (Postgres and DuckDB) and names the gateway that does not answer, without its password.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedBatch } from '../../../activities/contracts.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import { readWorkerConfig } from '../../../workers/config.ts';
import { startHealthServer } from '../../../workers/health-server.ts';
import { type StartedWorkerProcess, startWorkerProcess } from '../../../workers/worker-process.ts';
import { startDevServer } from '../../support/temporal.ts';
import { waitUntil } from '../../support/waiting.ts';
import { type ExecutorGateways, openExecutorGateways, SECRET } from '../executor/executor-gateways.ts';
import type { executeOne } from './workflows/execute-one.ts';

const WORKFLOW_QUEUE = 'health-server-test-workflows';

let env: TestWorkflowEnvironment;
let gateways: ExecutorGateways;
let admin: postgres.Sql;
let workflowWorker: Worker;
let workflowsRunning: Promise<void>;
const dir = mkdtempSync(join(tmpdir(), 'sluice-health-'));
const started: StartedWorkerProcess[] = [];

beforeAll(async () => {
  gateways = await openExecutorGateways('health');
  const url = new URL(`postgres://${gateways.connections.warehouse!.user}@127.0.0.1`);
  url.port = String(gateways.connections.warehouse!.port);
  url.pathname = `/${gateways.database}`;
  admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  env = await startDevServer();
  workflowWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: WORKFLOW_QUEUE,
    workflowsPath: fileURLToPath(new URL('./workflows/execute-one.ts', import.meta.url)),
  });
  workflowsRunning = workflowWorker.run();
});

afterAll(async () => {
  for (const process of started) {
    await process.running.stop().catch(() => {});
    for (const resource of process.resources) await resource.close().catch(() => {});
  }
  if (workflowWorker?.getState() === 'RUNNING') workflowWorker.shutdown();
  await workflowsRunning;
  await env?.teardown();
  await admin?.end();
  await gateways?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The environment of an executor serving the test's Postgres database and a DuckDB file. */
function executorEnv(identity: string, extra: Record<string, string> = {}): Record<string, string> {
  const warehouse = gateways.connections.warehouse!;
  return {
    TEMPORAL_ADDRESS: env.address,
    SLUICE_EXECUTOR_IDENTITY: identity,
    SLUICE_SHUTDOWN_GRACE: '20s',
    SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'postgres',
    SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: String(warehouse.host),
    SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: String(warehouse.port),
    SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER: String(warehouse.user),
    SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD: SECRET,
    SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE: gateways.database,
    SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__SSLMODE: 'disable',
    SLUICE__GATEWAYS__LOCAL__CONNECTION__TYPE: 'duckdb',
    SLUICE__GATEWAYS__LOCAL__CONNECTION__DATABASE: `${identity.replace(/\W/g, '_')}.duckdb`,
    ...extra,
  };
}

/**
 * Starts an executor process with a health port the system picks: port 0 is for tests only, so it
 * is set through the function API (the environment refuses it), with the ready timeout it comes with.
 */
async function startExecutor(
  role: 'run' | 'apply',
  variables: Record<string, string>,
  readyTimeoutMs = 5000,
) {
  const config = readWorkerConfig(role, variables, { cwd: dir });
  const process = await startWorkerProcess(
    { ...config, healthPort: 0, healthHost: '127.0.0.1', readyTimeoutMs },
    () => {},
  );
  started.push(process);
  return process;
}

async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) };
}

function lockedBatch(): PreparedBatch {
  const request: ExecutionRequest = {
    model: 'ops.locked',
    snapshot: 's1',
    kind: 'FULL',
    statements: [{ sql: 'SELECT pg_advisory_xact_lock(5151)', label: 'ops.locked' }],
    createStatements: 0,
    writeStatements: [],
    audits: [],
    physical: { schema: 'public', table: 'locked' },
  };
  return { executionId: 'locked-1', gateway: 'warehouse', model: 'ops.locked', interval: null, request };
}

describe('the health port of an executor', () => {
  it('answers /healthz and /readyz while serving, and /healthz fails once stopping begins', async () => {
    const executor = await startExecutor('run', executorEnv('run@health-test'));
    const base = executor.healthUrl!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(executor.description).toMatch(
      /^sluice run executor run@health-test: serving task queue sluice-run with gateways local \(default\), warehouse on Temporal .*; health checks at http:\/\/127\.0\.0\.1:\d+\/healthz and \/readyz$/,
    );

    const live = await get(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^application\/json/);
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect(live.body).toEqual({
      status: 'ok',
      role: 'run',
      identity: 'run@health-test',
      worker: 'RUNNING',
      uptimeSeconds: expect.any(Number),
    });

    const ready = await get(`${base}/readyz?verbose=1`);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
    expect(Object.keys(ready.body.checks)).toEqual(['gateway:local', 'gateway:warehouse', 'temporal']);
    for (const check of Object.values(ready.body.checks))
      expect(check).toEqual({ ok: true, ms: expect.any(Number) });

    const missing = await get(`${base}/metrics`);
    expect(missing.status).toBe(404);
    expect(missing.body.status).toBe('not found');
    const posted = await get(`${base}/healthz`, { method: 'POST' });
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET');
    expect(posted.body).toEqual({ status: 'method not allowed', error: '/healthz answers GET only' });

    // a batch in flight keeps the worker draining for as long as the test holds the lock
    await admin.unsafe('SELECT pg_advisory_lock(5151)');
    const handle = await env.client.workflow.start<typeof executeOne>('executeOne', {
      taskQueue: WORKFLOW_QUEUE,
      workflowId: `health-locked-${Date.now()}`,
      args: [lockedBatch(), 'sluice-run'],
    });
    await waitUntil(async () => {
      const rows = await admin.unsafe(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_advisory_xact_lock(5151)' AND wait_event_type = 'Lock'",
      );
      return (rows[0] as unknown as { n: number }).n === 1;
    });
    const stopping = executor.running.stop();
    let failing: Awaited<ReturnType<typeof get>> | undefined;
    await waitUntil(async () => {
      failing = await get(`${base}/healthz`);
      return failing.status === 503;
    });
    expect(failing?.body).toMatchObject({ status: 'failing', role: 'run', identity: 'run@health-test' });
    expect(['STOPPING', 'DRAINING', 'DRAINED']).toContain(failing?.body.worker);

    await admin.unsafe('SELECT pg_advisory_unlock(5151)');
    await handle.result();
    await stopping;
    for (const resource of executor.resources) await resource.close();
    started.splice(started.indexOf(executor), 1);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('is not ready while a gateway does not answer, naming it and never its password', async () => {
    // a server that accepts connections and never says a word
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      const executor = await startExecutor(
        'apply',
        executorEnv('apply@health-test', {
          SLUICE__GATEWAYS__BROKEN__CONNECTION__TYPE: 'postgres',
          SLUICE__GATEWAYS__BROKEN__CONNECTION__HOST: '127.0.0.1',
          SLUICE__GATEWAYS__BROKEN__CONNECTION__PORT: '1',
          SLUICE__GATEWAYS__BROKEN__CONNECTION__USER: 'sluice',
          SLUICE__GATEWAYS__BROKEN__CONNECTION__PASSWORD: SECRET,
          SLUICE__GATEWAYS__BROKEN__CONNECTION__DATABASE: 'nowhere',
          SLUICE__GATEWAYS__BROKEN__CONNECTION__SSLMODE: 'disable',
          SLUICE__GATEWAYS__SILENT__CONNECTION__TYPE: 'postgres',
          SLUICE__GATEWAYS__SILENT__CONNECTION__HOST: '127.0.0.1',
          SLUICE__GATEWAYS__SILENT__CONNECTION__PORT: String(silentPort),
          SLUICE__GATEWAYS__SILENT__CONNECTION__USER: 'sluice',
          SLUICE__GATEWAYS__SILENT__CONNECTION__PASSWORD: SECRET,
          SLUICE__GATEWAYS__SILENT__CONNECTION__DATABASE: 'nowhere',
          SLUICE__GATEWAYS__SILENT__CONNECTION__SSLMODE: 'disable',
          SLUICE__GATEWAYS__SILENT__CONNECTION__CONNECT_TIMEOUT: '60',
        }),
        1000,
      );
      const base = executor.healthUrl!;
      const ready = await get(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('not ready');
      expect(Object.keys(ready.body.checks)).toEqual([
        'gateway:broken',
        'gateway:local',
        'gateway:silent',
        'gateway:warehouse',
        'temporal',
      ]);
      expect(ready.body.checks['gateway:broken']).toMatchObject({ ok: false });
      expect(ready.body.checks['gateway:broken'].error).toContain('gateway "broken": cannot connect to');
      expect(ready.body.checks['gateway:broken'].error).toContain('127.0.0.1:1');
      expect(ready.body.checks['gateway:silent']).toEqual({
        ok: false,
        ms: expect.any(Number),
        error: 'no answer within 1000 ms',
      });
      expect(ready.body.checks['gateway:silent'].ms).toBeGreaterThanOrEqual(999);
      // the gateways that answer are not held up by the one that does not
      for (const name of ['gateway:local', 'gateway:warehouse', 'temporal']) {
        expect(ready.body.checks[name].ok).toBe(true);
      }
      expect(ready.text).not.toContain(SECRET);
      // liveness does not depend on the warehouse
      expect((await get(`${base}/healthz`)).status).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('checks Temporal and the state database of the scheduler', async () => {
    const config = readWorkerConfig(
      'scheduler',
      {
        TEMPORAL_ADDRESS: env.address,
        SLUICE_DATABASE_URL: 'memory://',
        SLUICE_EXECUTOR_IDENTITY: 'scheduler@health',
      },
      { cwd: dir },
    );
    const scheduler = await startWorkerProcess(
      { ...config, healthPort: 0, healthHost: '127.0.0.1', readyTimeoutMs: 5000 },
      () => {},
    );
    started.push(scheduler);
    expect(scheduler.description).toContain(`; health checks at ${scheduler.healthUrl}/healthz and /readyz`);
    const live = await get(`${scheduler.healthUrl}/healthz`);
    expect(live.body).toMatchObject({
      status: 'ok',
      role: 'scheduler',
      identity: 'scheduler@health',
      worker: 'RUNNING',
    });
    const ready = await get(`${scheduler.healthUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.checks)).toEqual(['state-db', 'temporal']);
  });

  it('refuses a port that is taken, naming the variable', async () => {
    const first = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      role: 'run',
      identity: 'run@one',
      worker: { getState: () => 'RUNNING' },
      readiness: async () => ({ status: 'ready', checks: {} }),
    });
    try {
      await expect(
        startHealthServer({
          port: first.port,
          host: '127.0.0.1',
          role: 'run',
          identity: 'run@two',
          worker: { getState: () => 'RUNNING' },
          readiness: async () => ({ status: 'ready', checks: {} }),
        }),
      ).rejects.toThrow(
        `cannot listen on 127.0.0.1:${first.port}: the port is in use (set SLUICE_HEALTH_PORT to another port)`,
      );
    } finally {
      await first.close();
    }
  });
});
