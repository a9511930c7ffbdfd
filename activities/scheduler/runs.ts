/**
 * `recordRunStarted` and `recordRunFinished`: a run's row in the history. Both may be retried: the
 * run's id is its workflow's id, so a second call finds the row the first one wrote.
 *
 * When a run finishes, each model it skipped (its upstream failed) or cancelled before starting
 * gets an execution row saying so, so a model's history shows every run that did not execute it and
 * why.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { modelExecutions } from '../../db/schema.ts';
import type { ModelOutcome, RunReport, RunTrigger } from '../contracts.ts';
import { recordExecutionFinished, recordExecutionQueued } from '../state/executions.ts';
import { createRun, getRun, updateRunStatus } from '../state/runs.ts';
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
});

export interface RunStarted {
  runId: string;
  environment: string;
  trigger: RunTrigger;
  scheduledAt: number;
  models: string[];
  planId?: string;
}

const OUTCOME = z.object({
  status: z.enum(['succeeded', 'failed', 'skipped', 'cancelled']),
  error: z.string().optional(),
  reason: z.string().optional(),
  batches: z.number().int().nonnegative(),
  rowsAffected: z.number().int().nonnegative(),
  finishedAt: epochMs,
});

const RUN_REPORT = z.object({
  runId: text,
  environment: text,
  trigger,
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  scheduledAt: epochMs,
  startedAt: epochMs,
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
      status: 'running',
    }),
  );
  if (run.status === 'queued') await updateRunStatus(ctx.db, run.id, 'running', { at: ctx.now() });
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
    await updateRunStatus(ctx.db, input.runId, input.status, {
      at: input.finishedAt,
      error: runError(outcomes),
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
  const env = await loadEnvironmentModels(ctx.db, ctx.plans, environment);
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
