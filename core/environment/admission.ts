/**
 * Which signals and updates the environment takes, and when: the checks behind the updates'
 * validators (their messages are what the caller sees), and what a handler waits for first.
 */
import type { OutsideEvent } from './events.ts';
import type { TriggerRequest } from './memory.ts';
import type { EnvironmentMachine } from './state.ts';

/** Why a plan cannot be queued, or null. */
export function planSubmissionError(state: EnvironmentMachine, plan: { planId: unknown }): string | null {
  const { planId } = plan;
  if (typeof planId !== 'string' || planId.length === 0) return 'planId is required';
  if (state.memory.plans.some((p) => p.planId === planId)) {
    return `plan ${planId} is already queued for environment ${state.config.environment}`;
  }
  return null;
}

/** Why a trigger request is malformed, or null (judged before the environment has loaded). */
export function triggerRequestError(request: TriggerRequest): string | null {
  if (request.restate && !(request.restate.start < request.restate.end)) {
    return 'restatement start must be before its end';
  }
  return null;
}

/** Why a trigger names a model the environment does not have, or null (judged once ready). */
export function triggerModelError(state: EnvironmentMachine, request: TriggerRequest): string | null {
  for (const model of request.models ?? []) {
    if (!state.memory.models.some((m) => m.name === model)) {
      return `environment ${state.config.environment} has no model ${model}`;
    }
  }
  return null;
}

/**
 * Whether the machine is ready for an event of this type: those that look at models wait for the
 * schedule, and a trigger waits for the plan being applied (it may add the model).
 */
export function readyFor(state: EnvironmentMachine, type: OutsideEvent['type']): boolean {
  switch (type) {
    case 'resumeEnvironment':
    case 'pauseModel':
    case 'resumeModel':
      return state.loaded;
    case 'triggerRun':
      return state.loaded && state.applying === null;
    default:
      return true;
  }
}
