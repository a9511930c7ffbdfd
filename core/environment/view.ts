/** What the environment workflow's `state` query answers, and the one-line status the Web UI shows. */
import { blockedByPauses, describeSchedule, type Pauses, type ScheduledModel } from '../schedule.ts';
import type { WorkInFlight } from '../watchdog.ts';
import { modelsInFlight, workInFlight } from './in-flight.ts';
import type { LastExecution, QueuedPlan, RunInFlight } from './memory.ts';
import type { ApplyingPlan, EnvironmentMachine } from './state.ts';

export interface EnvironmentState {
  environment: string;
  paused: boolean;
  pauses: Pauses;
  nextWake: { at: number; models: string[] } | null;
  /** models not run on schedule now, with the reason (paused, or downstream of a paused model). */
  blocked: Record<string, string>;
  runsInFlight: RunInFlight[];
  modelsInFlight: string[];
  plansQueued: QueuedPlan[];
  applyingPlan: string | null;
  /** the plan being applied, since when and its watchdog limit. */
  applying: ApplyingPlan | null;
  lastExecutions: Record<string, LastExecution>;
  models: ScheduledModel[];
  details: string;
  /** each run in flight and the plan being applied, with when it began and its limit. */
  workInFlight: WorkInFlight[];
  /** why the environment's last step failed (it carries on), when it did. */
  lastError: { at: number; message: string } | null;
}

export function describeEnvironment(state: EnvironmentMachine, now: number): string {
  return describeSchedule({
    wake: state.wake,
    now,
    pauses: state.memory.pauses,
    runsInFlight: Object.keys(state.memory.runs).length,
    plansQueued: state.memory.plans.length,
    applyingPlan: state.applying?.planId,
  });
}

export function environmentView(state: EnvironmentMachine, now: number): EnvironmentState {
  const { memory } = state;
  return {
    environment: state.config.environment,
    paused: memory.pauses.environment !== null,
    pauses: memory.pauses,
    nextWake: state.wake,
    blocked: Object.fromEntries(blockedByPauses(memory.models, memory.pauses)),
    runsInFlight: Object.values(memory.runs),
    modelsInFlight: [...modelsInFlight(memory)].sort(),
    plansQueued: memory.plans,
    applyingPlan: state.applying?.planId ?? null,
    applying: state.applying,
    lastExecutions: memory.lastExecutions,
    models: memory.models,
    details: describeEnvironment(state, now),
    workInFlight: workInFlight(memory, state.applying, state.config.stuckAfterMs),
    lastError: state.lastError,
  };
}
