/**
 * How upkeep workflows (deleting an environment, the janitor) call the apply executors, which hold
 * the warehouse credentials: each call is idempotent, so it is retried a few times before its
 * workflow records the failure and goes on.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ExecutorActivities } from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { EXECUTOR_RETRY } from './execute-models.ts';

export const maintenanceExecutor = proxyActivities<ExecutorActivities>({
  taskQueue: TASK_QUEUES.apply,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: EXECUTOR_RETRY,
});
