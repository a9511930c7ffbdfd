/**
 * The plan diff: a loaded project (its models and their fingerprints) against the snapshot map of
 * the environment it is applied to. Each model is added, removed, directly modified (its own
 * definition changed), indirectly modified (only something upstream changed), metadata-only
 * (metadata changed, data not) or unchanged. Added and modified models get new snapshots, and each
 * new snapshot gets the intervals it still lacks, as in `sqlmesh plan`.
 */
import { Dag } from '../dag.ts';
import { fingerprintProject, type ModelFingerprint } from '../fingerprint.ts';
import type { Interval } from '../intervals.ts';
import { PROD_ENVIRONMENT, validateEnvironmentName } from '../naming.ts';
import type { Model } from '../project/types.ts';
import { formatUtc } from '../time.ts';
import { backfillFor } from './backfill.ts';
import { PlanRequestError } from './request-error.ts';
import type { BackfillEntry, CurrentSnapshots, NewSnapshot, PlanDiff } from './types.ts';

export interface DiffInput {
  environment: string;
  /** the project's models in dependency order (as `loadProject` returns them). */
  models: readonly Model[];
  /** fingerprints of `models`, by model name (`fingerprintProject` with the project's audits). */
  fingerprints: Readonly<Record<string, ModelFingerprint>>;
  /** the snapshot map the project is compared with. */
  current: CurrentSnapshots;
  /** the environment `current` belongs to when it is not `environment` itself (see PlanDiff.base). */
  base?: string | null;
  /** completed intervals per snapshot id; snapshots left out have none. */
  completed: Readonly<Record<string, readonly Interval[]>>;
  /** the plan's execution time, epoch ms. */
  now: number;
  /** development plans only: backfill from here (epoch ms, inclusive). */
  start?: number;
  /** development plans only: backfill up to here (epoch ms, exclusive). */
  end?: number;
}

/** `<model name>@<fingerprint>`, the id every snapshot is stored under. */
export function snapshotIdOf(model: string, fingerprint: string): string {
  return `${model}@${fingerprint}`;
}

export function diffProject(input: DiffInput): PlanDiff {
  const { environment, models, fingerprints, current, now } = input;
  validateEnvironmentName(environment);
  if (!Number.isFinite(now)) throw new Error(`plan execution time must be epoch milliseconds (got ${now})`);
  const start = checkBound('start', input.start);
  const end = checkBound('end', input.end);
  if (environment === PROD_ENVIRONMENT && (start !== null || end !== null)) {
    throw new PlanRequestError(
      start !== null ? 'start' : 'end',
      `a plan for ${PROD_ENVIRONMENT} covers every interval from each model's start: start and end ` +
        'may only narrow the plan of a development environment',
    );
  }
  if (start !== null && end !== null && end <= start) {
    throw new PlanRequestError(
      'end',
      `plan end (${formatUtc(end)}) must be after its start (${formatUtc(start)})`,
    );
  }

  const byName = new Map(models.map((model) => [model.name, model]));
  const snapshotMap: Record<string, string> = {};
  const added: string[] = [];
  const changed: string[] = [];
  const metadataOnly: string[] = [];
  const unchanged: string[] = [];
  for (const model of models) {
    const fingerprint = fingerprints[model.name];
    if (!fingerprint) throw new Error(`model ${model.name} has no fingerprint`);
    snapshotMap[model.name] = snapshotIdOf(model.name, fingerprint.fingerprint);
    const previous = current[model.name];
    if (!previous) added.push(model.name);
    else if (previous.fingerprint !== fingerprint.fingerprint) changed.push(model.name);
    else if (previous.metadataHash !== fingerprint.metadataHash) metadataOnly.push(model.name);
    else unchanged.push(model.name);
  }
  const removed = Object.keys(current)
    .filter((name) => !byName.has(name))
    .sort();

  const { direct, indirect } = classifyChanges(models, changed, added, removed, current);
  const previousSnapshotMap = Object.fromEntries(
    Object.entries(current)
      .map(([name, snapshot]) => [name, snapshot.snapshotId] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

  const newSnapshots: NewSnapshot[] = [];
  const backfill: BackfillEntry[] = [];
  const restrictTo =
    start !== null || end !== null
      ? { ...(start !== null ? { start } : {}), ...(end !== null ? { end } : {}) }
      : undefined;
  for (const model of models) {
    const snapshotId = snapshotMap[model.name]!;
    if (current[model.name]?.snapshotId === snapshotId) continue;
    newSnapshots.push({ model: model.name, fingerprint: fingerprints[model.name]!.fingerprint, snapshotId });
    const entry = backfillFor({
      model,
      snapshotId,
      completed: input.completed[snapshotId] ?? [],
      now,
      ...(restrictTo ? { restrictTo } : {}),
    });
    if (entry) backfill.push(entry);
  }

  return {
    environment,
    base: input.base === undefined ? environment : input.base,
    now,
    start,
    end,
    added,
    removed,
    directlyModified: direct,
    indirectlyModified: indirect,
    metadataOnly,
    unchanged,
    newSnapshots,
    snapshotMap,
    previousSnapshotMap,
    backfill,
    virtualUpdateOnly: backfill.length === 0,
  };
}

function checkBound(name: 'start' | 'end', value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isFinite(value)) {
    throw new PlanRequestError(name, `plan ${name} must be epoch milliseconds (got ${value})`);
  }
  return value;
}

/**
 * Splits the models whose fingerprint changed: a model nothing upstream of which changed is
 * directly modified. One with a changed upstream is indirectly modified unless its own definition
 * changed as well, which is known when the current snapshot's definition is at hand: the new model
 * is fingerprinted against the current definitions of its upstream models, and a fingerprint equal
 * to the current one means only the upstream changed.
 */
function classifyChanges(
  models: readonly Model[],
  changed: readonly string[],
  added: readonly string[],
  removed: readonly string[],
  current: CurrentSnapshots,
): { direct: string[]; indirect: string[] } {
  const direct: string[] = [];
  const indirect: string[] = [];
  if (changed.length === 0) return { direct, indirect };
  const dag = new Dag(Object.fromEntries(models.map((model) => [model.name, model.dependsOn])));
  const moved = new Set([...changed, ...added]);
  const gone = new Set(removed);
  const byName = new Map(models.map((model) => [model.name, model]));
  const readsRemoved = (name: string) => byName.get(name)!.dependsOn.some((dep) => gone.has(dep));
  // For every model at once, in dependency order: whether a model upstream of it was added or
  // changed, or read a removed model (each model asking its own upstream would scan the project).
  const changedAbove = new Map<string, boolean>();
  for (const name of dag.topologicalOrder()) {
    changedAbove.set(
      name,
      dag
        .parents(name)
        .some((parent) => moved.has(parent) || readsRemoved(parent) || changedAbove.get(parent)),
    );
  }
  for (const name of changed) {
    const model = byName.get(name)!;
    const upstreamChanged = changedAbove.get(name)! || readsRemoved(name);
    if (!upstreamChanged) direct.push(name);
    else if (ownDefinitionChanged(model, current)) direct.push(name);
    else indirect.push(name);
  }
  return { direct, indirect };
}

/** Whether `model` differs from its current snapshot once its upstream is held at the current definitions. */
function ownDefinitionChanged(model: Model, current: CurrentSnapshots): boolean {
  const previous = current[model.name];
  if (!previous?.definition) return false;
  const held: Model[] = [];
  const seen = new Set<string>([model.name]);
  const pending = [...model.dependsOn];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const definition = current[name]?.definition;
    if (!definition) {
      if (current[name]) return false;
      continue;
    }
    held.push(definition);
    pending.push(...definition.dependsOn);
  }
  // only the data fingerprint is compared, which audits do not change
  const fingerprint = fingerprintProject([...held, model], {})[model.name];
  return fingerprint?.fingerprint !== previous.fingerprint;
}
