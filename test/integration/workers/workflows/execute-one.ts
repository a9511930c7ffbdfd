// A workflow that sends one batch to an executor task queue, for the executor worker tests.
import { proxyActivities } from '@temporalio/workflow';
import type { ExecutorActivities, ExecutorReport, PreparedBatch } from '../../../../activities/contracts.ts';

export async function executeOne(batch: PreparedBatch, taskQueue: string): Promise<ExecutorReport> {
  const executor = proxyActivities<ExecutorActivities>({
    taskQueue,
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '5 seconds',
    retry: { maximumAttempts: 1 },
  });
  return executor.executeBatch(batch);
}
