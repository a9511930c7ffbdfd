/**
 * Tests a sealed connection from an apply executor before the API stores it: starts the connection
 * test workflow (workflows/test-connection.ts) on the scheduler and waits for its answer. The API
 * holds the plain settings only to seal them; the workflow and the executor activity get the sealed
 * value, and what comes back is a version string and a latency.
 *
 * Answers: the executor's failure (a refused password, an unknown host) is a 422 that says why; no
 * apply executor picking the test up in time, or no scheduler running the workflow, is a 503.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type { ConnectionTestResult } from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { Sealed } from '../crypto/sealed.ts';
import type { EngineSettings } from '../engines/config.ts';
import {
  CONNECTION_TEST_FAILURES,
  formatDuration,
  type TestConnectionInput,
  testConnectionWorkflow,
} from '../workflows/test-connection.ts';
import type { AppDeps } from './context.ts';
import { ApiError } from './errors.ts';
import { callTemporal, temporalError } from './temporal-calls.ts';

/** Time for the test itself once an executor has it, besides the connect timeout. */
const TEST_BUDGET_MS = 30_000;
/** DuckDB may install extensions on first open. */
const DUCKDB_TEST_BUDGET_MS = 120_000;
/** Time for the scheduler to start and finish the workflow around the activity. */
const WORKFLOW_MARGIN_MS = 15_000;

export async function runConnectionTest(
  deps: AppDeps,
  args: { gateway: string; sealed: Sealed; settings: EngineSettings; scheduleToStartMs: number },
): Promise<ConnectionTestResult> {
  const startToCloseMs =
    args.settings.type === 'postgres'
      ? TEST_BUDGET_MS + Math.ceil(args.settings.connectTimeoutSeconds * 1000)
      : DUCKDB_TEST_BUDGET_MS;
  const input: TestConnectionInput = {
    gateway: args.gateway,
    connection: args.sealed,
    scheduleToStartMs: args.scheduleToStartMs,
    startToCloseMs,
  };
  const totalMs = args.scheduleToStartMs + startToCloseMs + WORKFLOW_MARGIN_MS;
  const handle = await callTemporal(deps, 'starting the connection test', () =>
    deps.client.workflow.start(testConnectionWorkflow, {
      taskQueue: TASK_QUEUES.scheduler,
      workflowId: `sluice-connection-test-${args.gateway}-${randomUUID().slice(0, 8)}`,
      args: [input],
      workflowExecutionTimeout: totalMs,
      staticSummary: `test the connection of gateway ${args.gateway}`,
    }),
  );
  try {
    return await deps.client.connection.withDeadline(Date.now() + totalMs + 5_000, () => handle.result());
  } catch (err) {
    throw testError(err, args.gateway, totalMs);
  }
}

function testError(err: unknown, gateway: string, totalMs: number): ApiError {
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === CONNECTION_TEST_FAILURES.noExecutor) {
        return new ApiError(503, 'executor_unavailable', cause.message, { gateway, type: cause.type });
      }
      return new ApiError(
        422,
        'connection_test_failed',
        `the connection test of gateway "${gateway}" failed, nothing was stored: ${cause.message}`,
        { gateway, type: cause.type ?? null },
      );
    }
    if (cause instanceof TimeoutFailure) {
      return new ApiError(
        503,
        'temporal_unavailable',
        `the connection test of gateway "${gateway}" did not finish within ${formatDuration(totalMs)}; ` +
          'check that the scheduler worker (sluice worker --role scheduler) is running',
        { gateway },
      );
    }
  }
  return temporalError(err, `the connection test of gateway "${gateway}"`, totalMs);
}
