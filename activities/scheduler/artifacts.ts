/**
 * `writeRunArtifacts` and `writePlanArtifacts`: what a run or a plan's application leaves in the
 * artifact store once it has ended, from what the state database recorded: `run_results.json`
 * (core/artifacts/run-results.ts) and the SQL of every batch under `compiled/`; for a plan also its
 * summary, as `sluice plan` prints it (`plan.txt`) and as JSON (`plan.json`), with the results of
 * its backfill. Writing again overwrites the same files, so a retried activity does no harm.
 */
import { z } from 'zod';
import {
  type ArtifactOwner,
  artifactContentType,
  ownerPrefix,
  PLAN_SUMMARY_JSON_FILE,
  PLAN_SUMMARY_TEXT_FILE,
  RUN_RESULTS_FILE,
} from '../../core/artifacts/paths.ts';
import {
  type BatchRecord,
  batchSql,
  buildRunResults,
  compiledPaths,
  type InvocationRecord,
} from '../../core/artifacts/run-results.ts';
import { formatPlanDiff } from '../../core/plan/format.ts';
import { planSummary } from '../../core/plan/summary.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import { SLUICE_VERSION } from '../../core/version.ts';
import { runExecutions } from '../../state/executions.ts';
import { getPlan } from '../../state/plans.ts';
import { getRun, runsOfPlan } from '../../state/runs.ts';
import type { WrittenArtifacts } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import { FAILURE_TYPES, rejected } from './failures.ts';
import { parseInput, text } from './input.ts';

const RUN_ARGS = z.object({ runId: text });
const PLAN_ARGS = z.object({ planId: text });

export async function writeRunArtifacts(
  ctx: SchedulerContext,
  args: { runId: string },
): Promise<WrittenArtifacts> {
  const { runId } = parseInput('writeRunArtifacts', RUN_ARGS, args);
  if (!ctx.artifacts) return { location: null, files: [] };
  const run = await getRun(ctx.db, runId);
  if (!run) throw rejected('writeRunArtifacts', FAILURE_TYPES.unknownRun, `there is no run "${runId}"`);
  const batches = await runExecutions(ctx.db, runId);
  return writeResults(ctx, { kind: 'run', id: runId }, { ...run, scheduledAt: run.scheduledAt }, batches);
}

export async function writePlanArtifacts(
  ctx: SchedulerContext,
  args: { planId: string },
): Promise<WrittenArtifacts> {
  const { planId } = parseInput('writePlanArtifacts', PLAN_ARGS, args);
  if (!ctx.artifacts) return { location: null, files: [] };
  const plan = await getPlan(ctx.db, planId);
  if (!plan) throw rejected('writePlanArtifacts', FAILURE_TYPES.unknownPlan, `there is no plan "${planId}"`);
  const runs = await runsOfPlan(ctx.db, planId);
  const batches: BatchRecord[] = [];
  for (const run of runs) batches.push(...(await runExecutions(ctx.db, run.id)));
  const diff = plan.diff as PlanDiff;
  const owner: ArtifactOwner = { kind: 'plan', id: planId };
  const prefix = ownerPrefix(owner);
  await put(ctx, `${prefix}${PLAN_SUMMARY_TEXT_FILE}`, `${planSummary(formatPlanDiff(diff), diff)}\n`);
  await put(ctx, `${prefix}${PLAN_SUMMARY_JSON_FILE}`, `${JSON.stringify(plan, null, 2)}\n`);
  const written = await writeResults(
    ctx,
    owner,
    {
      id: planId,
      environment: plan.environment,
      trigger: 'plan',
      status: plan.status,
      scheduledAt: plan.submittedAt,
      startedAt: plan.startedAt,
      finishedAt: plan.finishedAt,
      models: [...new Set(diff.backfill.map((entry) => entry.model))],
      planId,
      triggeredBy: plan.submittedBy,
      error: plan.error,
    },
    batches,
  );
  return { ...written, files: [PLAN_SUMMARY_TEXT_FILE, PLAN_SUMMARY_JSON_FILE, ...written.files] };
}

async function writeResults(
  ctx: SchedulerContext,
  owner: ArtifactOwner,
  invocation: InvocationRecord,
  batches: readonly BatchRecord[],
): Promise<WrittenArtifacts> {
  const prefix = ownerPrefix(owner);
  const files: string[] = [];
  const paths = compiledPaths(batches);
  for (const batch of batches) {
    const path = paths.get(batch.id);
    const sql = batchSql(batch);
    if (path === undefined || sql === null) continue;
    await put(ctx, `${prefix}${path}`, sql);
    files.push(path);
  }
  const results = buildRunResults({
    invocation,
    batches,
    generatedAt: ctx.now(),
    sluiceVersion: SLUICE_VERSION,
  });
  // written last: its presence says the rest is there
  await put(ctx, `${prefix}${RUN_RESULTS_FILE}`, `${JSON.stringify(results, null, 2)}\n`);
  files.push(RUN_RESULTS_FILE);
  return { location: `${ctx.artifacts!.location}/${prefix}`, files };
}

function put(ctx: SchedulerContext, key: string, body: string): Promise<void> {
  return ctx.artifacts!.put(key, body, artifactContentType(key));
}
