/**
 * Runs a query on a run executor for the API (`POST /api/environments/{env}/query`): starts the
 * query workflow (workflows/fetch-query.ts) on the scheduler with the gateway's sealed managed
 * connection when one is stored, and waits for its rows, bounded by the query's timeout plus the
 * time to reach an executor. The API never holds warehouse credentials: the executor does.
 *
 * Answers: a statement that is not one read-only SELECT is a 422 `query_not_read_only` naming what
 * it is; a query past its timeout a 408 `query_timeout`; the warehouse's own refusal (a syntax
 * error, an unknown table) a 422 `query_failed` with its message; no run executor in time a 503.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type { QueryRequest, QueryResult } from '../activities/contracts.ts';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { getConnection } from '../state/connections.ts';
import {
  FETCH_QUERY_FAILURES,
  type FetchQueryInput,
  fetchQueryWorkflow,
  QUERY_ACTIVITY_MARGIN_MS,
} from '../workflows/fetch-query.ts';
import type { AppDeps } from './context.ts';
import { ApiError } from './errors.ts';
import { temporalError } from './temporal-calls.ts';

/** Time for the scheduler to start and finish the workflow around the activity. */
const WORKFLOW_MARGIN_MS = 15_000;

export async function runQuery(
  deps: AppDeps,
  args: {
    environment: string;
    gateway: string;
    sql: string;
    limit: number;
    timeoutMs: number;
    pickupTimeoutMs: number;
  },
): Promise<QueryResult> {
  const connection = (await getConnection(deps.db, args.gateway))?.sealed;
  const request: QueryRequest = {
    gateway: args.gateway,
    sql: args.sql,
    limit: args.limit,
    timeoutMs: args.timeoutMs,
    ...(connection === undefined ? {} : { connection }),
  };
  const input: FetchQueryInput = { request, scheduleToStartMs: args.pickupTimeoutMs };
  const totalMs = args.pickupTimeoutMs + args.timeoutMs + QUERY_ACTIVITY_MARGIN_MS + WORKFLOW_MARGIN_MS;
  const what = `the query on gateway "${args.gateway}" of environment "${args.environment}"`;
  try {
    const handle = await deps.client.connection.withDeadline(Date.now() + deps.temporalTimeoutMs, () =>
      deps.client.workflow.start(fetchQueryWorkflow, {
        taskQueue: TASK_QUEUES.scheduler,
        workflowId: `sluice-query-${args.environment}-${randomUUID().slice(0, 8)}`,
        args: [input],
        workflowExecutionTimeout: totalMs,
        staticSummary: `query gateway ${args.gateway} for environment ${args.environment}`,
      }),
    );
    return await deps.client.connection.withDeadline(Date.now() + totalMs + 5_000, () => handle.result());
  } catch (err) {
    throw queryError(err, args, what, totalMs);
  }
}

function queryError(
  err: unknown,
  args: { gateway: string; timeoutMs: number },
  what: string,
  totalMs: number,
): ApiError {
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      const details = { gateway: args.gateway, type: cause.type ?? null };
      switch (cause.type) {
        case FETCH_QUERY_FAILURES.noExecutor:
          return new ApiError(503, 'executor_unavailable', cause.message, details);
        case 'QUERY_NOT_READ_ONLY':
          return new ApiError(422, 'query_not_read_only', `${cause.message}; nothing was run`, details);
        case FETCH_QUERY_FAILURES.timedOut:
          return new ApiError(408, 'query_timeout', cause.message, { ...details, timeoutMs: args.timeoutMs });
        case 'GATEWAY_NOT_CONFIGURED':
        case 'CONNECTION_NOT_OPENED':
          return new ApiError(503, 'executor_unavailable', cause.message, details);
        default:
          return new ApiError(422, 'query_failed', `${what} failed: ${cause.message}`, details);
      }
    }
    if (cause instanceof TimeoutFailure) {
      return new ApiError(
        503,
        'temporal_unavailable',
        `${what} did not finish in time; check that the scheduler worker (sluice worker --role scheduler) is running`,
        { gateway: args.gateway },
      );
    }
  }
  return temporalError(err, what, totalMs);
}
