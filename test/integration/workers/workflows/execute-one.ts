// A workflow that sends one batch to an executor task queue as a one-batch segment, for the
// executor worker tests. A batch that failed for good fails the workflow as its failure would have.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ExecutorActivities, ExecutorReport, PreparedBatch } from '../../../../activities/contracts.ts';

export async function executeOne(batch: PreparedBatch, taskQueue: string): Promise<ExecutorReport> {
  const executor = proxyActivities<ExecutorActivities>({
    taskQueue,
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '5 seconds',
    retry: { maximumAttempts: 1 },
  });
  const { results } = await executor.executeSegment({
    segmentId: `one-${batch.executionId}`,
    gateway: batch.gateway,
    threads: 1,
    batches: [{ ...batch, dependsOn: [] }],
  });
  const result = results.find((r) => r.executionId === batch.executionId);
  if (result === undefined) throw ApplicationFailure.nonRetryable(`batch ${batch.executionId} did not run`);
  if (result.status === 'failed') throw ApplicationFailure.nonRetryable(result.message, result.type);
  return result.report;
}
