/**
 * `prepareBatch` and `completeBatch`: the scheduler's side of each batch an executor runs.
 *
 * Prepare renders the batch (against the environment's snapshot map, or the plan's new map for a
 * plan's backfill), claims its snapshot interval (claim.ts) and records it queued, with the rendered
 * query and the statements it will run. The execution's id is derived from the run, the model and
 * the interval, so a retried prepare finds the execution the first one recorded. When the gateway
 * has a scheduler-managed connection, the batch carries it sealed (managed-connections.ts).
 *
 * Complete records the executor's report: the start (and so the wait since queued), the finish,
 * rows, statement timings, notices and audits; on success the interval is recorded complete. The
 * workflow calls it only after the executor activity returned, that is after the batch's
 * transaction committed. A retried complete changes nothing more.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { formatInterval, type Interval } from '../../core/intervals.ts';
import { batchRequest } from '../../core/plan/requests.ts';
import type { ExecutionLog } from '../../db/schema.ts';
import {
  type ExecutionRecord,
  getExecution,
  recordExecutionFinished,
  recordExecutionStarted,
} from '../../state/executions.ts';
import { recordIntervals } from '../../state/intervals.ts';
import { createRun, getRun } from '../../state/runs.ts';
import type { BatchCompletion, BatchRef, PreparedBatch } from '../contracts.ts';
import { claimBatch, type Holder } from './claim.ts';
import { closedRuns } from './closed-runs.ts';
import type { SchedulerContext } from './context.ts';
import { loadEnvironmentModels, requireModels } from './environment-models.ts';
import { FAILURE_TYPES, rejectCheckFailures, rejected } from './failures.ts';
import { epochMs, interval, parseInput, text } from './input.ts';
import { managedConnectionOf } from './managed-connections.ts';
import { type RenderedBatch, renderEnvironmentBatch } from './render-batch.ts';

const BATCH_REF = z.object({
  runId: text,
  environment: text,
  model: text,
  snapshotId: text,
  interval: interval.nullable(),
  scheduledAt: epochMs,
  planId: text.optional(),
});

const REPORT = z.object({
  executor: text,
  attempt: z.number().int().positive().optional(),
  startedAt: epochMs,
  finishedAt: epochMs,
  rowsAffected: z.number().int().nonnegative().nullable(),
  statements: z.array(
    z.object({
      label: z.string().optional(),
      durationMs: z.number().nonnegative(),
      rowsAffected: z.number().int().nullable(),
    }),
  ),
  notices: z.array(z.string()),
  audits: z.array(
    z.object({ name: text, blocking: z.boolean(), failingRows: z.number().int().nonnegative() }),
  ),
});

const COMPLETION = z
  .object({
    executionId: text,
    runId: text,
    environment: text,
    model: text,
    snapshotId: text,
    interval: interval.nullable(),
    status: z.enum(['succeeded', 'failed', 'skipped', 'cancelled']),
    report: REPORT.optional(),
    error: z.string().optional(),
    reason: z.string().optional(),
    attempt: z.number().int().nonnegative(),
    failedOn: z.object({ executor: text, startedAt: epochMs }).optional(),
  })
  .refine((completion) => completion.status !== 'succeeded' || completion.report !== undefined, {
    message: "must carry the executor's report when the batch succeeded",
    path: ['report'],
  });

/** Rounds of claiming before a snapshot whose holders keep changing is reported busy. */
const CLAIM_ROUNDS = 3;

/** The id of the execution of `model`'s batch starting at the interval's start in `runId`. */
export function executionIdOf(runId: string, model: string, batch: Interval | null): string {
  return `${runId}:${model}:${batch ? batch[0] : 'all'}`;
}

export async function prepareBatch(ctx: SchedulerContext, ref: BatchRef): Promise<PreparedBatch> {
  const input = parseInput('prepareBatch', BATCH_REF, ref);
  const { rendered, plannedAt } = input.planId
    ? await planBatch(ctx, { ...input, planId: input.planId })
    : await environmentBatch(ctx, input);
  const executionId = executionIdOf(input.runId, input.model, input.interval);
  const log: ExecutionLog = {
    ...(rendered.renderedSql ? { renderedSql: rendered.renderedSql } : {}),
    plannedStatements: rendered.request.statements.map((statement) => statement.sql),
  };
  const claim = {
    executionId,
    runId: input.runId,
    model: input.model,
    snapshotId: input.snapshotId,
    interval: input.interval,
    queuedAt: ctx.now(),
    log,
    plannedAt,
  };
  const connection = await managedConnectionOf(ctx.db, rendered.gateway);
  const abandoned = new Set<string>();
  for (let round = 1; ; round++) {
    const outcome = await rejectCheckFailures('prepareBatch', FAILURE_TYPES.invalidInput, () =>
      claimBatch(ctx.db, claim, abandoned),
    );
    if (outcome.kind === 'claimed') {
      return {
        executionId,
        gateway: rendered.gateway,
        model: input.model,
        request: rendered.request,
        ...(outcome.alreadyComplete ? { alreadyComplete: true } : {}),
        ...(connection === undefined ? {} : { connection }),
      };
    }
    const closed = new Set(await closedRuns(ctx.temporal, [...new Set(outcome.holders.map((h) => h.runId))]));
    const running = outcome.holders.find((holder) => !closed.has(holder.runId));
    if (running || round === CLAIM_ROUNDS) throw snapshotBusy(input, running ?? outcome.holders[0]!);
    for (const holder of outcome.holders) abandoned.add(holder.executionId);
  }
}

function snapshotBusy(ref: z.infer<typeof BATCH_REF>, holder: Holder): ApplicationFailure {
  const what = ref.interval ? formatInterval(ref.interval) : '(whole table)';
  return ApplicationFailure.retryable(
    `prepareBatch: snapshot ${ref.snapshotId} ${what} is being executed by run ${holder.runId} ` +
      `(environment ${holder.environment}, execution ${holder.executionId}, ${holder.status}); ` +
      'it is claimed again once that run is done',
    FAILURE_TYPES.snapshotBusy,
    { runId: holder.runId, environment: holder.environment, executionId: holder.executionId },
  );
}

interface Target {
  rendered: RenderedBatch;
  /** when the batch was planned, epoch ms. */
  plannedAt: number;
}

async function environmentBatch(ctx: SchedulerContext, ref: z.infer<typeof BATCH_REF>): Promise<Target> {
  const env = await loadEnvironmentModels(ctx.db, ctx.plans, ref.environment);
  const [entry] = requireModels('prepareBatch', env, [ref.model]);
  if (entry!.snapshotId !== ref.snapshotId) {
    throw rejected(
      'prepareBatch',
      FAILURE_TYPES.invalidInput,
      `environment "${ref.environment}" maps ${ref.model} to snapshot ${entry!.snapshotId}, not ${ref.snapshotId}`,
    );
  }
  const run = await getRun(ctx.db, ref.runId);
  if (!run) {
    throw rejected('prepareBatch', FAILURE_TYPES.unknownRun, `run "${ref.runId}" was never recorded started`);
  }
  if (run.environment !== ref.environment) {
    throw rejected(
      'prepareBatch',
      FAILURE_TYPES.invalidInput,
      `run "${ref.runId}" belongs to environment "${run.environment}", not "${ref.environment}"`,
    );
  }
  const rendered = render(() => renderEnvironmentBatch(env, entry!, ref.interval, ref.scheduledAt));
  return { rendered, plannedAt: Date.parse(run.createdAt) };
}

async function planBatch(
  ctx: SchedulerContext,
  ref: z.infer<typeof BATCH_REF> & { planId: string },
): Promise<Target> {
  const plan = await ctx.plans.get(ref.planId);
  if (!plan) throw rejected('prepareBatch', FAILURE_TYPES.unknownPlan, `unknown plan "${ref.planId}"`);
  if (plan.environment !== ref.environment) {
    throw rejected(
      'prepareBatch',
      FAILURE_TYPES.invalidInput,
      `plan "${plan.id}" is for environment "${plan.environment}", not "${ref.environment}"`,
    );
  }
  const project = plan.project;
  if (!project) {
    throw rejected(
      'prepareBatch',
      FAILURE_TYPES.planNotApplicable,
      `plan "${plan.id}" was stored without its project`,
    );
  }
  if (plan.diff.snapshotMap[ref.model] !== ref.snapshotId) {
    throw rejected(
      'prepareBatch',
      FAILURE_TYPES.unknownModel,
      `plan "${plan.id}" does not map model ${ref.model} to snapshot ${ref.snapshotId}`,
    );
  }
  const rendered = render(() =>
    batchRequest(project, plan.diff, { model: ref.model, snapshotId: ref.snapshotId }, ref.interval),
  );
  await rejectCheckFailures('prepareBatch', FAILURE_TYPES.invalidInput, () =>
    createRun(ctx.db, {
      id: ref.runId,
      environment: ref.environment,
      trigger: 'plan',
      scheduledAt: ref.scheduledAt,
      models: plan.diff.backfill.map((entry) => entry.model),
      planId: plan.id,
      status: 'running',
    }),
  );
  return { rendered, plannedAt: plan.submittedAt };
}

/** Rendering is pure: a failure is the same on every attempt. */
function render(body: () => RenderedBatch): RenderedBatch {
  try {
    return body();
  } catch (error) {
    throw rejected(
      'prepareBatch',
      FAILURE_TYPES.renderFailed,
      error instanceof Error ? error.message : String(error),
    );
  }
}

const FINAL = new Set(['succeeded', 'skipped', 'cancelled']);

export async function completeBatch(ctx: SchedulerContext, completion: BatchCompletion): Promise<void> {
  const input = parseInput('completeBatch', COMPLETION, completion);
  const execution = await getExecution(ctx.db, input.executionId);
  if (!execution) {
    throw rejected(
      'completeBatch',
      FAILURE_TYPES.unknownExecution,
      `unknown execution "${input.executionId}"`,
    );
  }
  checkSameBatch(execution, input);
  const { report } = input;
  if (input.status === 'succeeded' && input.interval) {
    await recordIntervals(ctx.db, input.snapshotId, [[input.interval[0], input.interval[1]]], {
      runId: input.runId,
      executionId: input.executionId,
    });
  }
  // Recorded already (a retry), or ended another way (claimed again by another run): nothing to change.
  if (execution.status === input.status || FINAL.has(execution.status)) return;
  if (report && execution.status !== 'running') {
    await recordExecutionStarted(ctx.db, execution.id, {
      attempt: Math.max(report.attempt ?? 1, execution.attempt + 1),
      executor: report.executor,
      at: report.startedAt,
    });
  } else if (input.failedOn && input.attempt > execution.attempt && execution.status !== 'running') {
    // A failed attempt that said where and when it ran: its start is recorded like a success's.
    await recordExecutionStarted(ctx.db, execution.id, {
      attempt: input.attempt,
      executor: input.failedOn.executor,
      at: input.failedOn.startedAt,
    });
  }
  await recordExecutionFinished(ctx.db, execution.id, {
    status: input.status,
    at: report?.finishedAt ?? ctx.now(),
    rowsAffected: report?.rowsAffected ?? null,
    error: input.status === 'succeeded' || input.status === 'skipped' ? null : (input.error ?? input.status),
    ...(input.status === 'skipped' ? { skipReason: input.reason ?? input.error ?? 'skipped' } : {}),
    log: report ? reportLog(execution.log, report) : null,
    ...(report ? {} : { attempt: input.attempt }),
  });
}

function checkSameBatch(execution: ExecutionRecord, input: z.infer<typeof COMPLETION>): void {
  const recorded = execution.interval ? formatInterval(execution.interval) : 'none';
  const reported = input.interval ? formatInterval(input.interval) : 'none';
  const clashes = [
    execution.runId !== input.runId && `run ${execution.runId}`,
    execution.environment !== input.environment && `environment ${execution.environment}`,
    execution.model !== input.model && `model ${execution.model}`,
    execution.snapshotId !== input.snapshotId && `snapshot ${execution.snapshotId}`,
    recorded !== reported && `interval ${recorded}`,
  ].filter((clash): clash is string => typeof clash === 'string');
  if (clashes.length > 0) {
    throw rejected(
      'completeBatch',
      FAILURE_TYPES.invalidInput,
      `execution "${execution.id}" was prepared for ${clashes.join(', ')}`,
    );
  }
}

/** The prepared log with the executor's timings, notices and audits. */
function reportLog(prepared: ExecutionLog | null, report: z.infer<typeof REPORT>): ExecutionLog {
  const planned = prepared?.plannedStatements ?? [];
  return {
    ...(prepared?.renderedSql ? { renderedSql: prepared.renderedSql } : {}),
    statements: report.statements.map((statement, index) => ({
      sql: planned[index] ?? statement.label ?? '',
      durationMs: Math.round(statement.durationMs),
      rowsAffected: statement.rowsAffected,
    })),
    notices: report.notices,
    audits: report.audits,
  };
}
