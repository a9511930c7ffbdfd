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
import { environmentSnapshotMap, getEnvironment } from '../../state/environments.ts';
import { getSnapshots } from '../../state/snapshots.ts';
import { FAILURE_TYPES, rejected } from './failures.ts';
import type { PlanCache } from './plan-cache.ts';

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
  models: EnvironmentModel[];
  byName: ReadonlyMap<string, EnvironmentModel>;
  audits: Readonly<Record<string, Audit>>;
  /** model name → SQL name of its snapshot's physical table (EMBEDDED models have none). */
  tables: Readonly<Record<string, string>>;
}

export async function loadEnvironmentModels(
  db: StateDb,
  plans: PlanCache,
  environment: string,
): Promise<EnvironmentModels> {
  const map = await environmentSnapshotMap(db, environment);
  const ids = Object.values(map);
  if (ids.length === 0) return { environment, models: [], byName: new Map(), audits: {}, tables: {} };

  const promotedBy = (await getEnvironment(db, environment))?.planId ?? null;
  const plan = promotedBy === null ? null : await plans.get(promotedBy);
  const current = plan?.project
    ? new Map(
        plan.project.models
          .filter((model) => plan.diff.snapshotMap[model.name] === map[model.name])
          .map((model) => [model.name, model]),
      )
    : new Map<string, Model>();

  const records = new Map((await getSnapshots(db, ids)).map((record) => [record.id, record]));
  const byName = new Map<string, EnvironmentModel>();
  const tables: Record<string, string> = {};
  for (const [name, snapshotId] of Object.entries(map)) {
    const record = records.get(snapshotId);
    if (!record)
      throw new Error(`environment "${environment}" maps ${name} to unknown snapshot "${snapshotId}"`);
    const model = current.get(name) ?? record.definition;
    byName.set(name, { name, snapshotId, fingerprint: record.fingerprint, model, gateway: record.gateway });
    if (record.kind !== 'EMBEDDED') tables[name] = qualifiedName(record.physicalSchema, record.physicalTable);
  }
  const dag = new Dag(Object.fromEntries([...byName.values()].map((m) => [m.name, m.model.dependsOn])));
  const models = dag.topologicalOrder().map((name) => byName.get(name)!);
  return { environment, models, byName, audits: plan?.project?.audits ?? {}, tables };
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
