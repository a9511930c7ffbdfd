/**
 * One worker process (`sluice worker --role ...`): the scheduler, or a run or apply executor,
 * configured from environment variables (workers/config.ts), served until SIGTERM or SIGINT and
 * then drained (workers/shutdown.ts).
 */

import { createStateDb } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import type { WorkerConfig } from './config.ts';
import { connectTemporal } from './connection.ts';
import { startExecutorWorker } from './executor-worker.ts';
import type { RunningWorker } from './running-worker.ts';
import { installWorkerRuntime } from './runtime.ts';
import { startSchedulerWorker } from './scheduler-worker.ts';
import { type Resource, watchShutdownSignals } from './shutdown.ts';

export interface StartedWorkerProcess {
  running: RunningWorker;
  /** closed in this order once the worker has stopped. */
  resources: Resource[];
  /** one line saying what the process serves: task queue, gateways by name, identity. */
  description: string;
}

/** Starts the worker `config` describes; nothing is left open when it fails. */
export async function startWorkerProcess(config: WorkerConfig): Promise<StartedWorkerProcess> {
  const { temporal } = config;
  const resources: Resource[] = [];
  try {
    const connection = await connectTemporal(temporal, 'worker');
    resources.push({ name: 'Temporal connection', close: () => connection.close() });
    const where = `Temporal ${temporal.address}, namespace ${temporal.namespace}`;
    if (config.role === 'scheduler') {
      const state = createStateDb(config.databaseUrl === undefined ? {} : { url: config.databaseUrl });
      resources.unshift({ name: 'state database', close: () => state.close() });
      await migrate(state.db);
      const client = await connectTemporal(temporal, 'client');
      resources.unshift({ name: 'Temporal client connection', close: () => client.connection.close() });
      const running = await startSchedulerWorker({
        connection,
        namespace: temporal.namespace,
        db: state.db,
        client: client.client,
        identity: config.identity,
        shutdownGraceMs: config.shutdownGraceMs,
      });
      const database = state.driver === 'pglite' ? 'embedded PGlite' : 'PostgreSQL';
      return {
        running,
        resources,
        description: `sluice scheduler ${config.identity}: serving task queue ${running.taskQueue} (workflows, ${database} state database) on ${where}`,
      };
    }
    const running = await startExecutorWorker({
      connection,
      namespace: temporal.namespace,
      role: config.role,
      gateways: config.gateways,
      baseDir: config.baseDir,
      identity: config.identity,
      shutdownGraceMs: config.shutdownGraceMs,
    });
    const gateways = running.gateways
      .map((name) => (name === config.defaultGateway ? `${name} (default)` : name))
      .join(', ');
    return {
      running,
      resources,
      description: `sluice ${config.role} executor ${config.identity}: serving task queue ${running.taskQueue} with gateways ${gateways} on ${where}`,
    };
  } catch (error) {
    for (const resource of resources) await resource.close().catch(() => {});
    throw error;
  }
}

/** Starts the worker, prints what it serves, and serves until a signal; resolves with the exit code. */
export async function runWorkerProcess(
  config: WorkerConfig,
  out: (line: string) => void,
  log: (line: string) => void,
): Promise<number> {
  installWorkerRuntime('INFO');
  const signals = watchShutdownSignals({ graceMs: config.shutdownGraceMs, log });
  let started: StartedWorkerProcess;
  try {
    started = await startWorkerProcess(config);
  } catch (error) {
    signals.dispose();
    throw error;
  }
  const { running, resources, description } = started;
  out(description);
  return signals.serve(
    [{ name: `${running.taskQueue} worker`, done: running.done, stop: running.stop }],
    resources,
  );
}
