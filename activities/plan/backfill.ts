/**
 * Apply step (c): executes the plan's backfill in dependency order, every model after the models
 * it reads (paused models too: a plan executes everything in its diff). Each batch is rendered
 * against the plan's new snapshot map, run with `executeBatch`, and its intervals are recorded only
 * after its transaction committed. The batches are recorded as model executions of one run with
 * trigger `plan`. A batch whose intervals are already complete (an application that is retried)
 * is not run again. The first failure stops the backfill with a PlanBackfillError naming the
 * model and the interval.
 */
import { hostname } from 'node:os';
import { containsInterval, type Interval } from '../../core/intervals.ts';
import { batchRequest, executionIntervals, planTables } from '../../core/plan/requests.ts';
import type { BackfillEntry, PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import type { EnginePool } from '../engines/pool.ts';
import { executeBatch } from '../execution/execute-batch.ts';
import {
  getExecution,
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../state/executions.ts';
import { completedIntervals, recordIntervals } from '../state/intervals.ts';
import { createRun, updateRunStatus } from '../state/runs.ts';
import { PlanBackfillError } from './backfill-error.ts';
import type { PlanProgress } from './progress.ts';

export interface BackfillInput {
  db: StateDb;
  engines: EnginePool;
  project: Project;
  diff: PlanDiff;
  planId: string;
  /** awaited before the backfill goes on. */
  onProgress?: (progress: PlanProgress) => void | Promise<void>;
  signal?: AbortSignal;
  /** identity recorded on each execution; `apply@<host>` by default. */
  executor?: string;
}

export interface BackfillResult {
  /** the run the backfill's executions belong to; null when there was nothing to execute. */
  runId: string | null;
  executions: number;
  /** batches skipped because their intervals were complete already. */
  alreadyComplete: number;
  rowsAffected: number;
}

export interface BatchInput extends Omit<BackfillInput, 'onProgress' | 'planId'> {
  runId: string;
  entry: BackfillEntry;
  interval: Interval | null;
  tables?: Readonly<Record<string, string>>;
}

/** The id of the run that records a plan's backfill. */
export function planRunId(planId: string): string {
  return `plan-${planId}`;
}

export async function backfillPlan(input: BackfillInput): Promise<BackfillResult> {
  const { db, diff, planId } = input;
  const total = diff.backfill.reduce((sum, entry) => sum + executionIntervals(entry).length, 0);
  if (total === 0) return { runId: null, executions: 0, alreadyComplete: 0, rowsAffected: 0 };

  const runId = planRunId(planId);
  await createRun(db, {
    id: runId,
    environment: diff.environment,
    trigger: 'plan',
    scheduledAt: diff.now,
    models: diff.backfill.map((entry) => entry.model),
    planId,
    status: 'running',
  });
  const tables = planTables(input.project, diff);
  const result: BackfillResult = { runId, executions: 0, alreadyComplete: 0, rowsAffected: 0 };
  let done = 0;
  try {
    for (const entry of diff.backfill) {
      const completed = (await completedIntervals(db, [entry.snapshotId]))[entry.snapshotId] ?? [];
      for (const interval of executionIntervals(entry)) {
        const covered = coveredBy(entry, interval);
        const complete = covered.length > 0 && covered.every((range) => containsInterval(completed, range));
        let rowsAffected: number | null = null;
        if (complete) {
          result.alreadyComplete++;
        } else {
          rowsAffected = await runPlanBatch({ ...input, runId, entry, interval, tables });
          result.executions++;
          result.rowsAffected += rowsAffected ?? 0;
        }
        done++;
        await input.onProgress?.({
          step: 'backfill',
          model: entry.model,
          interval,
          done,
          total,
          rowsAffected,
          alreadyComplete: complete,
        });
      }
    }
  } catch (error) {
    await updateRunStatus(db, runId, 'failed', {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
  await updateRunStatus(db, runId, 'succeeded');
  return result;
}

/** The intervals one execution of `entry` completes. */
function coveredBy(entry: BackfillEntry, interval: Interval | null): Interval[] {
  if (entry.execution === 'single') return entry.intervals;
  return interval ? [interval] : [];
}

/**
 * Runs one batch of a backfill entry and records it: queued, started, finished, and on success the
 * intervals it completed. Returns the rows it wrote (null when the engine reports none).
 */
export async function runPlanBatch(input: BatchInput): Promise<number | null> {
  const { db, engines, project, diff, runId, entry, interval } = input;
  const executionId = `${runId}:${entry.model}:${interval ? interval[0] : 'all'}`;
  await recordExecutionQueued(db, {
    id: executionId,
    runId,
    model: entry.model,
    snapshotId: entry.snapshotId,
    interval: interval ? [interval[0], interval[1]] : null,
  });
  const previous = await getExecution(db, executionId);
  await recordExecutionStarted(db, executionId, {
    attempt: (previous?.attempt ?? 0) + 1,
    executor: input.executor ?? `apply@${hostname()}`,
  });

  let renderedSql: string | undefined;
  let statements: string[] = [];
  try {
    const prepared = batchRequest(project, diff, entry, interval, input.tables);
    renderedSql = prepared.renderedSql;
    statements = prepared.request.statements.map((statement) => statement.sql);
    const outcome = await executeBatch(
      engines.get(prepared.gateway),
      prepared.request,
      input.signal === undefined ? {} : { signal: input.signal },
    );
    await recordIntervals(
      db,
      entry.snapshotId,
      coveredBy(entry, interval).map(([start, end]) => [start, end]),
      { runId, executionId },
    );
    await recordExecutionFinished(db, executionId, {
      status: 'succeeded',
      rowsAffected: outcome.rowsAffected,
      log: {
        ...(renderedSql ? { renderedSql } : {}),
        statements: outcome.statements.map((report, index) => ({
          sql: statements[index] ?? '',
          durationMs: Math.round(report.durationMs),
          rowsAffected: report.rowsAffected,
        })),
        notices: outcome.notices,
      },
    });
    return outcome.rowsAffected;
  } catch (error) {
    const failure = PlanBackfillError.from(entry.model, entry.snapshotId, interval, error);
    await recordExecutionFinished(db, executionId, {
      status: 'failed',
      error: failure.causeMessage,
      ...(renderedSql ? { log: { renderedSql } } : {}),
    });
    throw failure;
  }
}
