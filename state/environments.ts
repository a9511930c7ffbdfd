/**
 * Environments and their snapshot maps (model name → snapshot id). A map is only ever replaced as
 * a whole, in one transaction, when a plan's application promotes the environment: a reader sees
 * the old map or the new one, never a mixture.
 */
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { environmentSnapshots, environments, plans, snapshots } from '../db/schema.ts';
import { parseSnapshotId } from './snapshots.ts';
import {
  type Instant,
  invalid,
  iso,
  optionalDate,
  optionalText,
  requireText,
  requireTextList,
} from './validate.ts';

/** model name → snapshot id. */
export type SnapshotMap = Record<string, string>;

export interface EnvironmentRecord {
  name: string;
  /** the plan whose application last replaced the snapshot map. */
  planId: string | null;
  createdAt: string;
  updatedAt: string;
  finalizedAt: string | null;
  expiresAt: string | null;
  /** how many models the environment maps. */
  modelCount: number;
}

export interface PromoteOptions {
  /** when the janitor may remove the environment; null clears it, undefined keeps what is stored. */
  expiresAt?: Instant | null;
}

export async function getEnvironment(db: StateDb, name: string): Promise<EnvironmentRecord | null> {
  requireText('environment', name);
  const rows = await environmentQuery(db).where(eq(environments.name, name));
  const row = rows[0];
  return row ? toRecord(row) : null;
}

export async function listEnvironments(db: StateDb): Promise<EnvironmentRecord[]> {
  const rows = await environmentQuery(db).orderBy(asc(environments.name));
  return rows.map(toRecord);
}

/** The environment's snapshot map; empty for an environment that does not exist yet. */
export async function environmentSnapshotMap(db: StateDb, name: string): Promise<SnapshotMap> {
  requireText('environment', name);
  const rows = await db
    .select({ modelName: environmentSnapshots.modelName, snapshotId: environmentSnapshots.snapshotId })
    .from(environmentSnapshots)
    .where(eq(environmentSnapshots.environment, name))
    .orderBy(asc(environmentSnapshots.modelName));
  return Object.fromEntries(rows.map((row) => [row.modelName, row.snapshotId]));
}

/** Every environment that maps `model`, with the snapshot it maps it to, by environment name. */
export async function snapshotsOfModel(
  db: StateDb,
  model: string,
): Promise<Array<{ environment: string; snapshotId: string }>> {
  requireText('model', model);
  return db
    .select({ environment: environmentSnapshots.environment, snapshotId: environmentSnapshots.snapshotId })
    .from(environmentSnapshots)
    .where(eq(environmentSnapshots.modelName, model))
    .orderBy(asc(environmentSnapshots.environment));
}

/** The models of `environment` whose snapshots read from snapshot `snapshotId`, by name. */
export async function modelsReading(db: StateDb, environment: string, snapshotId: string): Promise<string[]> {
  requireText('environment', environment);
  requireText('snapshotId', snapshotId);
  const rows = await db
    .select({ modelName: environmentSnapshots.modelName })
    .from(environmentSnapshots)
    .innerJoin(snapshots, eq(snapshots.id, environmentSnapshots.snapshotId))
    .where(
      and(
        eq(environmentSnapshots.environment, environment),
        sql`${snapshots.parents} @> ${JSON.stringify([snapshotId])}::jsonb`,
      ),
    )
    .orderBy(asc(environmentSnapshots.modelName));
  return rows.map((row) => row.modelName);
}

/** The environments that map at least one of the models `names`, by name. */
export async function environmentsMapping(db: StateDb, names: readonly string[]): Promise<string[]> {
  const wanted = [...new Set(requireTextList('names', names))];
  if (wanted.length === 0) return [];
  const rows = await db
    .selectDistinct({ environment: environmentSnapshots.environment })
    .from(environmentSnapshots)
    .where(inArray(environmentSnapshots.modelName, wanted))
    .orderBy(asc(environmentSnapshots.environment));
  return rows.map((row) => row.environment);
}

/**
 * Replaces the environment's snapshot map with `map`, creating the environment when it is new.
 * All or nothing: if any snapshot is unknown the old map stays in place.
 */
export async function promoteEnvironment(
  db: StateDb,
  name: string,
  map: SnapshotMap,
  planId: string | null,
  options: PromoteOptions = {},
): Promise<EnvironmentRecord> {
  requireText('environment', name);
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw invalid('snapshot map', map, 'must be an object of model name to snapshot id');
  }
  const entries = Object.entries(map).map(([model, id]) => {
    requireText('snapshot map model name', model);
    requireText(`snapshot map["${model}"]`, id);
    const parsed = parseSnapshotId(id);
    if (parsed.name !== model) {
      throw invalid(`snapshot map["${model}"]`, id, `must be a snapshot of model "${model}"`);
    }
    return { model, id };
  });
  const plan = optionalText('planId', planId);
  const expiresAt =
    options.expiresAt === undefined ? undefined : optionalDate('expiresAt', options.expiresAt);

  await db.transaction(async (tx) => {
    if (plan !== null) {
      const found = await tx.select({ id: plans.id }).from(plans).where(eq(plans.id, plan));
      if (found.length === 0)
        throw new Error(`environment "${name}" cannot be promoted: unknown plan "${plan}"`);
    }
    const now = new Date();
    await tx
      .insert(environments)
      .values({
        name,
        planId: plan,
        createdAt: now,
        updatedAt: now,
        finalizedAt: now,
        expiresAt: expiresAt ?? null,
      })
      .onConflictDoUpdate({
        target: environments.name,
        set: {
          planId: plan,
          updatedAt: now,
          finalizedAt: now,
          ...(expiresAt === undefined ? {} : { expiresAt }),
        },
      });
    await tx.delete(environmentSnapshots).where(eq(environmentSnapshots.environment, name));
    if (entries.length === 0) return;
    const ids = entries.map((entry) => entry.id);
    const inserted = await tx
      .insert(environmentSnapshots)
      .select(
        tx
          .select({
            environment: sql<string>`${name}::text`.as('environment'),
            modelName: snapshots.name,
            snapshotId: snapshots.id,
          })
          .from(snapshots)
          .where(inArray(snapshots.id, ids)),
      )
      .returning({ snapshotId: environmentSnapshots.snapshotId });
    const found = new Set(inserted.map((row) => row.snapshotId));
    const missing = entries.filter((entry) => !found.has(entry.id));
    if (missing.length > 0) {
      throw new Error(
        `environment "${name}" cannot be promoted: unknown snapshot ${missing
          .map((entry) => `"${entry.id}" (model ${entry.model})`)
          .join(', ')}`,
      );
    }
  });
  const promoted = await getEnvironment(db, name);
  if (!promoted) throw new Error(`environment "${name}" vanished right after it was promoted`);
  return promoted;
}

/** Removes an environment and its map (its snapshots stay until the janitor drops them). */
export async function deleteEnvironment(db: StateDb, name: string): Promise<boolean> {
  requireText('environment', name);
  const deleted = await db
    .delete(environments)
    .where(eq(environments.name, name))
    .returning({ name: environments.name });
  return deleted.length > 0;
}

function environmentQuery(db: StateDb) {
  return db
    .select({
      name: environments.name,
      planId: environments.planId,
      createdAt: environments.createdAt,
      updatedAt: environments.updatedAt,
      finalizedAt: environments.finalizedAt,
      expiresAt: environments.expiresAt,
      modelCount: count(environmentSnapshots.modelName),
    })
    .from(environments)
    .leftJoin(environmentSnapshots, eq(environmentSnapshots.environment, environments.name))
    .groupBy(environments.name)
    .$dynamic();
}

type EnvironmentRow = Awaited<ReturnType<ReturnType<typeof environmentQuery>['execute']>>[number];

function toRecord(row: EnvironmentRow): EnvironmentRecord {
  return {
    name: row.name,
    planId: row.planId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    finalizedAt: iso(row.finalizedAt),
    expiresAt: iso(row.expiresAt),
    modelCount: Number(row.modelCount),
  };
}
