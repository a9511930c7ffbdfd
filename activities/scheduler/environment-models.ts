/**
 * An environment's models as its scheduled runs see them: the snapshot each one is mapped to, its
 * current definition, the gateway its table lives on and the physical tables names resolve to.
 *
 * A snapshot never changes, but a plan may change a model's metadata (cron, start, audits, ...)
 * without giving it a new snapshot. So a model's definition comes from the project stored with the
 * plan that last promoted the environment, when that plan maps the model to the same snapshot, and
 * from the stored snapshot otherwise. The project's audits come from the same plan.
 */
import { Dag } from '../../core/dag.ts';
import { qualifiedName } from '../../core/naming.ts';
import type { Audit, Model } from '../../core/project/types.ts';
import { runsOnSchedule } from '../../core/schedule.ts';
import type { StateDb } from '../../db/client.ts';
import { environmentSnapshotMap, getEnvironment, type SnapshotMap } from '../../state/environments.ts';
import {
  getSnapshotPlacements,
  getSnapshots,
  type SnapshotPlacement,
  type SnapshotRecord,
} from '../../state/snapshots.ts';
import { FAILURE_TYPES, rejected } from './failures.ts';
import type { PlanCache, StoredPlan } from './plan-cache.ts';

export interface EnvironmentModel {
  name: string;
  snapshotId: string;
  fingerprint: string;
  model: Model;
  /** the gateway the snapshot's table lives on. */
  gateway: string;
}

export interface EnvironmentModels {
  environment: string;
  /** every mapped model, each after the models it reads. */
  models: readonly EnvironmentModel[];
  byName: ReadonlyMap<string, EnvironmentModel>;
  /** each model's definition by the name it gives itself, as rendering looks models up. */
  definitions: ReadonlyMap<string, Model>;
  audits: Readonly<Record<string, Audit>>;
  /** model name → SQL name of its snapshot's physical table (EMBEDDED models have none). */
  tables: Readonly<Record<string, string>>;
}

/**
 * The environment's models. With a `cache`, the models loaded last for the environment are given
 * again while its snapshot map and the plan that promoted it are the same: each segment of a run
 * then reads the map, not every snapshot again.
 */
export async function loadEnvironmentModels(
  db: StateDb,
  plans: PlanCache,
  environment: string,
  cache?: EnvironmentModelsCache,
): Promise<EnvironmentModels> {
  const map = await environmentSnapshotMap(db, environment);
  const ids = Object.values(map);
  if (ids.length === 0) {
    return { environment, models: [], byName: new Map(), definitions: new Map(), audits: {}, tables: {} };
  }

  const promotedBy = (await getEnvironment(db, environment))?.planId ?? null;
  const plan = promotedBy === null ? null : await plans.get(promotedBy);
  const kept = cache?.find(environment, map, plan);
  if (kept !== undefined) return kept;
  const loaded = await modelsOf(db, environment, map, plan);
  cache?.keep(environment, map, plan, loaded);
  return loaded;
}

async function modelsOf(
  db: StateDb,
  environment: string,
  map: SnapshotMap,
  plan: StoredPlan | null,
): Promise<EnvironmentModels> {
  const current = plan?.project
    ? new Map(
        plan.project.models
          .filter((model) => plan.diff.snapshotMap[model.name] === map[model.name])
          .map((model) => [model.name, model]),
      )
    : new Map<string, Model>();

  const { placements, records } = await snapshotsOf(db, map, current);
  const byName = new Map<string, EnvironmentModel>();
  const tables: Record<string, string> = {};
  for (const [name, snapshotId] of Object.entries(map)) {
    const record = records.get(snapshotId) ?? placements.get(snapshotId);
    const model = current.get(name) ?? records.get(snapshotId)?.definition;
    if (!record || !model)
      throw new Error(`environment "${environment}" maps ${name} to unknown snapshot "${snapshotId}"`);
    byName.set(name, { name, snapshotId, fingerprint: record.fingerprint, model, gateway: record.gateway });
    if (record.kind !== 'EMBEDDED') tables[name] = qualifiedName(record.physicalSchema, record.physicalTable);
  }
  const dag = new Dag(Object.fromEntries([...byName.values()].map((m) => [m.name, m.model.dependsOn])));
  const models = dag.topologicalOrder().map((name) => byName.get(name)!);
  const definitions = new Map(models.map((entry) => [entry.model.name, entry.model]));
  return { environment, models, byName, definitions, audits: plan?.project?.audits ?? {}, tables };
}

/** How many environments' models a cache keeps, the most recently used. */
const ENVIRONMENTS_KEPT = 8;

/**
 * The models of the environments loaded last. What `loadEnvironmentModels` gives depends only on
 * the environment's snapshot map, the stored plan that promoted it and the snapshots, and a
 * snapshot never changes: an entry is given again only for an equal map and the same stored plan
 * (the plan cache's own object, so a plan read again is a new one). Entries are shared: nobody
 * changes them.
 */
export class EnvironmentModelsCache {
  private readonly kept = new Map<
    string,
    { map: SnapshotMap; plan: StoredPlan | null; models: EnvironmentModels }
  >();

  constructor(private readonly size = ENVIRONMENTS_KEPT) {}

  find(environment: string, map: SnapshotMap, plan: StoredPlan | null): EnvironmentModels | undefined {
    const entry = this.kept.get(environment);
    if (entry === undefined || entry.plan !== plan || !sameMap(entry.map, map)) return undefined;
    this.kept.delete(environment);
    this.kept.set(environment, entry);
    return entry.models;
  }

  keep(environment: string, map: SnapshotMap, plan: StoredPlan | null, models: EnvironmentModels): void {
    this.kept.delete(environment);
    this.kept.set(environment, { map, plan, models });
    if (this.kept.size > this.size) this.kept.delete(this.kept.keys().next().value!);
  }
}

function sameMap(a: SnapshotMap, b: SnapshotMap): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  return names.every((name) => Object.hasOwn(b, name) && a[name] === b[name]);
}

/**
 * The stored snapshots the environment maps to, by id: only their placement (no definition, the
 * bulk of a row) for the models `current` defines, and the whole records, definitions included, of
 * the others.
 */
async function snapshotsOf(
  db: StateDb,
  map: Readonly<Record<string, string>>,
  current: ReadonlyMap<string, Model>,
): Promise<{ placements: Map<string, SnapshotPlacement>; records: Map<string, SnapshotRecord> }> {
  const placed: string[] = [];
  const whole: string[] = [];
  for (const [name, snapshotId] of Object.entries(map)) (current.has(name) ? placed : whole).push(snapshotId);
  const placements = placed.length === 0 ? [] : await getSnapshotPlacements(db, placed);
  const records = whole.length === 0 ? [] : await getSnapshots(db, whole);
  return {
    placements: new Map(placements.map((placement) => [placement.id, placement])),
    records: new Map(records.map((record) => [record.id, record])),
  };
}

/** The models of the environment `model` reads, directly (external tables left out). */
export function parentsInEnvironment(env: EnvironmentModels, model: EnvironmentModel): string[] {
  return [...new Set(model.model.dependsOn)].filter((name) => env.byName.has(name)).sort();
}

/** The named models of the environment; any name it does not map fails `activity` non-retryably. */
export function requireModels(
  activity: string,
  env: EnvironmentModels,
  names: readonly string[],
): EnvironmentModel[] {
  const unknown = [...new Set(names.filter((name) => !env.byName.has(name)))];
  if (unknown.length > 0) {
    throw rejected(
      activity,
      FAILURE_TYPES.unknownModel,
      `environment "${env.environment}" has no model ${unknown.join(', ')}`,
    );
  }
  return names.map((name) => env.byName.get(name)!);
}

/**
 * True for the models a run executes on their cron, so that their intervals are recorded and
 * refilled: incremental and FULL models and materialized views (see `runsOnSchedule`).
 */
export function runsOnCron(model: Model): boolean {
  return runsOnSchedule(
    model.kind.name === 'VIEW'
      ? { kind: 'VIEW', materialized: model.kind.materialized }
      : { kind: model.kind.name },
  );
}
