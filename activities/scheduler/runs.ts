/**
 * `recordRunStarted` and `recordRunFinished`: a run's row in the history. Both may be retried: the
 * run's id is its workflow's id, so a second call finds the row the first one wrote.
 *
 * When a run finishes, each model it skipped (its upstream failed) or cancelled before starting
 * gets an execution row saying so, so a model's history shows every run that did not execute it and
 * why.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { modelExecutions } from '../../db/schema.ts';
import { recordExecutionFinished, recordExecutionQueued } from '../../state/executions.ts';
import { createRun, getRun, updateRunStatus } from '../../state/runs.ts';
import type { ModelOutcome, QueuedRunRecord, RunReport, RunTrigger } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import { loadEnvironmentModels } from './environment-models.ts';
import { FAILURE_TYPES, rejectCheckFailures } from './failures.ts';
import { epochMs, parseInput, text, textList, trigger } from './input.ts';

const RUN_STARTED = z.object({
  runId: text,
  environment: text,
  trigger,
  scheduledAt: epochMs,
  models: textList,
  planId: text.optional(),
  queued: z.boolean().optional(),
  readyAt: epochMs.optional(),
});

export interface RunStarted {
  runId: string;
  environment: string;
  trigger: RunTrigger;
  scheduledAt: number;
  models: string[];
  planId?: string;
  /** the run waits for a run slot: it stays `queued` until `recordRunReady`. */
  queued?: boolean;
  /** when its slot and models were free (without slots: when its workflow began). */
  readyAt?: number;
}

const RUN_QUEUED = z.object({
  runId: text,
  environment: text,
  trigger,
  scheduledAt: epochMs,
  models: textList,
  reason: text,
  triggeredBy: text.optional(),
});

const RUN_READY = z.object({ runId: text, readyAt: epochMs });

const OUTCOME = z.object({
  status: z.enum(['succeeded', 'failed', 'skipped', 'cancelled']),
  error: z.string().optional(),
  reason: z.string().optional(),
  batches: z.number().int().nonnegative(),
  rowsAffected: z.number().int().nonnegative(),
  finishedAt: epochMs,
  longestBatchMs: z.number().nonnegative().optional(),
});

const RUN_REPORT = z.object({
  runId: text,
  environment: text,
  trigger,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  scheduledAt: epochMs,
  startedAt: epochMs,
  readyAt: epochMs.optional(),
  firstStatementAt: epochMs.optional(),
  finishedAt: epochMs,
  models: z.record(text, OUTCOME),
});

export async function recordRunStarted(ctx: SchedulerContext, args: RunStarted): Promise<void> {
  const input = parseInput('recordRunStarted', RUN_STARTED, args);
  const run = await rejectCheckFailures('recordRunStarted', FAILURE_TYPES.invalidInput, () =>
    createRun(ctx.db, {
      id: input.runId,
      environment: input.environment,
      trigger: input.trigger,
      scheduledAt: input.scheduledAt,
      models: input.models,
      planId: input.planId ?? null,
      status: input.queued ? 'queued' : 'running',
    }),
  );
  const readyAt = input.readyAt === undefined ? {} : { readyAt: input.readyAt };
  if (input.queued) return;
  if (run.status === 'queued' || input.readyAt !== undefined) {
    await updateRunStatus(ctx.db, run.id, 'running', { at: ctx.now(), ...readyAt });
  }
}

/** A run waits: for a run slot, or for another run to free its models. Its record says why. */
export async function recordRunQueued(ctx: SchedulerContext, args: QueuedRunRecord): Promise<void> {
  const input = parseInput('recordRunQueued', RUN_QUEUED, args);
  await rejectCheckFailures('recordRunQueued', FAILURE_TYPES.invalidInput, async () => {
    await createRun(ctx.db, {
      id: input.runId,
      environment: input.environment,
      trigger: input.trigger,
      scheduledAt: input.scheduledAt,
      models: input.models,
      triggeredBy: input.triggeredBy ?? null,
      status: 'queued',
      queuedReason: input.reason,
    });
    // a run recorded earlier (an activity retried) gets the reason it waits for now
    await updateRunStatus(ctx.db, input.runId, 'queued', { queuedReason: input.reason });
  });
}

const QUEUED_RUN_END = z.object({ runId: text, status: z.enum(['skipped', 'cancelled']), reason: text });

/** A queued run that never started ends: skipped (nothing was due) or cancelled, with why. */
export async function endQueuedRun(
  ctx: SchedulerContext,
  args: { runId: string; status: 'skipped' | 'cancelled'; reason: string },
): Promise<void> {
  const input = parseInput('endQueuedRun', QUEUED_RUN_END, args);
  await rejectCheckFailures('endQueuedRun', FAILURE_TYPES.invalidInput, () =>
    updateRunStatus(ctx.db, input.runId, input.status, {
      at: ctx.now(),
      ...(input.status === 'skipped' ? { skipReason: input.reason } : { error: input.reason }),
    }),
  );
}

/** A queued run got its slot: it runs from `readyAt`. */
export async function recordRunReady(
  ctx: SchedulerContext,
  args: { runId: string; readyAt: number },
): Promise<void> {
  const input = parseInput('recordRunReady', RUN_READY, args);
  await rejectCheckFailures('recordRunReady', FAILURE_TYPES.invalidInput, () =>
    updateRunStatus(ctx.db, input.runId, 'running', { at: input.readyAt, readyAt: input.readyAt }),
  );
}

export async function recordRunFinished(ctx: SchedulerContext, report: RunReport): Promise<void> {
  const input = parseInput('recordRunFinished', RUN_REPORT, report);
  const outcomes = Object.entries(input.models).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await rejectCheckFailures('recordRunFinished', FAILURE_TYPES.invalidInput, async () => {
    if (!(await getRun(ctx.db, input.runId))) {
      await createRun(ctx.db, {
        id: input.runId,
        environment: input.environment,
        trigger: input.trigger,
        scheduledAt: input.scheduledAt,
        models: outcomes.map(([model]) => model),
        status: 'running',
      });
    }
    await recordModelsNotExecuted(ctx, input.runId, input.environment, outcomes);
    await closeOpenExecutions(ctx, input.runId, new Map(outcomes));
    await updateRunStatus(ctx.db, input.runId, input.status, {
      at: input.finishedAt,
      error: runError(outcomes),
      ...(input.readyAt === undefined ? {} : { readyAt: input.readyAt }),
      ...(input.firstStatementAt === undefined ? {} : { firstStatementAt: input.firstStatementAt }),
    });
  });
}

/** What went wrong, model by model; null when every model succeeded. */
function runError(outcomes: ReadonlyArray<[string, ModelOutcome]>): string | null {
  const problems = outcomes
    .filter(([, outcome]) => outcome.status !== 'succeeded')
    .map(([model, outcome]) => {
      const why = outcome.error ?? outcome.reason;
      return `${model} ${outcome.status}${why ? `: ${why}` : ''}`;
    });
  return problems.length > 0 ? problems.join('; ') : null;
}

/**
 * Executions of the run still queued or running when it ends (prepared ahead for a model that never
 * started, or left by a cancelled scheduler call) end with their model's outcome.
 */
async function closeOpenExecutions(
  ctx: SchedulerContext,
  runId: string,
  outcomes: ReadonlyMap<string, ModelOutcome>,
): Promise<void> {
  const open = await ctx.db
    .select({ id: modelExecutions.id, model: modelExecutions.model })
    .from(modelExecutions)
    .where(and(eq(modelExecutions.runId, runId), inArray(modelExecutions.status, ['queued', 'running'])));
  for (const execution of open) {
    const outcome = outcomes.get(execution.model);
    const why = outcome?.reason ?? outcome?.error ?? 'the run ended before this batch ran';
    await recordExecutionFinished(ctx.db, execution.id, {
      at: outcome?.finishedAt ?? ctx.now(),
      ...(outcome?.status === 'skipped'
        ? { status: 'skipped', skipReason: why }
        : { status: outcome?.status === 'failed' ? 'failed' : 'cancelled', error: why }),
    });
  }
}

async function recordModelsNotExecuted(
  ctx: SchedulerContext,
  runId: string,
  environment: string,
  outcomes: ReadonlyArray<[string, ModelOutcome]>,
): Promise<void> {
  const untouched = outcomes.filter(
    ([, outcome]) => outcome.status === 'skipped' || outcome.status === 'cancelled',
  );
  if (untouched.length === 0) return;
  const executed = new Set(
    (
      await ctx.db
        .selectDistinct({ model: modelExecutions.model })
        .from(modelExecutions)
        .where(eq(modelExecutions.runId, runId))
    ).map((row) => row.model),
  );
  const env = await loadEnvironmentModels(ctx.db, ctx.plans, environment, ctx.environments);
  for (const [model, outcome] of untouched) {
    const entry = env.byName.get(model);
    if (executed.has(model) || !entry) continue;
    const id = `${runId}:${model}:${outcome.status}`;
    await recordExecutionQueued(ctx.db, {
      id,
      runId,
      model,
      snapshotId: entry.snapshotId,
      interval: null,
      queuedAt: outcome.finishedAt,
    });
    const why = outcome.reason ?? outcome.error ?? outcome.status;
    await recordExecutionFinished(ctx.db, id, {
      status: outcome.status === 'skipped' ? 'skipped' : 'cancelled',
      at: outcome.finishedAt,
      ...(outcome.status === 'skipped' ? { skipReason: why } : { error: why }),
    });
  }
}
