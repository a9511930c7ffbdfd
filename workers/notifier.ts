/**
 * The scheduler worker's side of the notifier: it starts `sluice-notifier` when it is not running
 * (every scheduler worker tries; the first one wins and the others find it running), and lets the
 * stuck-work sweep read each environment workflow's state.
 */
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { EnvironmentState } from '../core/environment/view.ts';
import { environmentWorkflowId } from '../core/workflow-ids.ts';
import { NOTIFIER_WORKFLOW_ID } from '../workflows/notifications.ts';
import { notifierWorkflow } from '../workflows/notifier.ts';
import { stateQuery } from '../workflows/signals.ts';

export async function startNotifier(client: Client): Promise<void> {
  try {
    await client.workflow.start(notifierWorkflow, {
      workflowId: NOTIFIER_WORKFLOW_ID,
      taskQueue: TASK_QUEUES.scheduler,
      args: [{}],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    process.stderr.write(
      `sluice scheduler: the notifier could not be started (${err instanceof Error ? err.message : String(err)}); ` +
        'no notification is sent until a scheduler worker starts it\n',
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
