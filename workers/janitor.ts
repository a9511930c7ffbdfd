/**
 * Starts the janitor's workflow (workflows/janitor.ts) unless it already runs: the scheduler worker
 * process and `sluice dev` call it at start-up, so a deployment deletes expired environments and
 * drops unused tables every hour whichever scheduler is up.
 */
import type { Client } from '@temporalio/client';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { janitorWorkflow } from '../workflows/index.ts';
import { JANITOR_WORKFLOW_ID, type JanitorInput } from '../workflows/janitor.ts';

export async function ensureJanitor(client: Client, input: JanitorInput = {}): Promise<void> {
  await client.workflow.start<typeof janitorWorkflow>('janitorWorkflow', {
    taskQueue: TASK_QUEUES.scheduler,
    workflowId: JANITOR_WORKFLOW_ID,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'hourly janitor: expired environments and unused tables',
  });
}
