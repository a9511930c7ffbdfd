/**
 * The claim on snapshot intervals. Environments that map a model to the same snapshot share its
 * physical table and its completed intervals, so two of them must never write the same interval at
 * the same time. A segment's batches are recorded queued inside one transaction that holds a
 * transaction-level advisory lock per snapshot of the segment (taken in one order, so two segments
 * sharing snapshots wait for each other instead of deadlocking), after looking for executions of the
 * same snapshots, over overlapping intervals, that other runs have queued or are running:
 *
 * - none for a batch: it is recorded queued and is the one to run;
 * - some: the batches before it are claimed and the claim reports its holders; the caller asks
 *   whether their runs are still going, and claims the rest again with the executions of runs that
 *   ended without finishing them marked `abandoned` (those are recorded cancelled in the same
 *   transaction as the new claim).
 *
 * A batch whose interval another run completed while this one waited (recorded since the batch was
 * planned) is recorded skipped and reported already complete: its SQL need not run again.
 * Claiming the same execution id again (a retried activity) returns what the first claim recorded.
 */
import { and, gte, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import { containsInterval, formatInterval, type Interval } from '../../core/intervals.ts';
import type { StateDb } from '../../db/client.ts';
import { type ExecutionLog, type ExecutionStatus, intervals, modelExecutions } from '../../db/schema.ts';
import {
  type QueuedExecution,
  recordExecutionFinished,
  recordExecutionsQueued,
} from '../../state/executions.ts';

/** First key of the advisory locks on snapshots: the bytes of "sluc". */
export const SNAPSHOT_LOCK_NAMESPACE = 0x736c7563;

export interface ClaimRequest {
  executionId: string;
  model: string;
  snapshotId: string;
  interval: Interval | null;
  log: ExecutionLog;
}

export interface SegmentClaim {
  runId: string;
  /** epoch ms. */
  queuedAt: number;
  /** when the batches were planned (epoch ms): intervals other runs completed since count as done. */
  plannedAt: number;
  requests: ClaimRequest[];
}

/** An execution of another run that holds an overlapping interval of the snapshot. */
export interface Holder {
  executionId: string;
  runId: string;
  environment: string;
  model: string;
  interval: Interval | null;
  status: ExecutionStatus;
}

export interface ClaimOutcome {
  /** whether each claimed request (a prefix of the requests) is complete already. */
  alreadyComplete: boolean[];
  /** the holders of the first request not claimed, when one is held. */
  holders?: Holder[];
}

export async function claimSegment(
  db: StateDb,
  claim: SegmentClaim,
  abandoned: ReadonlySet<string>,
): Promise<ClaimOutcome> {
  const { runId, requests } = claim;
  const snapshotIds = [...new Set(requests.map((request) => request.snapshotId))];
  if (requests.length === 0) return { alreadyComplete: [] };
  return db.transaction(async (tx) => {
    const names = sql.join(
      snapshotIds.map((id) => sql`${id}::text`),
      sql`, `,
    );
    await tx.execute(
      sql`select pg_advisory_xact_lock(${SNAPSHOT_LOCK_NAMESPACE}::int, k) from (select distinct hashtext(s) as k from unnest(array[${names}]) as s) keys order by k`,
    );
    const own = new Map(
      (
        await tx
          .select({
            id: modelExecutions.id,
            status: modelExecutions.status,
            snapshotId: modelExecutions.snapshotId,
          })
          .from(modelExecutions)
          .where(
            inArray(
              modelExecutions.id,
              requests.map((request) => request.executionId),
            ),
          )
      ).map((row) => [row.id, row]),
    );
    const inFlight = (
      await tx
        .select()
        .from(modelExecutions)
        .where(
          and(
            inArray(modelExecutions.snapshotId, snapshotIds),
            inArray(modelExecutions.status, ['queued', 'running']),
            ne(modelExecutions.runId, runId),
          ),
        )
        .orderBy(modelExecutions.queuedAt, modelExecutions.id)
    ).map((row) => ({
      snapshotId: row.snapshotId,
      holder: {
        executionId: row.id,
        runId: row.runId,
        environment: row.environment,
        model: row.model,
        interval:
          row.intervalStartMs === null || row.intervalEndMs === null
            ? null
            : ([row.intervalStartMs, row.intervalEndMs] as Interval),
        status: row.status,
      } satisfies Holder,
    }));
    const completed = await completedMeanwhile(tx, claim, snapshotIds);

    const alreadyComplete: boolean[] = [];
    const queued: QueuedExecution[] = [];
    const taken: Holder[] = [];
    let holders: Holder[] | undefined;
    for (const request of requests) {
      const recorded = own.get(request.executionId);
      if (recorded) {
        if (recorded.snapshotId !== request.snapshotId) {
          throw new Error(
            `execution "${request.executionId}" was prepared for snapshot ${recorded.snapshotId}, not ${request.snapshotId}`,
          );
        }
        alreadyComplete.push(recorded.status === 'succeeded' || recorded.status === 'skipped');
        continue;
      }
      const overlapping = inFlight
        .filter(
          (row) => row.snapshotId === request.snapshotId && overlaps(row.holder.interval, request.interval),
        )
        .map((row) => row.holder);
      const busy = overlapping.filter((holder) => !abandoned.has(holder.executionId));
      if (busy.length > 0) {
        holders = busy;
        break;
      }
      taken.push(...overlapping);
      const doneBy = request.interval && doneMeanwhile(completed, request.snapshotId, request.interval);
      queued.push({
        id: request.executionId,
        runId,
        model: request.model,
        snapshotId: request.snapshotId,
        interval: request.interval ? [request.interval[0], request.interval[1]] : null,
        queuedAt: claim.queuedAt,
        log: request.log,
        ...(doneBy
          ? { skipReason: `${formatInterval(request.interval!)} was completed meanwhile by ${doneBy}` }
          : {}),
      });
      alreadyComplete.push(Boolean(doneBy));
    }

    for (const holder of new Map(taken.map((h) => [h.executionId, h])).values()) {
      await recordExecutionFinished(tx, holder.executionId, {
        status: 'cancelled',
        at: claim.queuedAt,
        error: `abandoned: run ${holder.runId} ended without finishing it (claimed again by run ${runId})`,
      });
    }
    await recordExecutionsQueued(tx, queued);
    return { alreadyComplete, ...(holders ? { holders } : {}) };
  });
}

/** Whether two intervals overlap; a batch without one covers the whole table. */
function overlaps(a: Interval | null, b: Interval | null): boolean {
  return a === null || b === null || (a[0] < b[1] && a[1] > b[0]);
}

interface CompletedRange {
  snapshotId: string;
  range: Interval;
  runId: string | null;
}

/** The ranges of the snapshots that other runs recorded complete since the batches were planned. */
async function completedMeanwhile(
  db: StateDb,
  claim: SegmentClaim,
  snapshotIds: string[],
): Promise<CompletedRange[]> {
  const rows = await db
    .select({
      snapshotId: intervals.snapshotId,
      startMs: intervals.startMs,
      endMs: intervals.endMs,
      runId: intervals.runId,
    })
    .from(intervals)
    .where(
      and(
        inArray(intervals.snapshotId, snapshotIds),
        gte(intervals.recordedAt, new Date(claim.plannedAt)),
        or(isNull(intervals.runId), ne(intervals.runId, claim.runId)),
      ),
    );
  return rows.map((row) => ({
    snapshotId: row.snapshotId,
    range: [row.startMs, row.endMs],
    runId: row.runId,
  }));
}

/**
 * Who completed all of `interval` of the snapshot meanwhile (the runs, or "another run" when they
 * are not recorded), or null when it is not complete.
 */
function doneMeanwhile(completed: CompletedRange[], snapshotId: string, interval: Interval): string | null {
  const ranges = completed.filter(
    (entry) => entry.snapshotId === snapshotId && overlaps(entry.range, interval),
  );
  if (
    !containsInterval(
      ranges.map((entry) => entry.range),
      interval,
    )
  )
    return null;
  const runs = [
    ...new Set(ranges.map((entry) => entry.runId).filter((id): id is string => id !== null)),
  ].sort();
  return runs.length > 0 ? `run ${runs.join(', run ')}` : 'another run';
}
