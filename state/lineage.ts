/** The models an environment maps with their kind and the snapshots they read from, in one query. */
import { asc, eq } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { environmentSnapshots, snapshots } from '../db/schema.ts';
import { requireText } from './validate.ts';

export interface LineageRow {
  model: string;
  snapshotId: string;
  kind: string;
  /** ids of the snapshots the model's snapshot reads from. */
  parents: string[];
}

/** Sorted by model name; empty for an environment that maps nothing (or does not exist). */
export async function environmentLineage(db: StateDb, environment: string): Promise<LineageRow[]> {
  requireText('environment', environment);
  return db
    .select({
      model: environmentSnapshots.modelName,
      snapshotId: environmentSnapshots.snapshotId,
      kind: snapshots.kind,
      parents: snapshots.parents,
    })
    .from(environmentSnapshots)
    .innerJoin(snapshots, eq(snapshots.id, environmentSnapshots.snapshotId))
    .where(eq(environmentSnapshots.environment, environment))
    .orderBy(asc(environmentSnapshots.modelName));
}
