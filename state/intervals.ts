/**
 * Completed intervals per snapshot. A range is recorded only after the SQL that filled it
 * committed; recording it again (an activity retry) changes nothing. Ranges are stored as recorded
 * and merged on read. Restatement clears a range, clipping or splitting the stored ones around it.
 */
import { and, asc, gt, inArray, lt, sql } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { intervals, snapshots } from '../db/schema.ts';
import { type Interval, optionalText, requireInterval, requireText, requireTextList } from './validate.ts';

export type { Interval } from './validate.ts';

/** What produced a range, kept for provenance. */
export interface IntervalSource {
  runId?: string | null;
  executionId?: string | null;
}

/** Rows per insert statement, well under the driver's parameter limit. */
const INSERT_CHUNK = 2000;

/** Sorts ranges and joins the ones that overlap or touch. */
export function mergeIntervals(ranges: readonly Interval[]): Interval[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Interval[] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

export async function recordIntervals(
  db: StateDb,
  snapshotId: string,
  ranges: readonly Interval[],
  source: IntervalSource = {},
): Promise<{ recorded: number }> {
  requireText('snapshotId', snapshotId);
  if (!Array.isArray(ranges))
    throw new Error(`intervals must be a list of [start, end] pairs for ${snapshotId}`);
  const checked = ranges.map((range, index) =>
    requireInterval(`intervals[${index}] of ${snapshotId}`, range),
  );
  const runId = optionalText('source.runId', source.runId);
  const executionId = optionalText('source.executionId', source.executionId);
  return recordIntervalRanges(
    db,
    checked.map((range) => ({ snapshotId, range, runId, executionId })),
  );
}

/** A completed range of one snapshot and what produced it. */
export interface CompletedRange extends IntervalSource {
  snapshotId: string;
  range: Interval;
}

/**
 * `recordIntervals` for ranges of any snapshots at once: one look-up of the snapshots and one insert
 * (per chunk). A range recorded already for its snapshot is left as it is.
 */
export async function recordIntervalRanges(
  db: StateDb,
  entries: readonly CompletedRange[],
): Promise<{ recorded: number }> {
  if (!Array.isArray(entries)) throw new Error('completed ranges must be a list of { snapshotId, range }');
  const checked = entries.map((entry, index) => ({
    snapshotId: requireText(`ranges[${index}].snapshotId`, entry?.snapshotId),
    startMs: requireInterval(`ranges[${index}].range`, entry?.range)[0],
    endMs: entry.range[1],
    runId: optionalText(`ranges[${index}].runId`, entry.runId),
    executionId: optionalText(`ranges[${index}].executionId`, entry.executionId),
  }));
  if (checked.length === 0) return { recorded: 0 };
  await requireSnapshots(db, [...new Set(checked.map((entry) => entry.snapshotId))]);

  const unique = [
    ...new Map(
      checked.map((entry) => [`${entry.snapshotId}:${entry.startMs}:${entry.endMs}`, entry]),
    ).values(),
  ];
  const recordedAt = new Date().toISOString();
  let recorded = 0;
  for (let offset = 0; offset < unique.length; offset += INSERT_CHUNK) {
    const chunk = unique.slice(offset, offset + INSERT_CHUNK).map((entry) => ({
      snapshot_id: entry.snapshotId,
      start_ms: entry.startMs,
      end_ms: entry.endMs,
      run_id: entry.runId,
      execution_id: entry.executionId,
    }));
    // One JSON parameter instead of five per range: the statement is built and bound in no time.
    const result = await db.execute(sql`insert into ${intervals}
      (snapshot_id, start_ms, end_ms, recorded_at, run_id, execution_id)
      select r.snapshot_id, r.start_ms, r.end_ms, ${recordedAt}::timestamptz, r.run_id, r.execution_id
      from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as r(snapshot_id text, start_ms bigint,
        end_ms bigint, run_id text, execution_id text)
      on conflict do nothing
      returning start_ms`);
    recorded += (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows).length;
  }
  return { recorded };
}

/** Merged completed ranges for each requested snapshot (an empty list when it has none). */
export async function completedIntervals(
  db: StateDb,
  snapshotIds: readonly string[],
): Promise<Record<string, Interval[]>> {
  const ids = [...new Set(requireTextList('snapshotIds', snapshotIds))];
  const result: Record<string, Interval[]> = Object.fromEntries(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const rows = await db
    .select({ snapshotId: intervals.snapshotId, startMs: intervals.startMs, endMs: intervals.endMs })
    .from(intervals)
    .where(inArray(intervals.snapshotId, ids))
    .orderBy(asc(intervals.snapshotId), asc(intervals.startMs));
  const stored = new Map<string, Interval[]>();
  for (const row of rows) {
    const list = stored.get(row.snapshotId) ?? [];
    list.push([row.startMs, row.endMs]);
    stored.set(row.snapshotId, list);
  }
  for (const [id, list] of stored) result[id] = mergeIntervals(list);
  return result;
}

/**
 * `completedIntervals` merged by the database: each snapshot's stored ranges joined where they
 * overlap or touch before they are read, so a screen of thousands of models reads a few ranges per
 * model rather than every batch ever recorded. One query whatever the number of snapshots.
 */
export async function mergedCompletedIntervals(
  db: StateDb,
  snapshotIds: readonly string[],
): Promise<Record<string, Interval[]>> {
  const ids = [...new Set(requireTextList('snapshotIds', snapshotIds))];
  const result: Record<string, Interval[]> = Object.fromEntries(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  // a range starts a new island when it begins after every range before it has ended
  const answer = await db.execute(sql`
    select snapshot_id, min(start_ms) as start_ms, max(end_ms) as end_ms
    from (
      select snapshot_id, start_ms, end_ms,
        sum(case when start_ms <= reached then 0 else 1 end)
          over (partition by snapshot_id order by start_ms, end_ms) as island
      from (
        select snapshot_id, start_ms, end_ms,
          max(end_ms) over (partition by snapshot_id order by start_ms, end_ms
            rows between unbounded preceding and 1 preceding) as reached
        from ${intervals}
        where snapshot_id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
      ) as ranges
    ) as islands
    group by snapshot_id, island
    order by snapshot_id, start_ms`);
  const rows = (Array.isArray(answer) ? answer : (answer as { rows: unknown[] }).rows) as Array<{
    snapshot_id: string;
    start_ms: string | number;
    end_ms: string | number;
  }>;
  for (const row of rows) {
    result[row.snapshot_id]!.push([Number(row.start_ms), Number(row.end_ms)]);
  }
  return result;
}

/**
 * Removes `range` from the completed intervals of each snapshot (restatement): stored ranges
 * inside it are deleted, ranges that straddle it keep the parts outside it. Returns, per snapshot,
 * the merged ranges that were completed and are not any more.
 */
export async function clearIntervals(
  db: StateDb,
  snapshotIds: readonly string[],
  range: Interval,
): Promise<Record<string, Interval[]>> {
  const ids = [...new Set(requireTextList('snapshotIds', snapshotIds))];
  const checked = requireInterval('range', range);
  return clearIntervalRanges(
    db,
    ids.map((snapshotId) => ({ snapshotId, range: checked })),
  );
}

/** A range to clear from one snapshot's completed intervals. */
export interface ClearRequest {
  snapshotId: string;
  range: Interval;
}

/**
 * `clearIntervals` for a range per snapshot, all in one transaction: a restatement that reaches
 * several snapshots (in several environments) forgets all of their ranges or none.
 */
export async function clearIntervalRanges(
  db: StateDb,
  requests: readonly ClearRequest[],
): Promise<Record<string, Interval[]>> {
  if (!Array.isArray(requests)) throw new Error('clear requests must be a list of { snapshotId, range }');
  const checked = requests.map((request, index) => ({
    snapshotId: requireText(`requests[${index}].snapshotId`, request?.snapshotId),
    range: requireInterval(`requests[${index}].range`, request?.range),
  }));
  const byRange = new Map<string, { range: Interval; ids: Set<string> }>();
  for (const { snapshotId, range } of checked) {
    const key = `${range[0]}:${range[1]}`;
    const group = byRange.get(key) ?? { range, ids: new Set<string>() };
    group.ids.add(snapshotId);
    byRange.set(key, group);
  }
  const result: Record<string, Interval[]> = Object.fromEntries(
    checked.map(({ snapshotId }) => [snapshotId, []]),
  );
  if (checked.length === 0) return result;

  return db.transaction(async (tx) => {
    const cleared = new Map<string, Interval[]>();
    for (const { range, ids } of byRange.values()) {
      const [clearStart, clearEnd] = range;
      const overlapping = and(
        inArray(intervals.snapshotId, [...ids]),
        lt(intervals.startMs, clearEnd),
        gt(intervals.endMs, clearStart),
      );
      const removed = await tx.delete(intervals).where(overlapping).returning();
      const remnants: (typeof intervals.$inferInsert)[] = [];
      for (const row of removed) {
        if (row.startMs < clearStart) remnants.push({ ...row, endMs: clearStart });
        if (row.endMs > clearEnd) remnants.push({ ...row, startMs: clearEnd });
        const list = cleared.get(row.snapshotId) ?? [];
        list.push([Math.max(row.startMs, clearStart), Math.min(row.endMs, clearEnd)]);
        cleared.set(row.snapshotId, list);
      }
      for (let offset = 0; offset < remnants.length; offset += INSERT_CHUNK) {
        await tx
          .insert(intervals)
          .values(remnants.slice(offset, offset + INSERT_CHUNK))
          .onConflictDoNothing();
      }
    }
    for (const [id, list] of cleared) result[id] = mergeIntervals(list);
    return result;
  });
}

async function requireSnapshots(db: StateDb, ids: string[]): Promise<void> {
  const found = await db.select({ id: snapshots.id }).from(snapshots).where(inArray(snapshots.id, ids));
  const known = new Set(found.map((row) => row.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) throw new Error(`unknown snapshot ${missing.map((id) => `"${id}"`).join(', ')}`);
}
