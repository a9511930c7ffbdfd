/**
 * Triggered runs wait for their models: a run asked for through the API or `sluice run` never skips
 * a model because another run holds it (as a scheduled tick does). It stays in the trigger queue,
 * recorded `queued` with the runs it waits for, and starts once none of its models, nor anything
 * upstream of them, is running, and no trigger queued before it wants any of them.
 */
import { runsOnSchedule, withDownstream, withUpstream } from '../schedule.ts';
import type { EnvironmentMemory, PendingTrigger } from './memory.ts';

/**
 * The models a trigger runs, before pauses: its selection (every scheduled model without one), with
 * their upstream when asked, and a restatement's downstream.
 */
export function triggerWants(memory: EnvironmentMemory, trigger: PendingTrigger): string[] {
  const scheduled = memory.models.filter(runsOnSchedule).map((model) => model.name);
  const selected = trigger.models?.length ? trigger.models : scheduled;
  const wanted = new Set(trigger.includeUpstream ? withUpstream(memory.models, selected) : selected);
  return trigger.restate ? [...withDownstream(memory.models, wanted)] : [...wanted];
}

/** The runs in flight that hold one of `models`, or a model upstream of one. */
function runsHolding(memory: EnvironmentMemory, models: readonly string[]): string[] {
  const wanted = new Set(models);
  return Object.values(memory.runs)
    .filter((run) => {
      const unfinished = run.models.filter((model) => !run.done.includes(model));
      if (unfinished.length === 0) return false;
      for (const model of withDownstream(memory.models, unfinished)) if (wanted.has(model)) return true;
      return false;
    })
    .map((run) => run.runId);
}

export interface TriggerTurn {
  index: number;
  trigger: PendingTrigger;
  /** the runs (in flight, or triggers queued before it) it waits for; empty: it may start. */
  waitsFor: string[];
}

/** Why a trigger waits, as its run record shows it. */
export function waitReason(waitsFor: readonly string[]): string {
  return `waiting for run ${waitsFor.join(', ')} of the same models`;
}

/**
 * The first trigger the loop has something to do for: one whose models are free (to start), or one
 * that must wait and is not recorded queued yet (to record). Null when every trigger waits, recorded.
 */
export function nextTriggerTurn(memory: EnvironmentMemory): TriggerTurn | null {
  const earlier: Array<{ runId: string; wants: Set<string> }> = [];
  for (const [index, trigger] of memory.triggers.entries()) {
    const wants = triggerWants(memory, trigger);
    const waitsFor = [
      ...runsHolding(memory, wants),
      ...earlier.filter((e) => wants.some((model) => e.wants.has(model))).map((e) => e.runId),
    ];
    if (waitsFor.length === 0 || trigger.queuedReason === undefined) return { index, trigger, waitsFor };
    earlier.push({ runId: trigger.runId, wants: new Set(wants) });
  }
  return null;
}
