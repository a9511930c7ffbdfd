/**
 * Runs in flight and what they hold: a model is held by a run from its start until it finishes in
 * it (the run's progress says so) or the run ends; its downstream waits with it.
 */
import { withDownstream } from '../schedule.ts';
import { stuckLimitMs, type WorkInFlight } from '../watchdog.ts';
import type { EnvironmentMemory, RunInFlight } from './memory.ts';
import type { ModelOutcome } from './run-report.ts';
import type { ApplyingPlan } from './state.ts';

export function hasRunsInFlight(memory: EnvironmentMemory): boolean {
  return Object.keys(memory.runs).length > 0;
}

/** The models of each `done` list, kept beside it while the same list grows (it is the state's own). */
const doneSets = new WeakMap<string[], Set<string>>();

/** Adds `models` to the run's finished models, each once, in time independent of how many there are. */
export function markDone(run: RunInFlight, models: readonly string[]): void {
  let done = doneSets.get(run.done);
  if (!done) {
    done = new Set(run.done);
    doneSets.set(run.done, done);
  }
  for (const model of models) {
    if (done.has(model)) continue;
    done.add(model);
    run.done.push(model);
  }
}

/** Models some run in flight has not finished yet. */
export function modelsInFlight(memory: EnvironmentMemory): Set<string> {
  return new Set(Object.values(memory.runs).flatMap((r) => r.models.filter((m) => !r.done.includes(m))));
}

/** Models a new run must skip: those in flight and their downstream. */
export function busyModels(memory: EnvironmentMemory): Set<string> {
  return withDownstream(memory.models, modelsInFlight(memory));
}

/** How the reason of a model skipped because its own previous execution still runs begins. */
export const STILL_RUNNING = 'previous execution still running in';

/**
 * Why `model` is skipped: the run that still holds it (`heldBy`), or a model upstream of it (no
 * `heldBy`).
 */
export function skipOf(memory: EnvironmentMemory, model: string): { reason: string; heldBy?: string } {
  const holder = Object.values(memory.runs).find((r) => r.models.includes(model) && !r.done.includes(model));
  return holder
    ? { reason: `${STILL_RUNNING} ${holder.runId}`, heldBy: holder.runId }
    : { reason: 'an upstream model is still running' };
}

/** Keeps each model's last execution and longest batch from a run's report. */
export function remember(
  memory: EnvironmentMemory,
  runId: string,
  models: Record<string, ModelOutcome>,
): void {
  memory.longestBatchMs ??= {};
  for (const [model, outcome] of Object.entries(models)) {
    if (outcome.longestBatchMs !== undefined) {
      memory.longestBatchMs[model] = Math.max(memory.longestBatchMs[model] ?? 0, outcome.longestBatchMs);
    }
    memory.lastExecutions[model] = {
      runId,
      status: outcome.status,
      finishedAt: outcome.finishedAt,
      error: outcome.error,
      reason: outcome.reason,
    };
  }
}

/** How long work over `models` may take before the watchdog calls it stuck. */
export function limitFor(memory: EnvironmentMemory, models: readonly string[], stuckAfterMs: number): number {
  return stuckLimitMs(models, memory.longestBatchMs ?? {}, stuckAfterMs);
}

/** Each run in flight and the plan being applied, with when it began and its limit. */
export function workInFlight(
  memory: EnvironmentMemory,
  applying: ApplyingPlan | null,
  stuckAfterMs: number,
): WorkInFlight[] {
  return [
    ...Object.values(memory.runs).map((r) => ({
      kind: 'run' as const,
      id: r.runId,
      workflowId: r.runId,
      startedAt: r.startedAt,
      limitMs: r.limitMs ?? limitFor(memory, r.models, stuckAfterMs),
    })),
    ...(applying
      ? [
          {
            kind: 'plan' as const,
            id: applying.planId,
            workflowId: applying.workflowId,
            startedAt: applying.startedAt,
            limitMs: applying.limitMs,
          },
        ]
      : []),
  ];
}
