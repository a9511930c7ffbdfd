/**
 * What a live view of the scheduler polls for: the runs and plans still in progress or finished since
 * a moment, and the model executions of some runs in the few columns such a view prints. Read-only.
 */
import { gte, inArray, or } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { modelExecutions, plans, runs } from '../db/schema.ts';
import { type PlanRecord, planRecord, planRecordColumns } from './plans.ts';
import { type RunRecord, runRecord } from './runs.ts';
import { type Instant, iso, toDate } from './validate.ts';

/** Runs queued or running now, and those that finished at or after `since`, oldest scheduled first. */
export async function runsActiveOrFinishedSince(db: StateDb, since: Instant): Promise<RunRecord[]> {
  const from = toDate('since', since);
  const rows = await db
    .select()
    .from(runs)
    .where(or(inArray(runs.status, ['queued', 'running']), gte(runs.finishedAt, from)))
    .orderBy(runs.scheduledAt, runs.id);
  return rows.map(runRecord);
}

/** Plans waiting or applying now, and those that finished at or after `since`, oldest submitted first. */
export async function plansActiveOrFinishedSince(db: StateDb, since: Instant): Promise<PlanRecord[]> {
  const from = toDate('since', since);
  const rows = await db
    .select(planRecordColumns)
    .from(plans)
    .where(or(inArray(plans.status, ['pending', 'queued', 'applying']), gte(plans.finishedAt, from)))
    .orderBy(plans.submittedAt, plans.id);
  return rows.map(planRecord);
}

/** One model execution as a live view prints it. */
export interface ExecutionLine {
  id: string;
  runId: string;
  model: string;
  status: string;
  attempt: number;
  executor: string | null;
  intervalStartMs: number | null;
  intervalEndMs: number | null;
  finishedAt: string | null;
  durationMs: number | null;
  rowsAffected: number | null;
  error: string | null;
}

/** The executions of `runIds`, in the order they were queued. */
export async function executionsOfRuns(db: StateDb, runIds: readonly string[]): Promise<ExecutionLine[]> {
  if (runIds.length === 0) return [];
  const rows = await db
    .select({
      id: modelExecutions.id,
      runId: modelExecutions.runId,
      model: modelExecutions.model,
      status: modelExecutions.status,
      attempt: modelExecutions.attempt,
      executor: modelExecutions.executor,
      intervalStartMs: modelExecutions.intervalStartMs,
      intervalEndMs: modelExecutions.intervalEndMs,
      finishedAt: modelExecutions.finishedAt,
      durationMs: modelExecutions.durationMs,
      rowsAffected: modelExecutions.rowsAffected,
      error: modelExecutions.error,
    })
    .from(modelExecutions)
    .where(inArray(modelExecutions.runId, [...runIds]))
    .orderBy(modelExecutions.queuedAt, modelExecutions.id);
  return rows.map((row) => ({ ...row, finishedAt: iso(row.finishedAt) }));
}
