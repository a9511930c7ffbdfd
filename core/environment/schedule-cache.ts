/**
 * What the loop keeps of its schedule between events, so that an event that does not change the
 * schedule (a run's progress, a plan queued, a wake-up before the tick) costs the same however many
 * models the environment has: each scheduled model's next cron tick, the models blocked by pauses,
 * and whether the wake-up computed from them is still current. A tick is computed again only when
 * it has passed or its model's cron changed; the blocked models only when pauses or models change.
 * Plain JSON, kept in the machine's state (not its memory: a new workflow run computes it again).
 */
import { nextTick } from '../cron.ts';
import { blockedByPauses, runsOnSchedule, type ScheduledModel } from '../schedule.ts';
import type { EnvironmentMachine } from './state.ts';

export interface ScheduleCache {
  /** the first cron tick strictly after the memory's cursor, of each model that runs on schedule. */
  ticks: Record<string, number>;
  /** models blocked by pauses, with the reason; null once pauses or models changed. */
  blocked: Record<string, string> | null;
  /** the state's `wake` was computed from the ticks and blocked models as they are now. */
  wakeCurrent: boolean;
}

const has = (record: object, key: string) => Object.hasOwn(record, key);

/** The schedule cache, computed in full when there is none (a new workflow run). */
function cacheOf(state: EnvironmentMachine): ScheduleCache {
  if (state.schedule) return state.schedule;
  const { models, cursor } = state.memory;
  const ticks: Record<string, number> = {};
  for (const model of models) {
    if (runsOnSchedule(model)) ticks[model.name] = nextTick(model.cron, model.cronTz, cursor);
  }
  state.schedule = { ticks, blocked: null, wakeCurrent: false };
  return state.schedule;
}

/** Models blocked by pauses, with the reason. */
export function blockedModels(state: EnvironmentMachine): Record<string, string> {
  const cache = cacheOf(state);
  cache.blocked ??= Object.fromEntries(blockedByPauses(state.memory.models, state.memory.pauses));
  return cache.blocked;
}

/** Whether `model` is blocked by a pause. */
export function isBlocked(state: EnvironmentMachine, model: string): boolean {
  return has(blockedModels(state), model);
}

/** The earliest tick among the models that may run on schedule, and every model that ticks then. */
export function currentWake(state: EnvironmentMachine): EnvironmentMachine['wake'] {
  const cache = cacheOf(state);
  if (cache.wakeCurrent) return state.wake;
  const blocked = blockedModels(state);
  let at = Number.POSITIVE_INFINITY;
  let models: string[] = [];
  for (const [name, tick] of Object.entries(cache.ticks)) {
    if (has(blocked, name) || tick > at) continue;
    if (tick < at) {
      at = tick;
      models = [];
    }
    models.push(name);
  }
  state.wake = Number.isFinite(at) ? { at, models: models.sort() } : null;
  cache.wakeCurrent = true;
  return state.wake;
}

/** Pauses changed: the blocked models and the wake-up are computed again when next needed. */
export function pausesChanged(state: EnvironmentMachine): void {
  if (!state.schedule) return;
  state.schedule.blocked = null;
  state.schedule.wakeCurrent = false;
}

/** The schedule is replaced: ticks are kept for the models whose cron did not change. */
export function replaceModels(state: EnvironmentMachine, models: ScheduledModel[]): void {
  const before = state.schedule ? new Map(state.memory.models.map((m) => [m.name, m])) : null;
  const kept = state.schedule?.ticks ?? {};
  const ticks: Record<string, number> = {};
  for (const model of models) {
    if (!runsOnSchedule(model)) continue;
    const old = before?.get(model.name);
    const same = old && old.cron === model.cron && old.cronTz === model.cronTz && has(kept, model.name);
    ticks[model.name] = same ? kept[model.name]! : nextTick(model.cron, model.cronTz, state.memory.cursor);
  }
  state.memory.models = models;
  state.schedule = { ticks, blocked: null, wakeCurrent: false };
}

/**
 * Moves the cursor to `now`: the models that may run on schedule and ticked in (cursor, now], sorted.
 * Only the ticks that passed are computed again.
 */
export function advanceCursor(state: EnvironmentMachine, now: number): string[] {
  const cache = cacheOf(state);
  const blocked = blockedModels(state);
  const due: string[] = [];
  for (const model of state.memory.models) {
    const tick = cache.ticks[model.name];
    if (tick === undefined || !has(cache.ticks, model.name) || tick > now) continue;
    if (!has(blocked, model.name)) due.push(model.name);
    cache.ticks[model.name] = nextTick(model.cron, model.cronTz, now);
  }
  state.memory.cursor = now;
  cache.wakeCurrent = false;
  return due.sort();
}
