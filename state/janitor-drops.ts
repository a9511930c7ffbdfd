/**
 * The janitor's record of physical tables it drops: a row per snapshot, written `dropping` before
 * the executor drops the table and `dropped` after, in the same transaction that deletes the
 * snapshot's row. A pass that died between the two finds its `dropping` rows and finishes them; a
 * snapshot recorded `dropped` has no row left, so it is never chosen again (unless a later plan
 * stores the same snapshot anew, whose table is then a new one to drop in its turn).
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { type JanitorDropStatus, janitorDrops, snapshots } from '../db/schema.ts';
import { afterCursor, decodeCursor, newestFirst, type Page, pageSize, toPage } from './pagination.ts';
import { type Instant, iso, requireText, requireTextList, toDate } from './validate.ts';

export interface JanitorDropInput {
  snapshotId: string;
  gateway: string;
  /** null for an EMBEDDED model, which has no table. */
  physicalTable: string | null;
}

export interface JanitorDrop extends JanitorDropInput {
  status: JanitorDropStatus;
  decidedBy: string;
  decidedAt: string;
  executor: string | null;
  droppedAt: string | null;
}

type DropRow = typeof janitorDrops.$inferSelect;

/**
 * Records the drops about to happen (`dropping`). A drop already `dropping` keeps its record; one
 * recorded `dropped` whose snapshot was stored again since is recorded anew.
 */
export async function recordDropping(
  db: StateDb,
  drops: readonly JanitorDropInput[],
  decidedBy: string,
  at: Instant = new Date(),
): Promise<void> {
  if (drops.length === 0) return;
  const by = requireText('decidedBy', decidedBy);
  const decidedAt = toDate('at', at);
  const values = drops.map((drop) => ({
    snapshotId: requireText('snapshotId', drop.snapshotId),
    gateway: requireText('gateway', drop.gateway),
    physicalTable: drop.physicalTable,
    status: 'dropping' as const,
    decidedBy: by,
    decidedAt,
  }));
  await db
    .insert(janitorDrops)
    .values(values)
    .onConflictDoUpdate({
      target: janitorDrops.snapshotId,
      set: { status: 'dropping', decidedBy: by, decidedAt, executor: null, droppedAt: null },
      setWhere: eq(janitorDrops.status, 'dropped'),
    });
}

/** Drops recorded `dropping` and not finished, oldest first. */
export async function unfinishedDrops(db: StateDb): Promise<JanitorDrop[]> {
  const rows = await db
    .select()
    .from(janitorDrops)
    .where(eq(janitorDrops.status, 'dropping'))
    .orderBy(janitorDrops.decidedAt, janitorDrops.snapshotId);
  return rows.map(toRecord);
}

/** Forgets `dropping` records of snapshots that are in use again, so they are not dropped. */
export async function abandonDrops(db: StateDb, snapshotIds: readonly string[]): Promise<void> {
  const ids = [...new Set(requireTextList('snapshotIds', snapshotIds))];
  if (ids.length === 0) return;
  await db
    .delete(janitorDrops)
    .where(and(inArray(janitorDrops.snapshotId, ids), eq(janitorDrops.status, 'dropping')));
}

/**
 * Records the drops done (`dropped`, by `executor`) and deletes their snapshots (and intervals), in
 * one transaction; a drop already recorded done changes nothing.
 */
export async function recordDropped(
  db: StateDb,
  snapshotIds: readonly string[],
  executor: string,
  at: Instant = new Date(),
): Promise<string[]> {
  const ids = [...new Set(requireTextList('snapshotIds', snapshotIds))];
  if (ids.length === 0) return [];
  const by = requireText('executor', executor);
  const droppedAt = toDate('at', at);
  return db.transaction(async (tx) => {
    const done = await tx
      .update(janitorDrops)
      .set({ status: 'dropped', executor: by, droppedAt })
      .where(and(inArray(janitorDrops.snapshotId, ids), eq(janitorDrops.status, 'dropping')))
      .returning({ snapshotId: janitorDrops.snapshotId });
    const finished = done.map((row) => row.snapshotId);
    if (finished.length > 0) await tx.delete(snapshots).where(inArray(snapshots.id, finished));
    return finished;
  });
}

/** The janitor's drops, newest decision first, one page at a time. */
export async function listDrops(
  db: StateDb,
  filter: { limit?: number; cursor?: string } = {},
): Promise<Page<JanitorDrop>> {
  const limit = pageSize(filter.limit);
  const rows = await db
    .select()
    .from(janitorDrops)
    .where(
      filter.cursor === undefined
        ? undefined
        : afterCursor(
            janitorDrops.decidedAt,
            janitorDrops.snapshotId,
            decodeCursor<string>(filter.cursor, 'string'),
          ),
    )
    .orderBy(...newestFirst(janitorDrops.decidedAt, janitorDrops.snapshotId))
    .limit(limit + 1);
  return toPage(rows, limit, (row) => ({ at: row.decidedAt, id: row.snapshotId }), toRecord);
}

function toRecord(row: DropRow): JanitorDrop {
  return {
    snapshotId: row.snapshotId,
    gateway: row.gateway,
    physicalTable: row.physicalTable,
    status: row.status,
    decidedBy: row.decidedBy,
    decidedAt: iso(row.decidedAt),
    executor: row.executor,
    droppedAt: iso(row.droppedAt),
  };
}
