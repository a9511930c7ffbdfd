/**
 * Starts the artifact sweep's workflow (workflows/artifact-sweep.ts) unless it already runs: the
 * scheduler worker process and `sluice dev` call it at start-up, so a deployment sweeps once a day
 * whichever scheduler is up.
 */
import type { Client } from '@temporalio/client';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { ARTIFACT_SWEEP_WORKFLOW_ID, type ArtifactSweepInput } from '../workflows/artifact-sweep.ts';
import type { artifactSweepWorkflow } from '../workflows/index.ts';

export async function ensureArtifactSweep(client: Client, input: ArtifactSweepInput = {}): Promise<void> {
  await client.workflow.start<typeof artifactSweepWorkflow>('artifactSweepWorkflow', {
    taskQueue: TASK_QUEUES.scheduler,
    workflowId: ARTIFACT_SWEEP_WORKFLOW_ID,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'daily sweep of artifacts past their retention',
  });
}
