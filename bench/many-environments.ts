/**
 * Many environments on one scheduler worker: E environments (1,000 by default) of M models each
 * (50 by default) sleep on ONE scheduler worker in a process of its own (the production worker,
 * bench/support/scheduler-process.ts), with the state database on PostgreSQL and the executors in
 * this process. Every environment holds the same M - 1 daily models (one set of physical tables,
 * a view per environment) and one model of its own on a five-minute cron, so at each five-minute
 * tick every environment wakes and runs one model.
 *
 * Prints the scheduler worker's and the Temporal server's CPU and memory over a minute while every
 * environment sleeps and over the minute from a tick, and for that tick the time from the cron
 * tick to each environment's first statement (p50, p99, the last).
 *
 *   npx tsx bench/many-environments.ts [environments=1000] [models=50] [parallel plans=8]
 *   (SLUICE_BENCH_DATABASE_URL's server, default local)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { readConfig } from '../config/read.ts';
import { loadProject } from '../core/project/load.ts';
import { bundleWorkflows } from '../workers/scheduler-worker.ts';
import { generateModels } from './support/generated-dag.ts';
import { describeUsage, findProcess, usageOver } from './support/process-usage.ts';
import { percentile, rows, startBenchStack, writeProject } from './support/stack.ts';

const ENVIRONMENTS = Number(process.argv[2] ?? 1_000);
const MODELS = Number(process.argv[3] ?? 50);
const PARALLEL = Number(process.argv[4] ?? 8);
const TICK_MINUTES = 5;
const MINUTE = 60_000;
const WINDOW_MS = MINUTE;

const server = new URL(readConfig('bench', process.env).SLUICE_BENCH_DATABASE_URL);
const database = `sluice_many_envs_bench_${process.pid}`;
const urlOf = (name: string) =>
  Object.assign(new URL(server.toString()), { pathname: `/${name}` }).toString();
const admin = postgres(urlOf('postgres'), { max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${database}"`);

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
const environmentName = (i: number) => `bench_${String(i).padStart(4, '0')}`;

const stack = await startBenchStack({ schedulerWorker: false, databaseUrl: urlOf(database) });
let scheduler: ChildProcess | undefined;
try {
  const bundleFile = join(stack.dir, 'workflows.json');
  writeFileSync(bundleFile, JSON.stringify(await bundleWorkflows()));
  scheduler = fork(join(import.meta.dirname, 'support/scheduler-process.ts'), {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: stack.address,
      STATE_DATABASE_URL: urlOf(database),
      WORKER_IDENTITY: 'scheduler@bench',
      WORKFLOW_BUNDLE: bundleFile,
    },
  });
  await new Promise<void>((resolve, reject) => {
    scheduler?.on('message', (m: { ready?: string }) => m.ready && resolve());
    scheduler?.on('exit', (code) => reject(new Error(`the scheduler worker exited (${code})`)));
  });
  const schedulerPid = scheduler.pid!;
  const port = stack.address.split(':').pop()!;
  const temporalPid = findProcess('temporal', 'start-dev', `--port ${port}`);
  if (!temporalPid) throw new Error(`no Temporal server process found on port ${port}`);

  // Intervals start ten minutes back, so each environment's plan backfills two ticks' worth.
  const span = TICK_MINUTES * MINUTE;
  const start = new Date(Math.floor(Date.now() / span) * span - 2 * span).toISOString();
  const shared = generateModels(MODELS - 1);
  const t0 = Date.now();
  let next = 0;
  const planner = async () => {
    for (let i = next++; i < ENVIRONMENTS; i = next++) {
      // A literal of its own gives each environment's ticking model a snapshot of its own.
      const tick = `MODEL (name bench.tick, kind INCREMENTAL_BY_TIME_RANGE (time_column minute, batch_size 1), cron '*/${TICK_MINUTES} * * * *');\nSELECT CAST(@start_ts AS TIMESTAMP) AS minute, ${i} AS environment_no\n`;
      const dir = writeProject(join(stack.dir, `env${i}`), { ...shared, 'tick.sql': tick }, start);
      await stack.apply(loadProject(dir, { env: {} }), environmentName(i));
      if ((i + 1) % 100 === 0)
        console.log(`  ${i + 1} environments planned (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, planner));
  console.log(
    `${ENVIRONMENTS} environments of ${MODELS} models planned in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );

  // The first tick at least a minute away: everything before it is settled.
  let tick = Math.ceil(Date.now() / span) * span;
  if (tick - Date.now() < 2 * WINDOW_MS) tick += span;
  console.log(`idle minute, then the ${new Date(tick).toISOString()} tick`);
  await sleepUntil(tick - WINDOW_MS - 10_000);
  const [idleScheduler, idleTemporal] = await Promise.all([
    usageOver(schedulerPid, WINDOW_MS),
    usageOver(temporalPid, WINDOW_MS),
  ]);
  await sleepUntil(tick);
  const [tickScheduler, tickTemporal] = await Promise.all([
    usageOver(schedulerPid, WINDOW_MS),
    usageOver(temporalPid, WINDOW_MS),
  ]);

  // Every environment's run of that tick, however long the last one took to start.
  const deadline = Date.now() + 10 * MINUTE;
  let waits: number[] = [];
  while (Date.now() < deadline) {
    const found = await rows<{ wait_ms: number }>(
      stack.db,
      `select e.wait_ms from sluice.model_executions e join sluice.runs r on r.id = e.run_id
        where r.trigger = 'schedule' and e.status = 'succeeded' and r.scheduled_at = '${new Date(tick).toISOString()}'`,
    );
    waits = found.map((w) => Number(w.wait_ms));
    if (waits.length >= ENVIRONMENTS) break;
    await new Promise((r) => setTimeout(r, 1_000));
  }

  console.log(`${ENVIRONMENTS} environments of ${MODELS} models on one scheduler worker:`);
  console.log(`  idle minute    scheduler worker: ${describeUsage(idleScheduler)}`);
  console.log(`                 Temporal server:  ${describeUsage(idleTemporal)}`);
  console.log(`  ticking minute scheduler worker: ${describeUsage(tickScheduler)}`);
  console.log(`                 Temporal server:  ${describeUsage(tickTemporal)}`);
  console.log(
    `  the tick: ${waits.length} of ${ENVIRONMENTS} environments ran; cron tick -> first statement ` +
      (waits.length === 0
        ? 'not measured'
        : `p50 ${percentile(waits, 50)} ms, p99 ${percentile(waits, 99)} ms, last ${Math.max(...waits)} ms`),
  );
  // the targets: p99 under 1 s with 100 environments ticking at once, under 2 s with 1,000
  const target = ENVIRONMENTS >= 1_000 ? 2_000 : ENVIRONMENTS >= 100 ? 1_000 : undefined;
  if (waits.length > 0 && target !== undefined) {
    const met = waits.length === ENVIRONMENTS && percentile(waits, 99) < target;
    console.log(`  target p99 < ${target} ms: ${met ? 'met' : 'not met'}`);
  }
} finally {
  scheduler?.kill('SIGKILL');
  await stack.stop();
  await admin.unsafe(`drop database if exists "${database}" with (force)`);
  await admin.end();
}
