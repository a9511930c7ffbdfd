import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorReport, PreparedBatch } from '../../../activities/contracts.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import { startExecutorWorker } from '../../../workers/executor-worker.ts';
import type { RunningWorker } from '../../../workers/running-worker.ts';
import { serveUntilSignal } from '../../../workers/shutdown.ts';
import { startDevServer } from '../../support/temporal.ts';
import { type ExecutorGateways, openExecutorGateways } from '../executor/executor-gateways.ts';
import type { executeOne } from './workflows/execute-one.ts';

const WORKFLOW_QUEUE = 'executor-worker-test-workflows';

let env: TestWorkflowEnvironment;
let gateways: ExecutorGateways;
let workflowWorker: Worker;
let workflowsRunning: Promise<void>;

beforeAll(async () => {
  gateways = await openExecutorGateways('exec_worker');
  await gateways.pool.get('warehouse').runInTransaction([{ sql: 'CREATE TABLE drained (id int)' }]);
  env = await startDevServer();
  workflowWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: WORKFLOW_QUEUE,
    workflowsPath: fileURLToPath(new URL('./workflows/execute-one.ts', import.meta.url)),
  });
  workflowsRunning = workflowWorker.run();
});

afterAll(async () => {
  if (workflowWorker?.getState() === 'RUNNING') workflowWorker.shutdown();
  await workflowsRunning;
  await env?.teardown();
  await gateways?.close();
});

function sleeper(id: number, seconds: number): PreparedBatch {
  const request: ExecutionRequest = {
    model: 'shop.drained',
    snapshot: `s${id}`,
    kind: 'FULL',
    statements: [
      { sql: `INSERT INTO drained VALUES (${id})`, label: 'shop.drained' },
      { sql: `SELECT pg_sleep(${seconds})`, label: 'shop.drained' },
    ],
    createStatements: 0,
    writeStatements: [0],
    audits: [],
    physical: { schema: 'public', table: 'drained' },
  };
  return { executionId: `x${id}`, gateway: 'warehouse', model: 'shop.drained', interval: null, request };
}

async function startExecutor(identity: string, graceMs: number) {
  return startExecutorWorker({
    connection: env.nativeConnection,
    role: 'run',
    gateways: { warehouse: { connection: gateways.connections.warehouse! } },
    baseDir: tmpdir(),
    identity,
    shutdownGraceMs: graceMs,
  });
}

async function sleeping(seconds: number): Promise<number> {
  const count = await gateways.pool
    .get('warehouse')
    .queryScalar(
      `SELECT count(*) FROM pg_stat_activity WHERE datname = '${gateways.database}' AND state = 'active' AND query = 'SELECT pg_sleep(${seconds})'`,
    );
  return Number(count);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function serve(worker: RunningWorker, graceMs: number, lines: string[]) {
  const signals = new EventEmitter();
  const served = serveUntilSignal({
    services: [{ name: worker.taskQueue, done: worker.done, stop: worker.stop }],
    graceMs,
    emitter: signals,
    log: (line) => lines.push(line),
    forceExit: () => lines.push('forced exit'),
  });
  return { signals, served };
}

describe('executor worker', () => {
  it('serves sluice-run and, on SIGTERM, lets the batch in flight finish before it stops', async () => {
    const executor = await startExecutor('run@drain-test:1', 20_000);
    expect(executor.taskQueue).toBe('sluice-run');
    expect(executor.gateways).toEqual(['warehouse']);
    const lines: string[] = [];
    const { signals, served } = serve(executor, 20_000, lines);

    const handle = await env.client.workflow.start<typeof executeOne>('executeOne', {
      taskQueue: WORKFLOW_QUEUE,
      workflowId: `drain-${Date.now()}`,
      args: [sleeper(1, 1.5), 'sluice-run'],
    });
    await waitFor(async () => (await sleeping(1.5)) === 1);
    signals.emit('SIGTERM', 'SIGTERM');

    const report: ExecutorReport = await handle.result();
    expect(report.executor).toBe('run@drain-test:1');
    expect(report.attempt).toBe(1);
    expect(report.rowsAffected).toBe(1);
    expect(await served).toBe(0);
    expect(lines).toEqual([
      'received SIGTERM: stopping; work in flight has up to 20s to finish',
      'stopped cleanly',
    ]);
    expect(await gateways.pool.get('warehouse').queryRows('SELECT id FROM drained WHERE id = 1', 10)).toEqual(
      [{ id: 1 }],
    );
    // the executor's own engines are closed once it has stopped
    expect(() => executor.pool.get('warehouse')).toThrow(/closed/);
  });

  it('cancels a batch still running when the grace time is over: the statement stops and rolls back', async () => {
    const executor = await startExecutor('run@drain-test:2', 1_000);
    const lines: string[] = [];
    const { signals, served } = serve(executor, 1_000, lines);
    const handle = await env.client.workflow.start<typeof executeOne>('executeOne', {
      taskQueue: WORKFLOW_QUEUE,
      workflowId: `grace-${Date.now()}`,
      args: [sleeper(2, 45), 'sluice-run'],
    });
    await waitFor(async () => (await sleeping(45)) === 1);
    const signalledAt = Date.now();
    signals.emit('SIGINT', 'SIGINT');
    // the same Ctrl-C forwarded by a wrapper process: not a second request
    signals.emit('SIGINT', 'SIGINT');
    expect(await served).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    expect(lines).toEqual([
      'received SIGINT: stopping; work in flight has up to 1s to finish',
      'stopped cleanly',
    ]);
    expect(await sleeping(45)).toBe(0);
    expect(await gateways.pool.get('warehouse').queryRows('SELECT id FROM drained WHERE id = 2', 10)).toEqual(
      [],
    );
    // the attempt failed on this executor; with no retries left the workflow fails
    const failure = await handle.result().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect(String(((failure as WorkflowFailedError).cause?.cause as Error | undefined)?.message)).toContain(
      'Worker is shutting down',
    );
  });
});

describe('serveUntilSignal', () => {
  it('closes resources in order after the services stop, and reports a failed stop', async () => {
    const order: string[] = [];
    const lines: string[] = [];
    const signals = new EventEmitter();
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const served = serveUntilSignal({
      services: [
        {
          name: 'good',
          done,
          stop: async () => {
            order.push('stop good');
            finish();
          },
        },
        {
          name: 'bad',
          done: new Promise(() => {}),
          stop: async () => {
            order.push('stop bad');
            throw new Error('worker would not drain');
          },
        },
      ],
      resources: [
        { name: 'pool', close: async () => void order.push('close pool') },
        { name: 'db', close: async () => void order.push('close db') },
      ],
      graceMs: 500,
      emitter: signals,
      log: (line) => lines.push(line),
    });
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await served).toBe(1);
    expect(order).toEqual(['stop good', 'stop bad', 'close pool', 'close db']);
    expect(lines).toEqual([
      'received SIGTERM: stopping; work in flight has up to 500ms to finish',
      'bad did not stop cleanly: worker would not drain',
      'stopped with errors',
    ]);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits at once on a second signal, but not on a repeat of the first', async () => {
    const lines: string[] = [];
    const signals = new EventEmitter();
    let release: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      release = resolve;
    });
    const served = serveUntilSignal({
      services: [{ name: 'slow', done: stopped, stop: () => stopped }],
      graceMs: 30_000,
      emitter: signals,
      log: (line) => lines.push(line),
      forceExit: () => {
        lines.push('forced exit');
        release();
      },
      repeatWindowMs: 200,
    });
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGINT', 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines).toEqual(['received SIGTERM: stopping; work in flight has up to 30s to finish']);
    signals.emit('SIGINT', 'SIGINT');
    expect(await served).toBe(0);
    expect(lines).toEqual([
      'received SIGTERM: stopping; work in flight has up to 30s to finish',
      'received SIGINT again: exiting without waiting for work in flight',
      'forced exit',
      'stopped cleanly',
    ]);
  });

  it('stops everything with exit code 1 when a service stops on its own', async () => {
    const lines: string[] = [];
    const stopped: string[] = [];
    const code = await serveUntilSignal({
      services: [
        {
          name: 'sluice-run worker',
          done: Promise.reject(new Error('connection lost')),
          stop: async () => {},
        },
        { name: 'other', done: new Promise(() => {}), stop: async () => void stopped.push('other') },
      ],
      graceMs: 1000,
      emitter: new EventEmitter(),
      log: (line) => lines.push(line),
    });
    expect(code).toBe(1);
    expect(stopped).toEqual(['other']);
    expect(lines[0]).toBe('sluice-run worker stopped unexpectedly: connection lost; stopping');
  });
});
