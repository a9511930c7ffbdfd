/**
 * The executor registry workflow on the time-skipping server: heartbeats keep each executor's last
 * report, a goodbye marks it stopped, entries unheard for 24 hours are dropped; and, on the dev
 * server, continue-as-new carries the map without losing a signal.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ExecutorGoodbye,
  type ExecutorRegistryInput,
  type ExecutorReport,
  executorHeartbeatSignal,
  executorRegistryWorkflow,
  executorStoppedSignal,
  executorsQuery,
} from '../../workflows/executor-registry.ts';
import { startDevServer, startTimeSkippingServer } from '../support/temporal.ts';
import { workflowBundle } from '../support/workflow-harness.ts';

const HOUR = 3_600_000;
const QUEUE = 'executor-registry-test';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;

/** The calling describe block's server, from `start`, with a worker polling the registry's queue. */
function serveOn(start: () => Promise<TestWorkflowEnvironment>): void {
  beforeAll(async () => {
    env = await start();
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: QUEUE,
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
  }, 120_000);

  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await env?.teardown();
  });
}

let started = 0;

/** A registry started (as executors start it) by its first heartbeat. */
async function registry(
  first: ExecutorReport,
  input: ExecutorRegistryInput = {},
): Promise<WorkflowHandle<typeof executorRegistryWorkflow>> {
  started += 1;
  return env.client.workflow.signalWithStart(executorRegistryWorkflow, {
    workflowId: `sluice-executors-test-${started}`,
    taskQueue: QUEUE,
    args: [input],
    signal: executorHeartbeatSignal,
    signalArgs: [first],
  });
}

function report(identity: string, at: number, extra: Partial<ExecutorReport> = {}): ExecutorReport {
  return {
    identity,
    role: 'run',
    taskQueue: 'sluice-run',
    version: '0.1.0',
    gateways: ['local', 'warehouse'],
    startedAt: at - 1000,
    at,
    health: 'ok',
    inFlight: 0,
    ...extra,
  };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('executor registry workflow', () => {
  serveOn(startTimeSkippingServer);

  it('keeps the last report of each executor, ignoring late and malformed ones', async () => {
    const t = await env.currentTimeMs();
    const handle = await registry(report('run@a:1', t));
    await handle.signal(
      executorHeartbeatSignal,
      report('apply@b:2', t, { role: 'apply', gateways: ['warehouse'] }),
    );
    await handle.signal(
      executorHeartbeatSignal,
      report('run@a:1', t + 15_000, { inFlight: 3, health: 'degraded' }),
    );
    // delivered after a newer one: changes nothing
    await handle.signal(executorHeartbeatSignal, report('run@a:1', t + 5_000, { inFlight: 9 }));
    await handle.signal(executorHeartbeatSignal, { identity: 'bogus' } as unknown as ExecutorReport);

    const map = await waitFor(
      () => handle.query(executorsQuery),
      (m) => m['run@a:1']?.at === t + 15_000 && m['apply@b:2'] !== undefined,
    );
    expect(Object.keys(map).sort()).toEqual(['apply@b:2', 'run@a:1']);
    expect(map['run@a:1']).toMatchObject({
      role: 'run',
      taskQueue: 'sluice-run',
      version: '0.1.0',
      gateways: ['local', 'warehouse'],
      startedAt: t + 14_000,
      at: t + 15_000,
      health: 'degraded',
      inFlight: 3,
      stoppedAt: null,
    });
    expect(map['apply@b:2']).toMatchObject({ role: 'apply', gateways: ['warehouse'], stoppedAt: null });
    await handle.terminate();
  });

  it('marks an executor stopped on goodbye, until it reports again after a restart', async () => {
    const t = await env.currentTimeMs();
    const handle = await registry(report('run@c:1', t));
    const goodbye: ExecutorGoodbye = { identity: 'run@c:1', at: t + 1_000 };
    await handle.signal(executorStoppedSignal, goodbye);
    // a report sent before the goodbye but delivered after it does not bring the executor back
    await handle.signal(executorHeartbeatSignal, report('run@c:1', t + 500));
    // a goodbye from an executor that never reported is ignored
    await handle.signal(executorStoppedSignal, { identity: 'run@nobody:9', at: t });

    const stopped = await waitFor(
      () => handle.query(executorsQuery),
      (m) => m['run@c:1']?.stoppedAt !== null,
    );
    expect(stopped['run@c:1']).toMatchObject({ at: t, stoppedAt: t + 1_000 });
    expect(Object.keys(stopped)).toEqual(['run@c:1']);

    await handle.signal(executorHeartbeatSignal, report('run@c:1', t + 2_000, { startedAt: t + 1_800 }));
    const restarted = await waitFor(
      () => handle.query(executorsQuery),
      (m) => m['run@c:1']?.at === t + 2_000,
    );
    expect(restarted['run@c:1']).toMatchObject({ stoppedAt: null, startedAt: t + 1_800 });
    await handle.terminate();
  });

  it('drops executors not heard from for 24 hours', async () => {
    const t = await env.currentTimeMs();
    const handle = await registry(report('run@old:1', t), { maxSignals: 4 });
    const firstRunId = (await handle.describe()).runId;
    await env.sleep(12 * HOUR);
    const later = await env.currentTimeMs();
    await handle.signal(executorHeartbeatSignal, report('run@young:1', later));
    await handle.signal(executorStoppedSignal, { identity: 'run@young:1', at: later + 1 });
    await waitFor(
      () => handle.query(executorsQuery),
      (m) => m['run@young:1']?.stoppedAt === later + 1,
    );
    expect(Object.keys(await handle.query(executorsQuery)).sort()).toEqual(['run@old:1', 'run@young:1']);

    await env.sleep(13 * HOUR);
    expect(Object.keys(await handle.query(executorsQuery))).toEqual(['run@young:1']);
    // the fourth signal continues the workflow as new: only what was kept is handed over
    await handle.signal(executorHeartbeatSignal, report('run@young:1', later + 2));
    const { runId } = await waitFor(
      () => handle.describe(),
      (d) => d.runId !== firstRunId,
    );
    const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const carried = JSON.parse(Buffer.from(payload!.data!).toString('utf8')) as ExecutorRegistryInput;
    expect(Object.keys(carried.executors ?? {})).toEqual(['run@young:1']);
    expect(carried.maxSignals).toBe(4);
    await env.sleep(25 * HOUR);
    expect(await handle.query(executorsQuery)).toEqual({});
    // the hourly prune keeps the workflow itself running
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate();
  });
});

// The time-skipping server's continue-as-new is not atomic: a signal sent while a run continues
// as new can be lost or held there. The dev server's is, as a real deployment's.
describe('executor registry workflow on the dev server', () => {
  serveOn(() => startDevServer());

  it('continues as new after maxSignals, carrying the map and every signal', async () => {
    const t = await env.currentTimeMs();
    const handle = await registry(report('run@x:0', t, { inFlight: 0 }), { maxSignals: 5 });
    const firstRunId = (await handle.describe()).runId;
    const identities = ['run@x:0', 'run@x:1', 'run@x:2'];
    for (let i = 1; i <= 17; i++) {
      await handle.signal(executorHeartbeatSignal, report(identities[i % 3]!, t + i, { inFlight: i }));
    }
    await handle.signal(executorStoppedSignal, { identity: 'run@x:1', at: t + 100 });

    const map = await waitFor(
      () => handle.query(executorsQuery),
      (m) => m['run@x:1']?.stoppedAt === t + 100 && m['run@x:2']?.inFlight === 17,
    );
    expect(map['run@x:0']?.inFlight).toBe(15);
    expect(map['run@x:1']?.inFlight).toBe(16);
    expect(map['run@x:2']?.inFlight).toBe(17);

    const { runId } = await handle.describe();
    expect(runId).not.toBe(firstRunId);
    const first = await env.client.workflow.getHandle(handle.workflowId, firstRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    // a new run starts with the map it was handed: nothing the old runs knew is missing
    const history = await env.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const startedEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(startedEvent?.continuedExecutionRunId).toBeTruthy();
    await handle.terminate();
  });
});
