/**
 * Pausing and resuming an environment or one of its models: checked against the environment's
 * current pauses (a pause of what is paused, or a resume of what is not, is a conflict), sent to
 * its workflow as a signal, and confirmed by reading the workflow's state back. The workflow records
 * the change in the pauses table and the audit log (with the requesting principal as the actor) in
 * one transaction, so the API adds no second audit entry.
 */
import type { Context } from 'hono';
import type { Pauses } from '../core/schedule.ts';
import type { AppEnv } from './context.ts';
import {
  ensureEnvironmentWorkflow,
  environmentState,
  pauseEnvironment,
  pauseModel,
  resumeEnvironment,
  resumeModel,
} from './environment-commands.ts';
import { conflict } from './errors.ts';
import type { PauseChange } from './schemas/pauses.ts';
import { callTemporal } from './temporal-calls.ts';
import { requireEnvironment, requireModel } from './views/environment-models.ts';
import { pausesOf, readLiveState } from './views/workflow-state.ts';

/** How long a change may take to show in the workflow's state before the reply says it is pending. */
const CONFIRM_WITHIN_MS = 3_000;
const CONFIRM_POLL_MS = 100;

export async function changePause(
  c: Context<AppEnv>,
  args: { environment: string; model: string | null; action: 'pause' | 'resume'; reason?: string },
): Promise<PauseChange> {
  const deps = c.get('deps');
  const { actor } = c.get('principal');
  const { environment, model, action } = args;
  await requireEnvironment(deps.db, environment);
  if (model !== null) await requireModel(deps.db, environment, model);

  const live = await readLiveState(deps, environment);
  if (live.failure) throw live.failure;
  const current = await pausesOf(deps, environment, live);
  const existing = model === null ? current.environment : (current.models[model] ?? null);
  const what = model === null ? `environment ${environment}` : `model ${model} in environment ${environment}`;
  if (action === 'pause' && existing) {
    throw conflict(
      `${what} is already paused (by ${existing.actor} at ${existing.at}${existing.reason ? `: ${existing.reason}` : ''}); resume it first to change the reason`,
      { pause: existing },
    );
  }
  if (action === 'resume' && !existing) throw conflict(`${what} is not paused`);

  await callTemporal(deps, `${action === 'pause' ? 'pausing' : 'resuming'} ${what}`, async () => {
    await ensureEnvironmentWorkflow(deps.client, environment, deps.environmentOptions);
    if (model === null) {
      if (action === 'pause') await pauseEnvironment(deps.client, environment, args.reason ?? '', actor);
      else await resumeEnvironment(deps.client, environment, actor);
    } else if (action === 'pause') {
      await pauseModel(deps.client, environment, model, args.reason ?? '', actor);
    } else {
      await resumeModel(deps.client, environment, model, actor);
    }
  });
  const confirmed = await waitUntil(async () => {
    const state = await callTemporal(
      deps,
      `reading environment ${environment}`,
      () => environmentState(deps.client, environment),
      CONFIRM_WITHIN_MS,
    );
    return shows(state.pauses, model, action);
  });
  return { environment, model, action, reason: args.reason ?? null, actor, confirmed };
}

function shows(pauses: Pauses, model: string | null, action: 'pause' | 'resume'): boolean {
  const paused = model === null ? pauses.environment !== null : pauses.models[model] !== undefined;
  return action === 'pause' ? paused : !paused;
}

/** Polls `check` until it holds or the confirmation window closes; failures count as not yet. */
export async function waitUntil(
  check: () => Promise<boolean>,
  withinMs = CONFIRM_WITHIN_MS,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() + CONFIRM_POLL_MS >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, CONFIRM_POLL_MS));
  }
}
