/**
 * Catch-up: models that missed ticks (paused, or skipped because they were still running) run as
 * soon as they are neither blocked by a pause nor held by a run in flight.
 */
import { blockedByPauses, runnableModels } from '../schedule.ts';
import { busyModels } from './in-flight.ts';
import type { EnvironmentMemory } from './memory.ts';

function known(memory: EnvironmentMemory, model: string): boolean {
  return memory.models.some((m) => m.name === model);
}

/** Whether some model waiting to catch up may run now (`blocked` says whether a pause blocks it). */
export function catchUpDue(memory: EnvironmentMemory, blocked: (model: string) => boolean): boolean {
  const waiting = memory.catchUp.filter((m) => !blocked(m));
  if (waiting.length === 0) return false;
  const busy = busyModels(memory);
  return waiting.some((m) => !busy.has(m));
}

/**
 * Splits the catch-up list: the models to run now (sorted), and those that keep waiting for a run in
 * flight. Models no longer in the schedule, or blocked again by a pause, leave the list.
 */
export function takeCatchUp(
  memory: EnvironmentMemory,
  blocked: (model: string) => boolean,
): { ready: string[]; waiting: string[] } {
  const busy = busyModels(memory);
  const ready = [...new Set(memory.catchUp)].filter((m) => known(memory, m) && !blocked(m) && !busy.has(m));
  const waiting = memory.catchUp.filter((m) => known(memory, m) && !blocked(m) && busy.has(m));
  return { ready: ready.sort(), waiting };
}

/** The models a resume of the whole environment releases: every model runnable once it is resumed. */
export function releasedByEnvironmentResume(memory: EnvironmentMemory): string[] {
  return runnableModels(memory.models, blockedByPauses(memory.models, memory.pauses)).map((m) => m.name);
}
