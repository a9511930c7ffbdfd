/**
 * sluice as its users run it: a scheduler already up (bench/support/stack.ts's real stack, threads
 * at its default of 4 per gateway), a plan submitted and applied (the first build), then a
 * triggered restatement of every model (the re-run). Each call uses a fresh environment and model
 * schema, so no snapshot or interval is shared with an earlier repetition.
 */
import { triggerRun } from '../../api/environment-commands.ts';
import { loadProject } from '../../core/project/load.ts';
import { type BenchStack, rows, waitForWorkflow } from '../support/stack.ts';
import type { PeerDag } from './generate.ts';
import { type Measurement, startInProcessCpu } from './measure.ts';

export async function sluicePlan(
  stack: BenchStack,
  project: string,
  environment: string,
): Promise<Measurement> {
  const cpu = startInProcessCpu();
  const started = performance.now();
  await stack.apply(loadProject(project, { env: {} }), environment);
  return { wallMs: performance.now() - started, cpuS: cpu() };
}

export async function sluiceRestate(
  stack: BenchStack,
  dag: PeerDag,
  schema: string,
  environment: string,
): Promise<Measurement> {
  const cpu = startInProcessCpu();
  const started = performance.now();
  const start = Date.parse(dag.day);
  const runId = await triggerRun(stack.client, environment, {
    models: dag.models.map((m) => `${schema}.${m.table}`),
    restate: { start, end: start + 86_400_000 },
    requestedBy: 'bench',
  });
  await waitForWorkflow(stack.client, runId);
  await stack.client.workflow.getHandle(runId).result();
  const measured = { wallMs: performance.now() - started, cpuS: cpu() };
  const [done] = await rows<{ n: number | string }>(
    stack.db,
    `select count(*) as n from sluice.model_executions where run_id = '${runId}' and status = 'succeeded'`,
  );
  if (Number(done?.n) !== dag.models.length) {
    throw new Error(`sluice re-run executed ${done?.n} of ${dag.models.length} models`);
  }
  return measured;
}
