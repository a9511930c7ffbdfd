/**
 * One worker process (`sluice worker --role ...`): the scheduler, or a run or apply executor,
 * configured from environment variables (workers/config.ts), served until SIGTERM or SIGINT and
 * then drained (workers/shutdown.ts).
 */

import { artifactStoreOf } from '../artifacts/from-config.ts';
import { DEFAULT_READY_TIMEOUT_MS } from '../config/defaults.ts';
import { dataConverterOf } from '../crypto/payload-codec.ts';
import { createStateDb, sluiceHome, stateDbOptions } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { statePayloadStore } from '../state/stored-payloads.ts';
import { ensureArtifactSweep } from './artifact-sweep.ts';
import type { WorkerConfig } from './config.ts';
import { connectTemporal } from './connection.ts';
import { startExecutorWorker } from './executor-worker.ts';
import { type HealthServer, startHealthServer } from './health-server.ts';
import { ensureJanitor } from './janitor.ts';
import {
  envFileCheck,
  gatewayChecks,
  type ReadinessCheck,
  runReadinessChecks,
  stateDbCheck,
  temporalCheck,
} from './readiness.ts';
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
  /** `http://host:port` of the health checks, with SLUICE_HEALTH_PORT. */
  healthUrl?: string;
}

/** Starts the worker `config` describes; nothing is left open when it fails. */
export async function startWorkerProcess(
  config: WorkerConfig,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<StartedWorkerProcess> {
  const { temporal } = config;
  const resources: Resource[] = [];
  try {
    const connection = await connectTemporal(temporal, 'worker');
    resources.push({ name: 'Temporal connection', close: () => connection.close() });
    const where = `Temporal ${temporal.address}, namespace ${temporal.namespace}${temporal.payloadCodec === undefined ? '' : ', payloads encrypted (SLUICE_PAYLOAD_KEY)'}`;
    if (config.role === 'scheduler') {
      const state = createStateDb(
        stateDbOptions({ SLUICE_DATABASE_URL: config.databaseUrl, SLUICE_HOME: config.home }, config.baseDir),
      );
      resources.unshift({ name: 'state database', close: () => state.close() });
      await migrate(state.db);
      const payloadStore = statePayloadStore(state.db);
      const client = await connectTemporal(temporal, 'client', payloadStore);
      resources.unshift({ name: 'Temporal client connection', close: () => client.connection.close() });
      const artifacts = artifactStoreOf(
        config.artifacts ?? {},
        sluiceHome(config.home, config.baseDir),
        config.baseDir,
      );
      const running = await startSchedulerWorker({
        connection,
        namespace: temporal.namespace,
        db: state.db,
        client: client.client,
        identity: config.identity,
        shutdownGraceMs: config.shutdownGraceMs,
        dataConverter: dataConverterOf(temporal.payloadCodec, payloadStore),
        ...(config.notificationLinks === undefined ? {} : { notificationLinks: config.notificationLinks }),
        artifacts,
        artifactRetentionMs: config.artifactRetentionMs ?? null,
        ...(config.janitorGraceMs === undefined ? {} : { janitorGraceMs: config.janitorGraceMs }),
      });
      await ensureArtifactSweep(client.client);
      await ensureJanitor(client.client);
      const database = state.driver === 'pglite' ? 'embedded PGlite' : 'PostgreSQL';
      const health = await serveHealth(config, running, resources, () => ({
        temporal: temporalCheck(connection),
        'state-db': stateDbCheck(state.db),
      }));
      return {
        running,
        resources,
        description: `sluice scheduler ${config.identity}: serving task queue ${running.taskQueue} (workflows, ${database} state database, artifacts in ${artifacts.location}) on ${where}${healthNote(health)}`,
        ...(health === undefined ? {} : { healthUrl: health.url }),
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
      // executors never reach the state database: they store no payload and refuse stored ones
      dataConverter: dataConverterOf(temporal.payloadCodec),
      ...(config.maxMemoryMb === undefined ? {} : { maxMemoryMb: config.maxMemoryMb }),
      ...(config.presenceIntervalMs === undefined ? {} : { presenceIntervalMs: config.presenceIntervalMs }),
      ...(config.encryption === undefined ? {} : { encryption: config.encryption }),
      ...(config.envFile === undefined
        ? {}
        : {
            envFile: {
              file: config.envFile,
              env: config.gatewayEnv ?? {},
              log,
              ...(config.envFilePollMs === undefined ? {} : { pollMs: config.envFilePollMs }),
            },
          }),
    });
    const envFile = running.envFile;
    const health = await serveHealth(config, running, resources, () => ({
      temporal: temporalCheck(connection),
      ...gatewayChecks(running.pool),
      ...(envFile === undefined ? {} : { 'env-file': envFileCheck(() => envFile.status) }),
    }));
    const own = running.gateways
      .map((name) => (name === config.defaultGateway ? `${name} (default)` : name))
      .join(', ');
    const managed = config.encryption === undefined ? '' : ' and scheduler-managed connections';
    const gateways = own === '' ? `no gateways of its own${managed}` : `gateways ${own}${managed}`;
    return {
      running,
      resources,
      description: `sluice ${config.role} executor ${config.identity}: serving task queue ${running.taskQueue} with ${gateways} on ${where}${healthNote(health)}`,
      ...(health === undefined ? {} : { healthUrl: health.url }),
    };
  } catch (error) {
    for (const resource of resources) await resource.close().catch(() => {});
    throw error;
  }
}

/**
 * With SLUICE_HEALTH_PORT, serves the health checks of a started worker; the server is the first
 * resource closed, so probes see the worker drain. A port that cannot be bound stops the worker.
 */
async function serveHealth(
  config: WorkerConfig,
  running: RunningWorker,
  resources: Resource[],
  checks: () => Record<string, ReadinessCheck>,
): Promise<HealthServer | undefined> {
  if (config.healthPort === undefined) return undefined;
  const timeoutMs = config.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  try {
    const server = await startHealthServer({
      port: config.healthPort,
      ...(config.healthHost === undefined ? {} : { host: config.healthHost }),
      role: config.role,
      identity: config.identity,
      worker: running.worker,
      readiness: () => runReadinessChecks(checks(), timeoutMs),
    });
    resources.unshift({ name: 'health server', close: () => server.close() });
    return server;
  } catch (error) {
    await running.stop().catch(() => {});
    throw error;
  }
}

function healthNote(health: HealthServer | undefined): string {
  return health === undefined ? '' : `; health checks at ${health.url}/healthz and /readyz`;
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
    started = await startWorkerProcess(config, log);
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
