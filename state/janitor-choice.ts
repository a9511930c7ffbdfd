/**
 * What the janitor may drop: the physical tables of snapshots that no environment maps and no open
 * plan (pending, queued or applying) is about to map, stored before the grace period began, plus the
 * drops an earlier pass recorded and did not finish (unless their snapshot is in use again). Readers
 * come before the tables they read, since PostgreSQL refuses to drop a table a view reads. And the
 * environments whose expiry has passed, which the janitor deletes first.
 */
import { Dag } from '../core/dag.ts';
import { PROD_ENVIRONMENT, qualifiedName } from '../core/naming.ts';
import type { StateDb } from '../db/client.ts';
import { listEnvironments } from './environments.ts';
import { abandonDrops, type JanitorDropInput, unfinishedDrops } from './janitor-drops.ts';
import { listPlans } from './plans.ts';
import { getSnapshots, type SnapshotRecord, unreferencedSnapshots } from './snapshots.ts';
import type { Instant } from './validate.ts';

const OPEN_PLAN_STATUSES = ['pending', 'queued', 'applying'] as const;

/** At most this many tables a pass drops; the next pass takes the rest. */
export const MAX_DROPS_PER_PASS = 1_000;

export interface JanitorChoice {
  /** the drops, readers first. */
  drops: JanitorDropInput[];
  /** unreferenced snapshots left in place, with the reason. */
  kept: Array<{ snapshotId: string; reason: string }>;
}

/** Non-prod environments whose expiry is at or before `now`, by name. */
export async function expiredEnvironments(db: StateDb, now: number): Promise<string[]> {
  return (await listEnvironments(db))
    .filter((e) => e.name !== PROD_ENVIRONMENT && e.expiresAt !== null && Date.parse(e.expiresAt) <= now)
    .map((e) => e.name);
}

export async function chooseDrops(db: StateDb, options: { createdBefore: Instant }): Promise<JanitorChoice> {
  const planned = await snapshotsOfOpenPlans(db);
  const unreferenced = new Map((await unreferencedSnapshots(db)).map((s) => [s.id, s]));
  const kept: JanitorChoice['kept'] = [];

  // an earlier pass's drops first, unless their snapshot is in use again
  const resumed: JanitorDropInput[] = [];
  const inUseAgain: string[] = [];
  for (const drop of await unfinishedDrops(db)) {
    if (planned.has(drop.snapshotId)) inUseAgain.push(drop.snapshotId);
    else if (!unreferenced.has(drop.snapshotId) && (await stillStored(db, drop.snapshotId))) {
      inUseAgain.push(drop.snapshotId);
    } else resumed.push(drop);
  }
  await abandonDrops(db, inUseAgain);
  const taken = new Set(resumed.map((drop) => drop.snapshotId));

  const removable: SnapshotRecord[] = [];
  for (const snapshot of await unreferencedSnapshots(db, { createdBefore: options.createdBefore })) {
    if (taken.has(snapshot.id)) continue;
    if (planned.has(snapshot.id)) kept.push({ snapshotId: snapshot.id, reason: 'an open plan maps it' });
    else removable.push(snapshot);
  }
  const drops = [
    ...resumed,
    ...readersFirst(removable).map((snapshot) => ({
      snapshotId: snapshot.id,
      gateway: snapshot.gateway,
      physicalTable:
        snapshot.kind === 'EMBEDDED' ? null : qualifiedName(snapshot.physicalSchema, snapshot.physicalTable),
    })),
  ];
  return { drops: drops.slice(0, MAX_DROPS_PER_PASS), kept };
}

async function stillStored(db: StateDb, snapshotId: string): Promise<boolean> {
  return (await getSnapshots(db, [snapshotId])).length > 0;
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
