/**
 * The decisions an environment's schedule makes, as pure functions: which models may run, when the
 * environment must wake next, and which models are due at a wake-up. The environment workflow calls
 * these with workflow time, so they must stay deterministic (no I/O, no clock of their own).
 */
import { nextTick } from './cron.ts';
import { Dag } from './dag.ts';
import type { IntervalUnit, ModelKindName } from './project/types.ts';

/** What the environment workflow knows of each model it schedules. */
export interface ScheduledModel {
  name: string;
  snapshotId: string;
  kind: ModelKindName;
  /** a VIEW with `materialized true` is a table rebuilt on its cron. */
  materialized?: boolean;
  cron: string;
  cronTz: string;
  /** models of the same environment this one reads from. */
  dependsOn: string[];
  gateway: string;
  /**
   * the model's interval unit, start and end (epoch ms), which a restatement's range must fit
   * (core/validation/range.ts); absent from a schedule remembered from before they were kept, until
   * the next schedule load.
   */
  intervalUnit?: IntervalUnit;
  startMs?: number;
  endMs?: number;
}

export interface PauseInfo {
  reason: string;
  actor: string;
  /** epoch ms */
  at: number;
}

export interface Pauses {
  environment: PauseInfo | null;
  models: Record<string, PauseInfo>;
}

/**
 * Kinds that have work on a cron. Views (not materialized) and seeds are built when a plan applies and
 * have nothing to refresh; embedded models are inlined into their readers.
 */
export function runsOnSchedule(model: Pick<ScheduledModel, 'kind' | 'materialized'>): boolean {
  switch (model.kind) {
    case 'FULL':
    case 'INCREMENTAL_BY_TIME_RANGE':
    case 'INCREMENTAL_BY_UNIQUE_KEY':
      return true;
    case 'VIEW':
      return model.materialized === true;
    default:
      return false;
  }
}

/**
 * Whether a model runs on its cron, and when next: an enabled model of a kind with work on a cron.
 * The one answer behind `sluice validate`, `sluice schedules` and the environment API, so that a
 * SEED or a plain VIEW is enabled yet never has a next run anywhere.
 */
export function onCron(model: { kind: ModelKindName; materialized?: boolean; enabled: boolean }): boolean {
  return model.enabled && runsOnSchedule(model);
}

/** The model's next cron tick after `now`, or null when it does not run on its cron (see onCron). */
export function nextCronRun(
  model: { kind: ModelKindName; materialized?: boolean; enabled: boolean; cron: string; cronTz: string },
  now: number,
): number | null {
  return onCron(model) ? nextTick(model.cron, model.cronTz, now) : null;
}

export function scheduleDag(models: readonly ScheduledModel[]): Dag {
  return new Dag(Object.fromEntries(models.map((m) => [m.name, m.dependsOn])));
}

/**
 * Models a scheduled run must not touch, each with the reason: the whole environment paused, a model
 * paused, or a model downstream of a paused one.
 */
export function blockedByPauses(models: readonly ScheduledModel[], pauses: Pauses): Map<string, string> {
  const blocked = new Map<string, string>();
  if (pauses.environment) {
    for (const m of models) blocked.set(m.name, `environment paused: ${pauses.environment.reason}`);
    return blocked;
  }
  const dag = scheduleDag(models);
  for (const name of dag.topologicalOrder()) {
    const own = pauses.models[name];
    if (own) {
      blocked.set(name, `paused: ${own.reason}`);
      continue;
    }
    const pausedParent = dag.parents(name).find((p) => blocked.has(p));
    if (pausedParent) blocked.set(name, `upstream ${pausedParent} is paused`);
  }
  return blocked;
}

/** The models that may run on schedule now: scheduled kinds, not blocked. */
export function runnableModels(models: readonly ScheduledModel[], blocked: ReadonlyMap<string, string>) {
  return models.filter((m) => runsOnSchedule(m) && !blocked.has(m.name));
}

/** The earliest cron tick strictly after `after` among `models`, and every model that ticks then. */
export function nextWake(
  models: readonly ScheduledModel[],
  after: number,
): { at: number; models: string[] } | null {
  let at = Number.POSITIVE_INFINITY;
  let due: string[] = [];
  for (const m of models) {
    const tick = nextTick(m.cron, m.cronTz, after);
    if (tick < at) {
      at = tick;
      due = [m.name];
    } else if (tick === at) {
      due.push(m.name);
    }
  }
  return Number.isFinite(at) ? { at, models: due.sort() } : null;
}

/** Models with at least one cron tick in (fromExclusive, toInclusive]. */
export function dueModels(
  models: readonly ScheduledModel[],
  fromExclusive: number,
  toInclusive: number,
): string[] {
  return models
    .filter((m) => nextTick(m.cron, m.cronTz, fromExclusive) <= toInclusive)
    .map((m) => m.name)
    .sort();
}

/** `names` plus every model downstream of them. */
export function withDownstream(models: readonly ScheduledModel[], names: Iterable<string>): Set<string> {
  const dag = scheduleDag(models);
  return reachable(dag, names, (n) => dag.children(n));
}

/** `names` plus every model upstream of them. */
export function withUpstream(models: readonly ScheduledModel[], names: Iterable<string>): Set<string> {
  const dag = scheduleDag(models);
  return reachable(dag, names, (n) => dag.parents(n));
}

function reachable(dag: Dag, names: Iterable<string>, next: (name: string) => string[]): Set<string> {
  const out = new Set<string>();
  const stack = [...names].filter((n) => dag.has(n));
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (out.has(n)) continue;
    out.add(n);
    stack.push(...next(n));
  }
  return out;
}

function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/** The one-line status shown in the Temporal Web UI ("sleeping until 10:00 UTC for sales.orders"). */
export function describeSchedule(args: {
  wake: { at: number; models: string[] } | null;
  now: number;
  pauses: Pauses;
  runsInFlight: number;
  plansQueued: number;
  applyingPlan?: string;
}): string {
  const parts: string[] = [];
  if (args.applyingPlan) parts.push(`applying plan ${args.applyingPlan}`);
  else if (args.plansQueued > 0) parts.push(`${args.plansQueued} plan(s) waiting for runs in flight`);
  if (args.wake) {
    const sameDay =
      new Date(args.wake.at).toISOString().slice(0, 10) === new Date(args.now).toISOString().slice(0, 10);
    const when = sameDay
      ? hhmm(args.wake.at)
      : new Date(args.wake.at).toISOString().slice(0, 16).replace('T', ' ');
    const shown = args.wake.models.slice(0, 5).join(', ');
    const more = args.wake.models.length > 5 ? `, +${args.wake.models.length - 5} more` : '';
    parts.push(`sleeping until ${when} UTC for ${shown}${more}`);
  } else {
    parts.push('nothing scheduled');
  }
  if (args.runsInFlight > 0) parts.push(`${args.runsInFlight} run(s) in flight`);
  if (args.pauses.environment) parts.push(`paused: environment (${args.pauses.environment.reason})`);
  const modelPauses = Object.entries(args.pauses.models);
  if (modelPauses.length > 0) {
    parts.push(`paused: ${modelPauses.map(([m, p]) => `${m} (${p.reason})`).join(', ')}`);
  }
  return parts.join('; ');
}
