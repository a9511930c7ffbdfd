/**
 * Deleting a non-prod environment, one workflow per environment (a fixed id, so asking twice joins
 * the deletion under way): stop its workflow, its runs and its open plans; drop its views and
 * schemas on the apply executors (which hold the warehouse credentials); then remove its state (the
 * snapshot map and its row; its runs' and plans' history stays). Every step is idempotent, so a
 * deletion whose worker or executor dies resumes where it was, and deleting what is gone changes
 * nothing. Its physical tables are left to the janitor, which drops those no one uses any more.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { SchedulerActivities } from '../activities/contracts.ts';
import { maintenanceExecutor } from './maintenance-executor.ts';
import { SCHEDULER_ACTIVITY_OPTIONS } from './scheduler-activity-options.ts';

export interface DeleteEnvironmentInput {
  environment: string;
  /** who asked, as the audit log names them. */
  deletedBy: string;
  /** when set, the deletion records itself in the audit log with this reason (the API records its own). */
  auditReason?: string;
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
    const dropped = await maintenanceExecutor.dropEnvironment.executeWithOptions(
      { summary: `drop ${models.length} view(s) and the schemas of ${environment} on ${gateway}` },
      [{ gateway, environment, models, ...(connection === undefined ? {} : { connection }) }],
    );
    result.schemas.push(...dropped.schemas);
    result.keptSchemas.push(...dropped.keptSchemas);
  }
  result.removed = await scheduler.removeEnvironmentState({
    environment,
    deletedBy,
    ...(input.auditReason === undefined ? {} : { auditReason: input.auditReason }),
  });
  return result;
}
