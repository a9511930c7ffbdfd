/**
 * A whole project built and run again: N cheap FULL models in a DAG (a tenth of them roots, each
 * other model reading one to three earlier ones), planned into prod (the first build), then every
 * model restated in one triggered run (the re-run). Prints the wall time of each, the SQL's own time
 * (the executors' statement timings), the orchestration overhead per model, and the run's and the
 * apply's history length and largest payload, so the per-model cost of sluice itself shows.
 *
 *   npx tsx bench/rerun.ts [models=500] [threads=4]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/rerun.ts 500   # where the time goes
 */
import { join } from 'node:path';
import { triggerRun } from '../api/environment-commands.ts';
import { loadProject } from '../core/project/load.ts';
import { generateModels } from './support/generated-dag.ts';
import { rows, startBenchStack, waitForWorkflow, writeProject } from './support/stack.ts';

const MODELS = Number(process.argv[2] ?? 500);
const THREADS = Number(process.argv[3] ?? 4);

const stack = await startBenchStack();
try {
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const root = writeProject(join(stack.dir, 'rerun'), generateModels(MODELS), yesterday);
  const project = loadProject(root, { env: {} });
  const threads = THREADS;
  const t0 = Date.now();
  await stack.apply(project, 'prod');
  const buildMs = Date.now() - t0;

  const t1 = Date.now();
  const cpu = process.cpuUsage();
  // The plan built yesterday's interval of every model: restating it runs every model again.
  const runId = await triggerRun(stack.client, 'prod', {
    models: project.models.map((m) => m.name),
    restate: { start: Date.parse(yesterday), end: Date.parse(yesterday) + 86_400_000 },
    requestedBy: 'bench',
  });
  await waitForWorkflow(stack.client, runId);
  await stack.client.workflow.getHandle(runId).result();
  const rerunMs = Date.now() - t1;
  const used = process.cpuUsage(cpu);

  const executions = await rows<{ log: { statements?: Array<{ durationMs: number }> } | null }>(
    stack.db,
    `select log from sluice.model_executions where run_id = '${runId}' and status = 'succeeded'`,
  );
  const sqlMs = executions.reduce(
    (sum, e) => sum + (e.log?.statements ?? []).reduce((s, st) => s + st.durationMs, 0),
    0,
  );
  const { historyLength } = await stack.client.workflow.getHandle(runId).describe();
  const overhead = (rerunMs - sqlMs / threads) / MODELS;
  console.log(`${MODELS} models, ${threads} threads, DuckDB in memory, one process`);
  console.log(`  first build (plan applied): ${(buildMs / 1000).toFixed(1)} s`);
  console.log(
    `  re-run of every model: ${(rerunMs / 1000).toFixed(1)} s wall, ${((used.user + used.system) / 1e6).toFixed(1)} s CPU; ` +
      `${executions.length} executions; SQL ${(sqlMs / 1000).toFixed(1)} s in all`,
  );
  console.log(
    `  orchestration per model: ${overhead.toFixed(1)} ms ((wall - SQL/threads) / models); target < 10 ms: ${overhead < 10 ? 'met' : 'not met'}`,
  );
  console.log(
    `  run history: ${historyLength} events (${(historyLength / MODELS).toFixed(2)} per model; Temporal warns at 10,240)`,
  );
} finally {
  await stack.stop();
}
