/**
 * DAG hop latency: in a 100-model chain, the time from model N finished (on the executor) to model
 * N+1 started (on the executor), over a triggered run. Also reports the run workflow's history per
 * model, which bounds the largest environment one run handles before Temporal's history warning.
 *
 *   npx tsx bench/dag-hop.ts
 */
import { join } from 'node:path';
import { triggerRun } from '../api/environment-commands.ts';
import { loadProject } from '../core/project/load.ts';
import { percentile, rows, startBenchStack, waitForWorkflow, writeProject } from './support/stack.ts';

const CHAIN = 100;
/** Temporal warns when one workflow's history passes 10,240 events (its hard limit is 51,200). */
const HISTORY_WARNING = 10_240;

const stack = await startBenchStack();
try {
  const models: Record<string, string> = {};
  const name = (i: number) => `bench.m${String(i).padStart(3, '0')}`;
  for (let i = 0; i < CHAIN; i++) {
    const from = i === 0 ? '' : ` FROM ${name(i - 1)}`;
    const select = i === 0 ? 'SELECT 1 AS x' : `SELECT x + 1 AS x${from}`;
    models[`m${String(i).padStart(3, '0')}.sql`] =
      `MODEL (name ${name(i)}, kind FULL, cron '@daily');\n${select}\n`;
  }
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const project = loadProject(writeProject(join(stack.dir, 'chain'), models, yesterday), { env: {} });
  const t0 = Date.now();
  await stack.apply(project, 'prod');
  console.log(`plan with a ${CHAIN}-model chain applied in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // The plan built today's interval of every model: restate it from the head of the chain, so one
  // triggered run executes all of them in order.
  const restated = await triggerRun(stack.client, 'prod', {
    models: [name(0)],
    restate: { start: Date.parse(yesterday), end: Date.parse(yesterday) + 86_400_000 },
    requestedBy: 'bench',
  });
  await waitForWorkflow(stack.client, restated);
  await stack.client.workflow.getHandle(restated).result();
  const executions = await rows<{ model: string; started_at: string; finished_at: string }>(
    stack.db,
    `select model, started_at, finished_at from sluice.model_executions where run_id = '${restated}' and status = 'succeeded' order by model`,
  );
  if (executions.length !== CHAIN) throw new Error(`expected ${CHAIN} executions, got ${executions.length}`);
  const hops: number[] = [];
  for (let i = 1; i < executions.length; i++) {
    hops.push(Date.parse(executions[i]!.started_at) - Date.parse(executions[i - 1]!.finished_at));
  }
  const { historyLength } = await stack.client.workflow.getHandle(restated).describe();
  const perModel = historyLength / CHAIN;
  console.log(`DAG hop (model N finished -> model N+1 started), ${hops.length} hops:`);
  console.log(
    `  p50 ${percentile(hops, 50)} ms   p99 ${percentile(hops, 99)} ms   max ${Math.max(...hops)} ms`,
  );
  console.log(`  target p50 < 20 ms: ${percentile(hops, 50) < 20 ? 'met' : 'not met'}`);
  console.log(
    `  vs Airflow ~1000 ms per hop: ${(1000 / Math.max(1, percentile(hops, 50))).toFixed(1)}x faster at p50`,
  );
  console.log(
    `run history: ${historyLength} events for ${CHAIN} models (${perModel.toFixed(1)} per single-batch model)`,
  );
  console.log(
    `  largest environment one run handles before the ${HISTORY_WARNING}-event warning: ~${Math.floor(HISTORY_WARNING / perModel)} single-batch models`,
  );
} finally {
  await stack.stop();
}
