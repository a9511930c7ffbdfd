/**
 * The janitor: removes what no environment uses any more. Expired environments (their
 * `expiresAt` has passed) lose their views and their snapshot map; then every snapshot that no
 * environment maps to and no open plan (pending, queued or applying) is about to map loses its
 * physical table, and its row and completed intervals are deleted. Tables are dropped before rows,
 * and readers before the tables they read (PostgreSQL refuses to drop a table a view reads), so a
 * janitor that stops half-way leaves nothing that a later run cannot finish.
 */
import { Dag } from '../core/dag.ts';
import { qualifiedName } from '../core/naming.ts';
import type { StateDb } from '../db/client.ts';
import type { EnginePool } from '../engines/pool.ts';
import { dropPhysicalTables, dropViews } from '../engines/views.ts';
import { deleteEnvironment, environmentSnapshotMap, listEnvironments } from '../state/environments.ts';
import { listPlans } from '../state/plans.ts';
import {
  deleteSnapshots,
  getSnapshots,
  type SnapshotRecord,
  unreferencedSnapshots,
} from '../state/snapshots.ts';

export interface JanitorInput {
  db: StateDb;
  engines: EnginePool;
  /** the time environments' expiry is compared with; now by default. */
  now?: number;
  /** only snapshots stored before this time are dropped; all unreferenced ones by default. */
  createdBefore?: number;
}

export interface JanitorResult {
  /** expired environments that were removed. */
  environments: string[];
  /** snapshots whose physical table was dropped and whose row was deleted. */
  snapshots: string[];
  /** unreferenced snapshots left in place, with the reason. */
  kept: Array<{ snapshotId: string; reason: string }>;
}

const OPEN_PLAN_STATUSES = ['pending', 'queued', 'applying'] as const;

export async function janitor(input: JanitorInput): Promise<JanitorResult> {
  const { db, engines } = input;
  const environments = await removeExpiredEnvironments(db, engines, input.now ?? Date.now());

  const candidates = await unreferencedSnapshots(
    db,
    input.createdBefore === undefined ? {} : { createdBefore: input.createdBefore },
  );
  const planned = await snapshotsOfOpenPlans(db);
  const kept: JanitorResult['kept'] = [];
  const removable: SnapshotRecord[] = [];
  for (const snapshot of candidates) {
    if (planned.has(snapshot.id)) kept.push({ snapshotId: snapshot.id, reason: 'an open plan maps it' });
    else if (!engines.has(snapshot.gateway)) {
      kept.push({ snapshotId: snapshot.id, reason: `gateway "${snapshot.gateway}" is not configured here` });
    } else removable.push(snapshot);
  }

  const removed: string[] = [];
  for (const snapshot of readersFirst(removable)) {
    if (snapshot.kind !== 'EMBEDDED') {
      const table = qualifiedName(snapshot.physicalSchema, snapshot.physicalTable);
      await dropPhysicalTables(engines.get(snapshot.gateway), [table]);
    }
    removed.push(snapshot.id);
  }
  const { deleted } = await deleteSnapshots(db, removed);
  return { environments, snapshots: deleted, kept };
}

/** Removes environments whose expiry has passed: their views first, then their state. */
async function removeExpiredEnvironments(db: StateDb, engines: EnginePool, now: number): Promise<string[]> {
  const expired = (await listEnvironments(db)).filter(
    (environment) => environment.expiresAt !== null && Date.parse(environment.expiresAt) <= now,
  );
  const removed: string[] = [];
  for (const environment of expired) {
    const map = await environmentSnapshotMap(db, environment.name);
    const byGateway = new Map<string, string[]>();
    for (const snapshot of await getSnapshots(db, Object.values(map))) {
      if (snapshot.kind === 'EMBEDDED') continue;
      byGateway.set(snapshot.gateway, [...(byGateway.get(snapshot.gateway) ?? []), snapshot.name]);
    }
    for (const [gateway, models] of byGateway)
      await dropViews(engines.get(gateway), environment.name, models);
    if (await deleteEnvironment(db, environment.name)) removed.push(environment.name);
  }
  return removed;
}

/** Snapshot ids that open plans will store or map. */
async function snapshotsOfOpenPlans(db: StateDb): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await listPlans(db, {
      status: [...OPEN_PLAN_STATUSES],
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    for (const plan of page.items) {
      const diff = plan.diff as { snapshotMap?: unknown; newSnapshots?: unknown } | null;
      if (diff?.snapshotMap && typeof diff.snapshotMap === 'object') {
        for (const id of Object.values(diff.snapshotMap)) if (typeof id === 'string') ids.add(id);
      }
      if (Array.isArray(diff?.newSnapshots)) {
        for (const snapshot of diff.newSnapshots) {
          const id = (snapshot as { snapshotId?: unknown } | null)?.snapshotId;
          if (typeof id === 'string') ids.add(id);
        }
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

/** Snapshots ordered so that each comes before the snapshots it reads from. */
function readersFirst(snapshots: readonly SnapshotRecord[]): SnapshotRecord[] {
  const byId = new Map(snapshots.map((snapshot) => [snapshot.id, snapshot]));
  const dag = new Dag(Object.fromEntries(snapshots.map((snapshot) => [snapshot.id, snapshot.parents])));
  return dag
    .topologicalOrder()
    .reverse()
    .map((id) => byId.get(id)!);
}
