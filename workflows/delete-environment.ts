/**
 * Deleting a non-prod environment, one workflow per environment (a fixed id, so asking twice joins
 * the deletion under way): stop its workflow, its runs and its open plans; drop its views and
 * schemas on the apply executors (which hold the warehouse credentials); then remove its state (the
 * snapshot map and its row; its runs' and plans' history stays). Every step is idempotent, so a
 * deletion whose worker or executor dies resumes where it was, and deleting what is gone changes
 * nothing. Its physical tables are left to the janitor, which drops those no one uses any more.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { SchedulerActivities } from '../activities/contracts.ts';
import { chunksUnder, EXECUTOR_LIST_BYTES } from '../core/payload-chunks.ts';
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
  const inChunks = patched('executor-payloads-in-chunks');
  for (const { gateway, models, connection } of await scheduler.environmentViews({ environment })) {
    // thousands of views go in several activities, each payload bounded (core/payload-chunks.ts);
    // a schema kept by one part because a later part's views were still in it is dropped by that part
    const kept = new Set<string>();
    for (const part of inChunks ? chunksUnder(models, EXECUTOR_LIST_BYTES) : [models]) {
      const dropped = await maintenanceExecutor.dropEnvironment.executeWithOptions(
        { summary: `drop ${part.length} view(s) and the schemas of ${environment} on ${gateway}` },
        [{ gateway, environment, models: part, ...(connection === undefined ? {} : { connection }) }],
      );
      result.schemas.push(...dropped.schemas);
      for (const schema of dropped.schemas) kept.delete(schema);
      for (const schema of dropped.keptSchemas) kept.add(schema);
    }
    result.keptSchemas.push(...[...kept].sort());
  }
  result.removed = await scheduler.removeEnvironmentState({
    environment,
    deletedBy,
    ...(input.auditReason === undefined ? {} : { auditReason: input.auditReason }),
  });
  return result;
}
