/**
 * Tick failover: the delay from a cron tick to the first statement of that tick's run when the
 * scheduler worker that took the tick's first activity is killed (SIGKILL) right after taking it.
 * A real Temporal dev server, the state database on PostgreSQL, TWO scheduler workers in processes
 * of their own (bench/support/scheduler-process.ts) and the executors in this process; an
 * environment whose model ticks every minute. The killed worker is the one the environment
 * workflow's pending activity names (describe: its last worker identity); the other one retries the
 * activity once its heartbeat timeout has passed (workers/activity-liveness.ts).
 *
 * The workflow task that follows the retried activity first goes to the killed worker's sticky queue
 * and waits out its schedule-to-start timeout (the scheduler worker's 2 s).
 *
 *   npx tsx bench/tick-failover.ts   (SLUICE_BENCH_DATABASE_URL's server, default local)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import postgres from 'postgres';
import { readConfig } from '../config/read.ts';
import { loadProject } from '../core/project/load.ts';
import { environmentWorkflowId, runWorkflowId } from '../core/workflow-ids.ts';
import { bundleWorkflows } from '../workers/scheduler-worker.ts';
import { stateQuery } from '../workflows/signals.ts';
import { rows, startBenchStack, writeProject } from './support/stack.ts';

/**
 * This bench's figure with the environment's former scheduler activity options (1-minute
 * start-to-close timeout, commit ad49643's workflows/environment.ts), measured on 2026-12-07.
 */
const BEFORE_MS = 62_800;
const EventType = proto.temporal.api.enums.v1.EventType;

const server = new URL(readConfig('bench', process.env).SLUICE_BENCH_DATABASE_URL);
const database = `sluice_failover_bench_${process.pid}`;
const urlOf = (name: string) =>
  Object.assign(new URL(server.toString()), { pathname: `/${name}` }).toString();
const admin = postgres(urlOf('postgres'), { max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${database}"`);

/** Polls `check` every 20 ms until it gives a value. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Where the delay went: each history event of the environment and the run, ms after the tick. */
async function printTimeline(tick: number, ...workflowIds: string[]): Promise<void> {
  for (const workflowId of workflowIds) {
    const { events } = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    console.log(`${workflowId}:`);
    for (const e of events ?? []) {
      const at = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      if (at < tick) continue;
      const identity =
        e.activityTaskStartedEventAttributes?.identity ?? e.workflowTaskStartedEventAttributes?.identity;
      const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
      const what = [EventType[e.eventType ?? 0], type, identity].filter(Boolean).join(' ');
      console.log(`  +${String(at - tick).padStart(6)} ms  ${what}`);
    }
  }
}

const stack = await startBenchStack({ schedulerWorker: false, databaseUrl: urlOf(database) });
const children = new Map<string, ChildProcess>();
try {
  const bundleFile = join(stack.dir, 'workflows.json');
  writeFileSync(bundleFile, JSON.stringify(await bundleWorkflows()));
  const took = new Map<string, string>();
  for (const identity of ['scheduler-a@bench', 'scheduler-b@bench']) {
    const child = fork(join(import.meta.dirname, 'support/scheduler-process.ts'), {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: stack.address,
        STATE_DATABASE_URL: urlOf(database),
        WORKER_IDENTITY: identity,
        WORKFLOW_BUNDLE: bundleFile,
      },
    });
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: { ready?: string; took?: string }) => {
        if (m.ready) resolve();
        if (m.took) took.set(identity, m.took);
      });
      child.on('exit', (code) => reject(new Error(`${identity} exited (${code}) before it was ready`)));
    });
    children.set(identity, child);
    await ready;
  }

  const today = new Date().toISOString().slice(0, 10);
  const models = { 'tick.sql': `MODEL (name bench.tick, kind FULL, cron '* * * * *');\nSELECT 1 AS x\n` };
  await stack.apply(loadProject(writeProject(join(stack.dir, 'tick'), models, today), { env: {} }), 'prod');
  const env = stack.client.workflow.getHandle(environmentWorkflowId('prod'));
  // The next tick after the plan: arm both workers; whichever takes its first activity "dies".
  const tick = await until('the environment to sleep until a tick', async () => {
    const wake = (await env.query(stateQuery)).nextWake;
    return wake && wake.at > Date.now() + 2_000 ? wake.at : undefined;
  });
  for (const child of children.values()) child.send({ arm: env.workflowId });
  console.log(
    `waiting for the ${new Date(tick).toISOString()} tick (${Math.round((tick - Date.now()) / 1000)} s)`,
  );

  const victim = await until('a scheduler worker to take the tick', async () => {
    const { raw } = await env.describe();
    const started = (raw.pendingActivities ?? []).find((a) => a.lastWorkerIdentity && (a.attempt ?? 1) === 1);
    return started?.lastWorkerIdentity ?? undefined;
  });
  children.get(victim)?.kill('SIGKILL');
  const killedAt = Date.now();
  console.log(
    `killed ${victim} (it took ${took.get(victim) ?? 'an activity'}) ${killedAt - tick} ms after the tick`,
  );

  const runId = runWorkflowId('prod', 'schedule', tick);
  const first = await until('the tick run to start its first statement', async () => {
    const [row] = await rows<{ started_at: string | null }>(
      stack.db,
      `select min(started_at) as started_at from sluice.model_executions where run_id = '${runId}'`,
    );
    return row?.started_at ? Date.parse(row.started_at) : undefined;
  });
  const after = first - tick;
  await printTimeline(tick, env.workflowId, runId);
  console.log('cron tick -> first statement, the worker that took the tick killed with SIGKILL:');
  console.log(
    `  before ${(BEFORE_MS / 1000).toFixed(1)} s (measured with the 1-minute start-to-close timeout)`,
  );
  console.log(`  after  ${(after / 1000).toFixed(1)} s   ${(BEFORE_MS / after).toFixed(1)}x sooner`);
} finally {
  for (const child of children.values()) child.kill('SIGKILL');
  await stack.stop();
  await admin.unsafe(`drop database if exists "${database}" with (force)`);
  await admin.end();
}
