/**
 * The models an environment maps, read from the state DB: each model's snapshot and the definition
 * the snapshot stores (kind, cron, time zone, interval unit).
 */

import type { Model } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import { environmentSnapshotMap, getEnvironment } from '../../state/environments.ts';
import { getSnapshots } from '../../state/snapshots.ts';
import { notFound } from '../errors.ts';

export interface EnvironmentModel {
  name: string;
  snapshotId: string;
  definition: Model;
}

/** The environment's models by name; a 404 naming the environment when it does not exist. */
export async function environmentModels(db: StateDb, environment: string): Promise<EnvironmentModel[]> {
  await requireEnvironment(db, environment);
  const map = await environmentSnapshotMap(db, environment);
  const snapshots = await getSnapshots(db, Object.values(map));
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  return Object.entries(map)
    .map(([name, id]) => {
      const snapshot = byId.get(id);
      if (!snapshot) throw new Error(`environment "${environment}" maps ${name} to unknown snapshot "${id}"`);
      return { name, snapshotId: id, definition: snapshot.definition };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function requireEnvironment(db: StateDb, environment: string) {
  const record = await getEnvironment(db, environment);
  if (!record) {
    throw notFound(
      `unknown environment "${environment}"; plan a project into it first (sluice plan ${environment})`,
      {
        environment,
      },
    );
  }
  return record;
}

/** A 404 naming the model unless the environment maps it. */
export async function requireModel(db: StateDb, environment: string, model: string): Promise<void> {
  const map = await environmentSnapshotMap(db, environment);
  if (map[model] === undefined) {
    throw notFound(`environment "${environment}" has no model "${model}"`, { environment, model });
  }
}
