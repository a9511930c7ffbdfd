/**
 * `recordPauseChange`: a pause or resume of an environment or of one of its models, recorded in
 * the pauses table and the audit log in one transaction. Pausing what is paused and resuming what is
 * not change nothing and add no audit entry, so a retried activity records the change once.
 */
import { z } from 'zod';
import { appendAudit } from '../../state/audit-log.ts';
import { pause, resume } from '../../state/pauses.ts';
import type { PauseChange } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import { loadEnvironmentModels, requireModels } from './environment-models.ts';
import { parseInput, text } from './input.ts';

const PAUSE_CHANGE = z.object({
  environment: text,
  model: text.optional(),
  action: z.enum(['pause', 'resume']),
  reason: z.string().optional(),
  actor: text,
});

export async function recordPauseChange(ctx: SchedulerContext, change: PauseChange): Promise<void> {
  const input = parseInput('recordPauseChange', PAUSE_CHANGE, change);
  if (input.model !== undefined) {
    const env = await loadEnvironmentModels(ctx.db, ctx.plans, input.environment, ctx.environments);
    requireModels('recordPauseChange', env, [input.model]);
  }
  const at = ctx.now();
  const target = { environment: input.environment, model: input.model ?? null };
  await ctx.db.transaction(async (tx) => {
    const changed =
      input.action === 'pause'
        ? (await pause(tx, { ...target, reason: input.reason ?? null, pausedBy: input.actor, at })).created
        : (await resume(tx, { ...target, resumedBy: input.actor, at })) !== null;
    if (!changed) return;
    await appendAudit(tx, {
      actor: input.actor,
      action: `${input.model === undefined ? 'environment' : 'model'}.${input.action}`,
      target: input.model ?? input.environment,
      environment: input.environment,
      reason: input.reason ?? null,
      at,
    });
  });
}
