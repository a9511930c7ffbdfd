/**
 * `closedRuns`: of the given runs (workflow ids), those whose workflows are no longer going, as
 * Temporal describes them. A workflow Temporal does not know (never started, or removed after its
 * retention period) counts as closed. Without a Temporal client nothing can be told, and no run is
 * reported closed.
 */
import type { Client, WorkflowExecutionStatusName } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { parseInput, textList } from './input.ts';

/** Statuses of a workflow that may still make progress. */
const OPEN: ReadonlySet<WorkflowExecutionStatusName> = new Set([
  'RUNNING',
  'PAUSED',
  'UNSPECIFIED',
  'UNKNOWN',
]);

export async function closedRuns(temporal: Client | undefined, runIds: string[]): Promise<string[]> {
  const ids = [...new Set(parseInput('closedRuns', textList, runIds))];
  if (!temporal || ids.length === 0) return [];
  const closed = await Promise.all(
    ids.map(async (id) => {
      try {
        const description = await temporal.workflow.getHandle(id).describe();
        return OPEN.has(description.status.name) ? null : id;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return id;
        throw error;
      }
    }),
  );
  return closed.filter((id): id is string => id !== null);
}
