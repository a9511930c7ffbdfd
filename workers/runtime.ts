/**
 * Temporal's runtime as sluice processes install it: without its own handling of SIGINT and SIGTERM
 * (workers/shutdown.ts stops workers and then closes engines, the state database and connections,
 * in that order), and logging at the process's level.
 */

import {
  DefaultLogger,
  type LogLevel,
  type LogMetadata,
  makeTelemetryFilterString,
  Runtime,
} from '@temporalio/worker';

/** Executors serve activities only, so the worker's warning that it has no workflows says nothing. */
const EXPECTED_WARNINGS = new Set(['No workflows registered, not polling for workflow tasks']);

class SluiceLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (EXPECTED_WARNINGS.has(message)) return;
    super.log(level, message, meta);
  }
}

/**
 * Installs the runtime. Must run before the first connection or worker is created; when the runtime
 * is already installed (by an earlier call or by the embedding process) it changes nothing.
 */
export function installWorkerRuntime(level: LogLevel = 'WARN'): void {
  try {
    Runtime.install({
      shutdownSignals: [],
      logger: new SluiceLogger(level),
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
