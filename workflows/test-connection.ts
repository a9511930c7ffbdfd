/**
 * The connection test workflow: before the API stores a scheduler-managed connection, one apply
 * executor opens the sealed settings, connects, pings and closes (the executor activity
 * `testConnection`). It runs on `sluice-scheduler` like every sluice workflow; its input and result
 * carry the sealed value and timings only, never the plain settings.
 *
 * The activity is tried once. When no apply executor picks it up within `scheduleToStartMs`, the
 * workflow fails with NO_APPLY_EXECUTOR and says so; any other failure keeps the executor's type and
 * message (which engines keep free of passwords).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ConnectionTestResult, ExecutorActivities } from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { ErrorCode } from '../core/errors.ts';
import type { Sealed } from '../crypto/sealed.ts';
import { oneShotFailure } from './one-shot-failure.ts';

export interface TestConnectionInput {
  gateway: string;
  connection: Sealed;
  /** how long the test may wait for an apply executor to take it. */
  scheduleToStartMs: number;
  /** how long the test may take once an executor has it. */
  startToCloseMs: number;
}

/** Failure types of the workflow itself (the executor's own types pass through). */
export const CONNECTION_TEST_FAILURES = {
  noExecutor: 'NO_APPLY_EXECUTOR',
  timedOut: 'CONNECTION_TEST_TIMEOUT',
  failed: 'CONNECTION_TEST_FAILED',
} as const satisfies Record<string, ErrorCode>;

export async function testConnectionWorkflow(input: TestConnectionInput): Promise<ConnectionTestResult> {
  const executor = proxyActivities<ExecutorActivities>({
    taskQueue: TASK_QUEUES.apply,
    scheduleToStartTimeout: input.scheduleToStartMs,
    startToCloseTimeout: input.startToCloseMs,
    retry: { maximumAttempts: 1 },
  });
  try {
    return await executor.testConnection.executeWithOptions(
      { summary: `test the connection of gateway ${input.gateway}` },
      [{ gateway: input.gateway, connection: input.connection }],
    );
  } catch (err) {
    throw oneShotFailure(err, {
      noExecutor: {
        type: CONNECTION_TEST_FAILURES.noExecutor,
        message:
          `no apply executor took the connection test within ${formatDuration(input.scheduleToStartMs)} ` +
          `(is an executor running with sluice worker --role apply?)`,
      },
      timedOut: {
        type: CONNECTION_TEST_FAILURES.timedOut,
        message: `the connection test did not finish within ${formatDuration(input.startToCloseMs)}`,
      },
      failed: CONNECTION_TEST_FAILURES.failed,
    });
  }
}

/** `30000` → `30s`, `1500` → `1500ms`, `120000` → `2m`. */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
