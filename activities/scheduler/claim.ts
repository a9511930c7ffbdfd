/**
 * The claim on a snapshot interval. Environments that map a model to the same snapshot share its
 * physical table and its completed intervals, so two of them must never write the same interval at
 * the same time. Each prepared batch is recorded queued inside a transaction that holds a
 * transaction-level advisory lock keyed on the snapshot, after looking for an execution of the same
 * snapshot, over an overlapping interval, that another run has queued or is running:
 *
 * - none: the batch is recorded queued and is the one to run;
 * - some: the claim reports them; the caller asks whether their runs are still going, and claims
 *   again with the executions of runs that ended without finishing them marked `abandoned` (those
 *   are recorded cancelled in the same transaction as the new claim).
 *
 * A batch whose interval another run completed while this one waited (recorded since the batch was
 * planned) is recorded skipped and reported already complete: its SQL need not run again.
 * Claiming the same execution id again (a retried activity) returns what the first claim recorded.
 */
import { and, eq, gt, gte, inArray, isNull, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import { containsInterval, formatInterval, type Interval } from '../../core/intervals.ts';
import type { StateDb } from '../../db/client.ts';
import { type ExecutionLog, type ExecutionStatus, intervals, modelExecutions } from '../../db/schema.ts';
import { recordExecutionFinished, recordExecutionQueued } from '../../state/executions.ts';

/** First key of the advisory locks on snapshots: the bytes of "sluc". */
export const SNAPSHOT_LOCK_NAMESPACE = 0x736c7563;

export interface ClaimRequest {
  executionId: string;
  runId: string;
  model: string;
  snapshotId: string;
  interval: Interval | null;
  /** epoch ms. */
  queuedAt: number;
  log: ExecutionLog;
  /** when the batch was planned (epoch ms): intervals other runs completed since count as done. */
  plannedAt: number;
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

export type ClaimOutcome =
  | { kind: 'claimed'; alreadyComplete: boolean }
  | { kind: 'busy'; holders: Holder[] };

export async function claimBatch(
  db: StateDb,
  request: ClaimRequest,
  abandoned: ReadonlySet<string>,
): Promise<ClaimOutcome> {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select pg_advisory_xact_lock(${SNAPSHOT_LOCK_NAMESPACE}::int, hashtext(${request.snapshotId}::text))`,
    );
    const own = (
      await tx
        .select({ status: modelExecutions.status, snapshotId: modelExecutions.snapshotId })
        .from(modelExecutions)
        .where(eq(modelExecutions.id, request.executionId))
    )[0];
    if (own) {
      if (own.snapshotId !== request.snapshotId) {
        throw new Error(
          `execution "${request.executionId}" was prepared for snapshot ${own.snapshotId}, not ${request.snapshotId}`,
        );
      }
      return { kind: 'claimed', alreadyComplete: own.status === 'succeeded' || own.status === 'skipped' };
    }

    const holders = (
      await tx
        .select()
        .from(modelExecutions)
        .where(
          and(
            eq(modelExecutions.snapshotId, request.snapshotId),
            inArray(modelExecutions.status, ['queued', 'running']),
            ne(modelExecutions.runId, request.runId),
            overlapping(request.interval),
          ),
        )
        .orderBy(modelExecutions.queuedAt, modelExecutions.id)
    ).map(
      (row): Holder => ({
        executionId: row.id,
        runId: row.runId,
        environment: row.environment,
        model: row.model,
        interval:
          row.intervalStartMs === null || row.intervalEndMs === null
            ? null
            : [row.intervalStartMs, row.intervalEndMs],
        status: row.status,
      }),
    );
    const busy = holders.filter((holder) => !abandoned.has(holder.executionId));
    if (busy.length > 0) return { kind: 'busy', holders: busy };
    for (const holder of holders) {
      await recordExecutionFinished(tx, holder.executionId, {
        status: 'cancelled',
        at: request.queuedAt,
        error: `abandoned: run ${holder.runId} ended without finishing it (claimed again by run ${request.runId})`,
      });
    }

    await recordExecutionQueued(tx, {
      id: request.executionId,
      runId: request.runId,
      model: request.model,
      snapshotId: request.snapshotId,
      interval: request.interval ? [request.interval[0], request.interval[1]] : null,
      queuedAt: request.queuedAt,
      log: request.log,
    });
    if (request.interval === null) return { kind: 'claimed', alreadyComplete: false };
    const doneBy = await completedMeanwhile(tx, request, request.interval);
    if (doneBy === null) return { kind: 'claimed', alreadyComplete: false };
    await recordExecutionFinished(tx, request.executionId, {
      status: 'skipped',
      at: request.queuedAt,
      skipReason: `${formatInterval(request.interval)} was completed meanwhile by ${
        doneBy.length > 0 ? `run ${doneBy.join(', run ')}` : 'another run'
      }`,
    });
    return { kind: 'claimed', alreadyComplete: true };
  });
}

/** Executions whose interval overlaps `interval`; a batch without one covers the whole table. */
function overlapping(interval: Interval | null): SQL | undefined {
  if (interval === null) return undefined;
  return or(
    isNull(modelExecutions.intervalStartMs),
    and(lt(modelExecutions.intervalStartMs, interval[1]), gt(modelExecutions.intervalEndMs, interval[0])),
  );
}

/**
 * The runs that completed all of `interval` since the batch was planned (an empty list when they
 * are not recorded), or null when it is not complete.
 */
async function completedMeanwhile(
  db: StateDb,
  request: ClaimRequest,
  interval: Interval,
): Promise<string[] | null> {
  const rows = await db
    .select({ startMs: intervals.startMs, endMs: intervals.endMs, runId: intervals.runId })
    .from(intervals)
    .where(
      and(
        eq(intervals.snapshotId, request.snapshotId),
        gte(intervals.recordedAt, new Date(request.plannedAt)),
        or(isNull(intervals.runId), ne(intervals.runId, request.runId)),
        lt(intervals.startMs, interval[1]),
        gt(intervals.endMs, interval[0]),
      ),
    );
  const ranges = rows.map((row): Interval => [row.startMs, row.endMs]);
  if (!containsInterval(ranges, interval)) return null;
  return [...new Set(rows.map((row) => row.runId).filter((id): id is string => id !== null))].sort();
}
