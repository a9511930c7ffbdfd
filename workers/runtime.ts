/**
 * Temporal's runtime as sluice processes install it: without its own handling of SIGINT and SIGTERM
 * (workers/shutdown.ts stops workers and then closes engines, the state database and connections,
 * in that order), and logging at the process's level.
 *
 * An activity failure sluice expects and handles (EXPECTED_FAILURES) is logged as one INFO line
 * without its stack trace: the SDK would print it as a warning with a stack, which reads like a crash.
 */

import { ApplicationFailure } from '@temporalio/common';
import {
  DefaultLogger,
  type LogEntry,
  type LogLevel,
  type LogMetadata,
  makeTelemetryFilterString,
  Runtime,
} from '@temporalio/worker';
import type { ErrorCode } from '../core/errors.ts';

/** Executors serve activities only, so the worker's warning that it has no workflows says nothing. */
const EXPECTED_WARNINGS = new Set(['No workflows registered, not polling for workflow tasks']);

/**
 * Activity failures that are part of normal work, retried by their workflow's policy: SNAPSHOT_BUSY is
 * two runs (two environments sharing a snapshot, or a run and a plan's backfill) reaching the same
 * snapshot interval in the same minute; the second waits for the first. NOTIFICATION_DELIVERY_FAILED is
 * a webhook's receiver that did not accept a notification; each attempt is recorded with the answer
 * (`sluice notifications deliveries`), so the stack trace says nothing more.
 */
export const EXPECTED_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SNAPSHOT_BUSY',
  'NOTIFICATION_DELIVERY_FAILED',
]);

/** The type of an expected activity failure this log entry reports, if it is one. */
export function expectedFailure(message: string, meta: LogMetadata | undefined): string | undefined {
  if (message !== 'Activity failed') return undefined;
  const error = meta?.error;
  return error instanceof ApplicationFailure &&
    typeof error.type === 'string' &&
    EXPECTED_FAILURES.has(error.type as ErrorCode)
    ? error.type
    : undefined;
}

export class SluiceLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (EXPECTED_WARNINGS.has(message)) return;
    const expected = expectedFailure(message, meta);
    if (expected !== undefined) {
      const error = meta?.error as ApplicationFailure;
      const where = [
        meta?.activityType,
        meta?.workflowId,
        meta?.attempt === undefined ? undefined : `attempt ${meta.attempt}`,
      ]
        .filter((part) => part !== undefined)
        .join(', ');
      super.log(
        'INFO',
        `Activity will retry (${expected}): ${error.message}${where === '' ? '' : ` (${where})`}`,
      );
      return;
    }
    super.log(level, message, meta);
  }
}

/**
 * Installs the runtime. Must run before the first connection or worker is created; when the runtime
 * is already installed (by an earlier call or by the embedding process) it changes nothing.
 * `logFunction` writes each entry at or above `level` (stderr with the SDK's format by default).
 */
export function installWorkerRuntime(
  level: LogLevel = 'WARN',
  logFunction?: (entry: LogEntry) => void,
): void {
  try {
    Runtime.install({
      shutdownSignals: [],
      logger: new SluiceLogger(level, logFunction),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) } },
    });
  } catch {
    // already installed
  }
}

/** The logger for webpack's output while bundling the workflows. */
export function bundlerLogger(): DefaultLogger {
  return new SluiceLogger('WARN');
}
