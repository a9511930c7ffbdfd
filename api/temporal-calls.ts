/**
 * Calls to Temporal on behalf of a request, each under a deadline so a missing scheduler worker or an
 * unreachable server gives a clear 503 instead of a request that hangs; failures of updates become
 * the API's error shape (a validator's refusal is a conflict, an unknown model a 404).
 */
import {
  isGrpcDeadlineError,
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { AppDeps } from './context.ts';
import { ApiError } from './errors.ts';

/** gRPC status code UNAVAILABLE. */
const GRPC_UNAVAILABLE = 14;

export async function callTemporal<T>(
  deps: AppDeps,
  what: string,
  fn: () => Promise<T>,
  timeoutMs: number = deps.temporalTimeoutMs,
): Promise<T> {
  try {
    return await deps.client.connection.withDeadline(Date.now() + timeoutMs, fn);
  } catch (err) {
    throw temporalError(err, what, timeoutMs);
  }
}

export function temporalError(err: unknown, what: string, timeoutMs: number): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof WorkflowNotFoundError) {
    return new ApiError(404, 'not_found', `${what}: the workflow is not running`, { notFound: true });
  }
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const message = cause?.message ?? err.message;
    if (cause instanceof ApplicationFailure && cause.type === 'UNKNOWN_MODEL') {
      return new ApiError(404, 'not_found', message);
    }
    return new ApiError(409, 'conflict', `${what} was refused: ${message}`);
  }
  if (isGrpcDeadlineError(err) || err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return new ApiError(
      503,
      'temporal_unavailable',
      `${what} got no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}; check that Temporal and the scheduler worker (sluice worker --role scheduler) are running`,
    );
  }
  if (isGrpcServiceError(err) && err.code === GRPC_UNAVAILABLE) {
    return new ApiError(
      503,
      'temporal_unavailable',
      `${what} failed: Temporal is unreachable (${err.details || err.message}); check TEMPORAL_ADDRESS`,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/UNAVAILABLE|ECONNREFUSED|failed to connect|transport error/i.test(message)) {
    return new ApiError(503, 'temporal_unavailable', `${what} failed: Temporal is unreachable (${message})`);
  }
  return new ApiError(500, 'internal', `${what} failed: ${message}`);
}
