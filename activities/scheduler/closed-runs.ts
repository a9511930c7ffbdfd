/**
 * `closedRuns`: of the given runs (workflow ids), those whose workflows are no longer going, as
 * Temporal describes them. A workflow Temporal does not know (never started, or removed after its
 * retention period) counts as closed. Without a Temporal client nothing can be told, and no run is
 * reported closed.
 *
 * A run whose workflow closed without recording its end (terminated or timed out from the Temporal
 * side, or failed outright) has its record closed here as the workflow ended, and its executions
 * still queued or running with it, so no record stays open once its workflow is gone.
 */
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { and, eq, inArray } from 'drizzle-orm';
import type { StateDb } from '../../db/client.ts';
import { modelExecutions, type RunStatus } from '../../db/schema.ts';
import { recordExecutionFinished } from '../../state/executions.ts';
import { getRun, RUN_FINAL, updateRunStatus } from '../../state/runs.ts';
import { parseInput, textList } from './input.ts';

/** Statuses of a workflow that may still make progress. */
const OPEN: ReadonlySet<WorkflowExecutionStatusName> = new Set([
  'RUNNING',
  'PAUSED',
  'UNSPECIFIED',
  'UNKNOWN',
]);

/** The record a run gets when its workflow closed without recording how it ended. */
function endedAs(status: WorkflowExecutionStatusName | 'NOT_FOUND'): RunStatus {
  if (status === 'CANCELLED') return 'cancelled';
  if (status === 'FAILED' || status === 'COMPLETED') return 'failed';
  return 'terminated';
}

export async function closedRuns(
  temporal: Client | undefined,
  runIds: string[],
  db?: StateDb,
): Promise<string[]> {
  const ids = [...new Set(parseInput('closedRuns', textList, runIds))];
  if (!temporal || ids.length === 0) return [];
  const closed = await Promise.all(
    ids.map(async (id) => {
      try {
        const description = await temporal.workflow.getHandle(id).describe();
        return OPEN.has(description.status.name) ? null : { id, status: description.status.name };
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return { id, status: 'NOT_FOUND' as const };
        throw error;
      }
    }),
  );
  const found = closed.filter((run) => run !== null);
  if (db) for (const run of found) await closeRecord(db, run.id, endedAs(run.status));
  return found.map((run) => run.id);
}

async function closeRecord(db: StateDb, runId: string, status: RunStatus): Promise<void> {
  const run = await getRun(db, runId);
  if (!run || RUN_FINAL.has(run.status)) return;
  const error = `the run's workflow ended without recording its outcome (${status} from the Temporal side)`;
  const open = await db
    .select({ id: modelExecutions.id })
    .from(modelExecutions)
    .where(and(eq(modelExecutions.runId, runId), inArray(modelExecutions.status, ['queued', 'running'])));
  for (const execution of open) {
    await recordExecutionFinished(db, execution.id, { status: 'cancelled', error });
  }
  await updateRunStatus(db, runId, status, { error });
}
