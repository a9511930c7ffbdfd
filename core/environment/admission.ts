/**
 * Which signals and updates the environment takes, and when: the checks behind the updates'
 * validators (their messages are what the caller sees), and what a handler waits for first.
 */
import { runsOnSchedule } from '../schedule.ts';
import { environmentNameProblem, modelNameProblem } from '../validation/identifiers.ts';
import { firstProblem } from '../validation/problem.ts';
import { rangeShapeProblem, restatementRangeProblem } from '../validation/range.ts';
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

/**
 * Why a trigger request is malformed, or null (judged before the environment has loaded): the
 * environment's own name, each model name, who asks, and the restatement's range on its own.
 */
export function triggerRequestError(state: EnvironmentMachine, request: TriggerRequest): string | null {
  if (typeof request !== 'object' || request === null) return 'a trigger request must be an object';
  const { models, restate } = request as Partial<TriggerRequest>;
  if (models !== undefined && !Array.isArray(models)) return 'models must be a list of model names';
  const problem = firstProblem(
    environmentNameProblem('environment', state.config.environment),
    ...(models ?? []).map((model, i) => modelNameProblem(`models[${i}]`, model)),
    typeof request.requestedBy === 'string' && request.requestedBy.length > 0
      ? null
      : { field: 'requestedBy', message: 'requestedBy must name who asks' },
    restate === undefined
      ? null
      : typeof restate === 'object' && restate !== null
        ? rangeShapeProblem('restate', restate)
        : { field: 'restate', message: 'restate must be { start, end } in epoch milliseconds' },
  );
  return problem?.message ?? null;
}

/**
 * Why a restatement's range does not fit the models it restates, or null (judged once ready, at
 * workflow time `now`): the check of core/validation/range.ts over the selected models, or every
 * scheduled model without a selection, as far as the remembered schedule knows them.
 */
export function triggerRangeError(
  state: EnvironmentMachine,
  request: TriggerRequest,
  now: number,
): string | null {
  if (!request.restate) return null;
  const selected = request.models?.length ? request.models : null;
  const models = selected
    ? state.memory.models.filter((m) => selected.includes(m.name))
    : state.memory.models.filter(runsOnSchedule);
  const problem = restatementRangeProblem({
    field: 'restate',
    range: request.restate,
    models,
    selected: selected !== null,
    now,
  });
  return problem?.message ?? null;
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
