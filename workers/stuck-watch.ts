/**
 * The scheduler worker's side of the stuck-work watch: it starts `sluice-stuck-watch` when it is
 * not running (every scheduler worker tries; the first one wins and the others find it running),
 * and lets the sweep read each environment workflow's state.
 */
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { EnvironmentState } from '../core/environment/view.ts';
import { environmentWorkflowId } from '../core/workflow-ids.ts';
import { stateQuery } from '../workflows/signals.ts';
import { STUCK_WATCH_WORKFLOW_ID, stuckWatchWorkflow } from '../workflows/stuck-watch.ts';

export async function startStuckWatch(client: Client): Promise<void> {
  try {
    await client.workflow.start(stuckWatchWorkflow, {
      workflowId: STUCK_WATCH_WORKFLOW_ID,
      taskQueue: TASK_QUEUES.scheduler,
      args: [{}],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    process.stderr.write(
      `sluice scheduler: the stuck-work watch could not be started (${err instanceof Error ? err.message : String(err)}); ` +
        'the next scheduler worker to start tries again\n',
    );
  }
}

/** Reads an environment workflow's state; null when the workflow is not running. */
export function workflowStateReader(client: Client) {
  return async (environment: string): Promise<EnvironmentState | null> => {
    try {
      return await client.workflow.getHandle(environmentWorkflowId(environment)).query(stateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  };
}
