/**
 * An environment's live state from its workflow (pauses, next wake-up, runs and plans in flight),
 * with the pauses recorded in the state DB standing in when the workflow cannot be asked.
 */

import type { Pauses } from '../../core/schedule.ts';
import { stuckWork } from '../../core/watchdog.ts';
import { activePauses } from '../../state/pauses.ts';
import type { EnvironmentState } from '../../workflows/environment.ts';
import type { AppDeps } from '../context.ts';
import { environmentState } from '../environment-commands.ts';
import { ApiError } from '../errors.ts';
import type { PauseInfoView, WorkflowStateView } from '../schemas/environments.ts';
import { callTemporal } from '../temporal-calls.ts';

export interface LiveState {
  /** the workflow's answer; null when it is not running or could not be asked. */
  state: EnvironmentState | null;
  /** why the workflow could not be asked; null when it answered or simply is not running. */
  failure: ApiError | null;
}

export async function readLiveState(deps: AppDeps, environment: string): Promise<LiveState> {
  try {
    const state = await callTemporal(deps, `reading the state of environment ${environment}`, () =>
      environmentState(deps.client, environment),
    );
    return { state, failure: null };
  } catch (err) {
    if (err instanceof ApiError) {
      if (err.status === 404) return { state: null, failure: null };
      return { state: null, failure: err };
    }
    throw err;
  }
}

export interface PauseView {
  environment: PauseInfoView | null;
  models: Record<string, PauseInfoView>;
}

/** The environment's pauses: the workflow's when it answered, the state DB's otherwise. */
export async function pausesOf(deps: AppDeps, environment: string, live: LiveState): Promise<PauseView> {
  if (live.state) return fromWorkflow(live.state.pauses);
  const recorded = await activePauses(deps.db, { environment });
  const view: PauseView = { environment: null, models: {} };
  for (const p of recorded) {
    const info = { reason: p.reason, actor: p.pausedBy, at: p.pausedAt };
    if (p.model === null) view.environment = info;
    else view.models[p.model] = info;
  }
  return view;
}

function fromWorkflow(pauses: Pauses): PauseView {
  const info = (p: { reason: string; actor: string; at: number }) => ({
    reason: p.reason,
    actor: p.actor,
    at: new Date(p.at).toISOString(),
  });
  return {
    environment: pauses.environment ? info(pauses.environment) : null,
    models: Object.fromEntries(Object.entries(pauses.models).map(([model, p]) => [model, info(p)])),
  };
}

export function workflowView(live: LiveState, now: number): WorkflowStateView {
  const state = live.state;
  if (!state) {
    return {
      running: false,
      error: live.failure?.message ?? null,
      details: null,
      nextWake: null,
      runsInFlight: [],
      plansQueued: [],
      applyingPlan: null,
      workInFlight: [],
      lastError: null,
    };
  }
  const stuck = new Set(stuckWork(state.workInFlight ?? [], now).map((w) => w.workflowId));
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    running: true,
    error: null,
    details: state.details,
    nextWake: state.nextWake ? { at: iso(state.nextWake.at), models: state.nextWake.models } : null,
    runsInFlight: state.runsInFlight.map((r) => ({
      runId: r.runId,
      trigger: r.trigger,
      models: r.models,
      done: r.done,
      scheduledAt: iso(r.scheduledAt),
      startedAt: iso(r.startedAt),
    })),
    plansQueued: state.plansQueued.map((p, index) => ({
      planId: p.planId,
      submittedBy: p.submittedBy,
      submittedAt: iso(p.submittedAt),
      position: index + 1,
    })),
    applyingPlan: state.applyingPlan,
    workInFlight: (state.workInFlight ?? []).map((w) => ({
      kind: w.kind,
      id: w.id,
      workflowId: w.workflowId,
      startedAt: iso(w.startedAt),
      runningForMs: Math.max(0, Math.round(now - w.startedAt)),
      limitMs: Math.round(w.limitMs),
      stuck: stuck.has(w.workflowId),
    })),
    lastError: state.lastError ? { at: iso(state.lastError.at), message: state.lastError.message } : null,
  };
}
