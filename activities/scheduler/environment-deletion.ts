/**
 * The scheduler's steps of deleting an environment (workflows/delete-environment.ts): stop what is
 * going in it, say which views its executors drop, and remove its state. The warehouse side (views
 * and schemas) is the apply executors' step in between. Each step may run again after a crash and
 * finds its work done: terminating a closed workflow, closing a closed record and deleting a deleted
 * row are no-ops.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { z } from 'zod';
import { PROD_ENVIRONMENT } from '../../core/naming.ts';
import { environmentWorkflowId, planWorkflowId } from '../../core/workflow-ids.ts';
import { appendAudit } from '../../state/audit-log.ts';
import { deleteEnvironment, environmentSnapshotMap } from '../../state/environments.ts';
import { endPausesOf } from '../../state/pauses.ts';
import { listPlans, updatePlan } from '../../state/plans.ts';
import { listRuns } from '../../state/runs.ts';
import { getSnapshots } from '../../state/snapshots.ts';
import { closedRuns } from './closed-runs.ts';
import type { SchedulerContext } from './context.ts';
import { invalidInput } from './failures.ts';
import { parseInput, text } from './input.ts';
import { managedConnections, withManagedConnection } from './managed-connections.ts';

const environmentInput = z.object({ environment: text });

function readEnvironment(activity: string, args: unknown): string {
  const { environment } = parseInput(activity, environmentInput, args);
  if (environment === PROD_ENVIRONMENT)
    throw invalidInput(activity, 'the prod environment cannot be deleted');
  return environment;
}

async function terminate(temporal: Client | undefined, workflowId: string, reason: string): Promise<void> {
  if (!temporal) return;
  try {
    await temporal.workflow.getHandle(workflowId).terminate(reason);
  } catch (error) {
    // never started, or already closed: nothing is running
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}

export async function stopEnvironment(
  ctx: SchedulerContext,
  args: { environment: string },
): Promise<{ runs: string[]; plans: string[] }> {
  const environment = readEnvironment('stopEnvironment', args);
  const reason = `environment ${environment} is being deleted`;
  await terminate(ctx.temporal, environmentWorkflowId(environment), reason);

  const runIds: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listRuns(ctx.db, {
      environment,
      status: ['queued', 'running'],
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    runIds.push(...page.items.map((run) => run.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  for (const id of runIds) await terminate(ctx.temporal, id, reason);
  // records of runs whose workflows are gone are closed as terminated
  await closedRuns(ctx.temporal, runIds, ctx.db);

  const planIds: string[] = [];
  const open = [];
  cursor = undefined;
  do {
    const page = await listPlans(ctx.db, {
      environment,
      status: ['pending', 'queued', 'applying'],
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    open.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  for (const plan of open) {
    if (plan.status === 'applying') await terminate(ctx.temporal, planWorkflowId(plan.id), reason);
    await updatePlan(ctx.db, plan.id, {
      status: plan.status === 'applying' ? 'terminated' : 'cancelled',
      error: reason,
      at: ctx.now(),
    });
    planIds.push(plan.id);
  }
  return { runs: runIds, plans: planIds };
}

export async function environmentViews(
  ctx: SchedulerContext,
  args: { environment: string },
): Promise<Array<{ gateway: string; models: string[] }>> {
  const environment = readEnvironment('environmentViews', args);
  const map = await environmentSnapshotMap(ctx.db, environment);
  const byGateway = new Map<string, string[]>();
  for (const snapshot of await getSnapshots(ctx.db, Object.values(map))) {
    if (snapshot.kind === 'EMBEDDED') continue;
    byGateway.set(snapshot.gateway, [...(byGateway.get(snapshot.gateway) ?? []), snapshot.name]);
  }
  const sealed = await managedConnections(ctx.db);
  return [...byGateway]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([gateway, models]) => withManagedConnection({ gateway, models: models.sort() }, sealed));
}

export async function removeEnvironmentState(
  ctx: SchedulerContext,
  args: { environment: string; deletedBy: string; auditReason?: string },
): Promise<boolean> {
  const environment = readEnvironment('removeEnvironmentState', args);
  const { deletedBy, auditReason } = parseInput(
    'removeEnvironmentState',
    z.object({ deletedBy: text, auditReason: text.optional() }),
    args,
  );
  await endPausesOf(ctx.db, environment, deletedBy, ctx.now());
  const removed = await deleteEnvironment(ctx.db, environment);
  if (removed && auditReason !== undefined) {
    await appendAudit(ctx.db, {
      actor: deletedBy,
      action: 'environment.delete',
      target: environment,
      environment,
      reason: auditReason,
      at: ctx.now(),
    });
  }
  return removed;
}
