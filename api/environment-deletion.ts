/**
 * Deleting an environment through its deletion workflow (workflows/delete-environment.ts): start it,
 * or join the one under way (one per environment, by its fixed id), and read how it went. prod is
 * refused here, before anything starts.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { PROD_ENVIRONMENT } from '../core/naming.ts';
import { deleteEnvironmentWorkflowId } from '../core/workflow-ids.ts';
import type { DeleteEnvironmentResult } from '../workflows/delete-environment.ts';
import type { deleteEnvironmentWorkflow } from '../workflows/index.ts';
import type { AppDeps } from './context.ts';
import { badRequest, notFound } from './errors.ts';
import { callTemporal } from './temporal-calls.ts';

export interface EnvironmentDeletion {
  environment: string;
  workflowId: string;
  /** the deletion workflow's status as Temporal says it (`RUNNING`, `COMPLETED`, `FAILED`, ...). */
  status: string;
  startedAt: string | null;
  closedAt: string | null;
  /** what the deletion did, once it completed. */
  result: DeleteEnvironmentResult | null;
  /** why it failed, when it did. */
  error: string | null;
}

function failureText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? err.cause.message : err.message;
}

export function refuseProd(environment: string): void {
  if (environment === PROD_ENVIRONMENT) {
    throw badRequest('the prod environment cannot be deleted', { environment });
  }
}

export async function startEnvironmentDeletion(
  deps: AppDeps,
  environment: string,
  deletedBy: string,
): Promise<EnvironmentDeletion> {
  refuseProd(environment);
  const workflowId = deleteEnvironmentWorkflowId(environment);
  await callTemporal(deps, `deleting environment ${environment}`, () =>
    deps.client.workflow.start<typeof deleteEnvironmentWorkflow>('deleteEnvironmentWorkflow', {
      taskQueue: TASK_QUEUES.scheduler,
      workflowId,
      args: [{ environment, deletedBy }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `delete environment ${environment}`,
    }),
  );
  return environmentDeletion(deps, environment);
}

export async function environmentDeletion(deps: AppDeps, environment: string): Promise<EnvironmentDeletion> {
  refuseProd(environment);
  const workflowId = deleteEnvironmentWorkflowId(environment);
  const handle = deps.client.workflow.getHandle<typeof deleteEnvironmentWorkflow>(workflowId);
  const what = `reading the deletion of environment ${environment}`;
  try {
    const description = await callTemporal(deps, what, () => handle.describe());
    const status = description.status.name;
    let result: DeleteEnvironmentResult | null = null;
    let error: string | null = null;
    if (status === 'COMPLETED') result = await callTemporal(deps, what, () => handle.result());
    else if (status === 'FAILED' || status === 'TERMINATED' || status === 'TIMED_OUT') {
      error = await callTemporal(deps, what, () => handle.result().then(() => null, failureText));
    }
    return {
      environment,
      workflowId,
      status,
      startedAt: description.startTime.toISOString(),
      closedAt: description.closeTime?.toISOString() ?? null,
      result,
      error,
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { status?: number }).status === 404) {
      throw notFound(`environment ${environment} has not been deleted`, { environment });
    }
    throw err;
  }
}
