/**
 * What the executions of a plan's backfill found, as the state database records it: the audits each
 * execution ran with their failing row counts (from its log), and the executions that failed with
 * their error. A pull request's summary (core/ci/summary.ts) reports them.
 */
import { eq, sql } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { type ExecutionAuditLog, modelExecutions, runs } from '../db/schema.ts';
import { requireText } from './validate.ts';

export interface PlanOutcomes {
  audits: Array<{ model: string } & ExecutionAuditLog>;
  failures: Array<{ model: string; error: string | null }>;
}

export async function planOutcomes(db: StateDb, planId: string): Promise<PlanOutcomes> {
  requireText('planId', planId);
  const rows = await db
    .select({
      model: modelExecutions.model,
      status: modelExecutions.status,
      error: modelExecutions.error,
      // only the audits: the rest of the log (rendered SQL, statements) may be large
      audits: sql<unknown>`${modelExecutions.log} -> 'audits'`,
    })
    .from(modelExecutions)
    .innerJoin(runs, eq(runs.id, modelExecutions.runId))
    .where(eq(runs.planId, planId))
    .orderBy(modelExecutions.model, modelExecutions.intervalStartMs);
  const outcomes: PlanOutcomes = { audits: [], failures: [] };
  for (const row of rows) {
    // a driver may hand the jsonb over as text
    const audits = typeof row.audits === 'string' ? (JSON.parse(row.audits) as unknown) : row.audits;
    for (const audit of Array.isArray(audits) ? (audits as ExecutionAuditLog[]) : []) {
      outcomes.audits.push({
        model: row.model,
        name: audit.name,
        blocking: audit.blocking,
        failingRows: audit.failingRows,
      });
    }
    if (row.status === 'failed') outcomes.failures.push({ model: row.model, error: row.error });
  }
  return outcomes;
}
