/**
 * `recordSkips`: models an environment did not run at a tick, and why (paused, downstream of a
 * paused model, still running from an earlier run). Each skip becomes a skipped execution with its
 * reason, so a model's history shows the ticks it missed.
 *
 * Executions belong to a run, and the run a skip names may never start (nothing else was due) or
 * start later; so the skips of a tick are recorded under a run of their own, `<run id>-skipped`,
 * with status `skipped`. Its trigger follows the run id's naming (core/workflow-ids.ts): manual and
 * restatement runs say so in their ids, every other run is the schedule's.
 *
 * A model skipped because its previous execution still runs may be over-scheduled (its executions
 * take longer than its cron period, core/over-scheduled.ts): then its recorded reason says so, with
 * the figures and what to change.
 */
import { z } from 'zod';
import { recordExecutionFinished, recordExecutionQueued } from '../../state/executions.ts';
import { overScheduledModels } from '../../state/over-scheduled.ts';
import { createRun, updateRunStatus } from '../../state/runs.ts';
import type { RunTrigger, SkipRecord } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import { type EnvironmentModels, loadEnvironmentModels, requireModels } from './environment-models.ts';
import { FAILURE_TYPES, rejectCheckFailures } from './failures.ts';
import { epochMs, parseInput, text } from './input.ts';

const SKIPS = z.array(
  z.object({
    environment: text,
    model: text,
    reason: text,
    heldBy: text.optional(),
    scheduledAt: epochMs,
    runId: text.optional(),
  }),
);

/** The run that records the skips of `skip`'s tick. */
export function skipRunId(skip: Pick<SkipRecord, 'environment' | 'scheduledAt' | 'runId'>): string {
  return `${skip.runId ?? `sluice-run-${skip.environment}-${skip.scheduledAt}`}-skipped`;
}

function triggerOf(runId: string | undefined): RunTrigger {
  if (runId?.includes('-manual-')) return 'manual';
  if (runId?.includes('-restatement-')) return 'restatement';
  return 'schedule';
}

export async function recordSkips(ctx: SchedulerContext, skips: SkipRecord[]): Promise<void> {
  const input = parseInput('recordSkips', SKIPS, skips);
  const environments = new Map<string, EnvironmentModels>();
  const byRun = new Map<string, typeof input>();
  for (const skip of input) {
    if (!environments.has(skip.environment)) {
      environments.set(
        skip.environment,
        await loadEnvironmentModels(ctx.db, ctx.plans, skip.environment, ctx.environments),
      );
    }
    requireModels('recordSkips', environments.get(skip.environment)!, [skip.model]);
    const id = skipRunId(skip);
    byRun.set(id, [...(byRun.get(id) ?? []), skip]);
  }
  const at = ctx.now();
  for (const [runId, found] of byRun) {
    const first = found[0]!;
    const env = environments.get(first.environment)!;
    const group = await withOverScheduling(ctx, env, found);
    await rejectCheckFailures('recordSkips', FAILURE_TYPES.invalidInput, async () => {
      const run = await createRun(ctx.db, {
        id: runId,
        environment: first.environment,
        trigger: triggerOf(first.runId),
        scheduledAt: first.scheduledAt,
        models: [...new Set(group.map((skip) => skip.model))],
      });
      if (run.status === 'queued') {
        await updateRunStatus(ctx.db, runId, 'skipped', {
          at,
          skipReason: group.map((skip) => `${skip.model}: ${skip.reason}`).join('; '),
        });
      }
      for (const skip of group) {
        const id = `${runId}:${skip.model}`;
        await recordExecutionQueued(ctx.db, {
          id,
          runId,
          model: skip.model,
          snapshotId: env.byName.get(skip.model)!.snapshotId,
          interval: null,
          queuedAt: skip.scheduledAt,
        });
        await recordExecutionFinished(ctx.db, id, { status: 'skipped', at, skipReason: skip.reason });
      }
    });
  }
}

/** `skips` of one tick, each still-running model's reason followed by its over-scheduled message when it is. */
async function withOverScheduling(
  ctx: SchedulerContext,
  env: EnvironmentModels,
  skips: SkipRecord[],
): Promise<SkipRecord[]> {
  const stillRunning = skips.filter((skip) => skip.heldBy !== undefined);
  if (stillRunning.length === 0) return skips;
  const models = stillRunning.map((skip) => {
    const { cron, cronTz } = env.byName.get(skip.model)!.model;
    return { name: skip.model, cron, cronTz };
  });
  const over = await overScheduledModels(ctx.db, env.environment, models, skips[0]!.scheduledAt);
  return skips.map((skip) => {
    const o = skip.heldBy !== undefined ? over.get(skip.model) : undefined;
    return o ? { ...skip, reason: `${skip.reason}; ${o.message}` } : skip;
  });
}
