/**
 * The query workflow behind `sluice fetchdf`: one run executor runs a read-only statement on a
 * gateway it holds (the executor activity `fetchQuery`) and answers its first rows. It runs on
 * `sluice-scheduler` like every sluice workflow; the API starts it and waits for its result. The
 * statement's model names were resolved by the API; the executor enforces read-only, the row limit,
 * the byte cap and the timeout.
 *
 * The activity is tried once: a query a person asked for is asked again by that person. When no run
 * executor picks it up within `scheduleToStartMs` the workflow fails with NO_RUN_EXECUTOR; any other
 * failure keeps the executor's type and message.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ExecutorActivities, QueryRequest, QueryResult } from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { ErrorCode } from '../core/errors.ts';
import { oneShotFailure } from './one-shot-failure.ts';
import { formatDuration } from './test-connection.ts';

export interface FetchQueryInput {
  request: QueryRequest;
  /** how long the query may wait for a run executor to take it. */
  scheduleToStartMs: number;
}

/** Time an executor may need besides the query's own timeout (opening a DuckDB file, connecting). */
export const QUERY_ACTIVITY_MARGIN_MS = 60_000;

/** Failure types of the workflow itself (the executor's own types pass through). */
export const FETCH_QUERY_FAILURES = {
  noExecutor: 'NO_RUN_EXECUTOR',
  timedOut: 'QUERY_TIMEOUT',
  failed: 'QUERY_FAILED',
} as const satisfies Record<string, ErrorCode>;

export async function fetchQueryWorkflow(input: FetchQueryInput): Promise<QueryResult> {
  const { request } = input;
  const executor = proxyActivities<ExecutorActivities>({
    taskQueue: TASK_QUEUES.run,
    scheduleToStartTimeout: input.scheduleToStartMs,
    startToCloseTimeout: request.timeoutMs + QUERY_ACTIVITY_MARGIN_MS,
    retry: { maximumAttempts: 1 },
  });
  try {
    return await executor.fetchQuery.executeWithOptions({ summary: `query gateway ${request.gateway}` }, [
      request,
    ]);
  } catch (err) {
    throw oneShotFailure(err, {
      noExecutor: {
        type: FETCH_QUERY_FAILURES.noExecutor,
        message:
          `no run executor took the query within ${formatDuration(input.scheduleToStartMs)} ` +
          '(is an executor running with sluice worker --role run?)',
      },
      timedOut: {
        type: FETCH_QUERY_FAILURES.timedOut,
        message: `the executor did not answer the query within ${formatDuration(request.timeoutMs + QUERY_ACTIVITY_MARGIN_MS)}`,
      },
      failed: FETCH_QUERY_FAILURES.failed,
    });
  }
}
