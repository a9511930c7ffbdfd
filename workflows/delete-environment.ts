/**
 * Deleting a non-prod environment, one workflow per environment (a fixed id, so asking twice joins
 * the deletion under way): stop its workflow, its runs and its open plans; drop its views and
 * schemas on the apply executors (which hold the warehouse credentials); then remove its state (the
 * snapshot map and its row; its runs' and plans' history stays). Every step is idempotent, so a
 * deletion whose worker or executor dies resumes where it was, and deleting what is gone changes
 * nothing. Its physical tables are left to the janitor, which drops those no one uses any more.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ExecutorActivities, SchedulerActivities } from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { EXECUTOR_MAX_ATTEMPTS } from './activity-failure.ts';
import { NON_RETRYABLE_ERRORS } from './execute-models.ts';
import { SCHEDULER_ACTIVITY_OPTIONS } from './scheduler-activity-options.ts';

export interface DeleteEnvironmentInput {
  environment: string;
  /** who asked, as the audit log names them. */
  deletedBy: string;
}

export interface DeleteEnvironmentResult {
  environment: string;
  /** whether state was removed (false when the environment was already gone). */
  removed: boolean;
  /** runs and plans that were stopped. */
  runs: string[];
  plans: string[];
  /** schemas dropped, and those kept because they hold objects sluice did not put there. */
  schemas: string[];
  keptSchemas: string[];
}

const scheduler = proxyActivities<SchedulerActivities>(SCHEDULER_ACTIVITY_OPTIONS);

const applyExecutor = proxyActivities<ExecutorActivities>({
  taskQueue: TASK_QUEUES.apply,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: EXECUTOR_MAX_ATTEMPTS,
    nonRetryableErrorTypes: NON_RETRYABLE_ERRORS,
  },
});

export async function deleteEnvironmentWorkflow(
  input: DeleteEnvironmentInput,
): Promise<DeleteEnvironmentResult> {
  const { environment, deletedBy } = input;
  const stopped = await scheduler.stopEnvironment({ environment });
  const result: DeleteEnvironmentResult = {
    environment,
    removed: false,
    runs: stopped.runs,
    plans: stopped.plans,
    schemas: [],
    keptSchemas: [],
  };
  for (const { gateway, models, connection } of await scheduler.environmentViews({ environment })) {
    const dropped = await applyExecutor.dropEnvironment.executeWithOptions(
      { summary: `drop ${models.length} view(s) and the schemas of ${environment} on ${gateway}` },
      [{ gateway, environment, models, ...(connection === undefined ? {} : { connection }) }],
    );
    result.schemas.push(...dropped.schemas);
    result.keptSchemas.push(...dropped.keptSchemas);
  }
  result.removed = await scheduler.removeEnvironmentState({ environment, deletedBy });
  return result;
}
