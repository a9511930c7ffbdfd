/**
 * A run or apply executor: a worker on `sluice-run` or `sluice-apply` that serves only the executor
 * activities. It holds warehouse credentials and nothing else: no workflows, no state database.
 * Every gateway's settings are checked before the worker polls, so a bad configuration stops the
 * process at start-up instead of failing the first batch.
 */

import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { createExecutorActivities, type ExecutorRole } from '../activities/executor/index.ts';
import { ManagedConnections } from '../activities/executor/managed-connections.ts';
import { DEFAULT_PRESENCE_INTERVAL_MS } from '../config/defaults.ts';
import type { GatewayConnection } from '../core/project/types.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { EnginePool } from '../engines/pool.ts';
import type { EnvFileWatch } from './env-file.ts';
import { type ExecutorPresence, startExecutorPresence, workerHealth } from './executor-presence.ts';
import { type GatewayReloadOptions, watchGatewayEnvFile } from './gateway-reload.ts';
import { type RunningWorker, runWorker, shutdownTimes } from './running-worker.ts';

/** The longest a finished batch's heartbeat waits before it reaches the Temporal server. */
const HEARTBEAT_THROTTLE = '1 second';
export interface ExecutorWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  role: ExecutorRole;
  gateways: Readonly<Record<string, { connection: GatewayConnection | Readonly<Record<string, unknown>> }>>;
  /** folder that relative DuckDB database paths resolve against. */
  baseDir: string;
  identity: string;
  shutdownGraceMs?: number;
  /** heartbeat period while a statement runs (see activities/executor/heartbeat.ts). */
  heartbeatIntervalMs?: number;
  /** SLUICE_MAX_MEMORY_MB: batches that take the process past it stop with MEMORY_LIMIT. */
  maxMemoryMb?: number;
  /** SLUICE_ENV_FILE: the env file the gateways come from, re-read when it changes. */
  envFile?: Omit<GatewayReloadOptions, 'baseDir'>;
  /** the payload codec (SLUICE_PAYLOAD_KEY), as `dataConverterOf()` gives it; Temporal's default when absent. */
  dataConverter?: DataConverter;
  /** time between presence reports (workers/executor-presence.ts); SLUICE_PRESENCE_INTERVAL (15 s) when omitted. */
  presenceIntervalMs?: number;
  /** SLUICE_ENCRYPTION_KEY: opens the scheduler-managed connections that come with the work. */
  encryption?: Keyring;
}

export interface RunningExecutor extends RunningWorker {
  role: ExecutorRole;
  /** the gateways it serves, by name. */
  gateways: string[];
  pool: EnginePool;
  /** the env file watch, when the gateways come from SLUICE_ENV_FILE (its status is a readiness check). */
  envFile?: EnvFileWatch;
  /** its reports to the executor registry; `stop()` stops them with a goodbye before the worker stops. */
  presence: ExecutorPresence;
  /** the engines of the scheduler-managed connections it has used. */
  managed: ManagedConnections;
}

export async function startExecutorWorker(options: ExecutorWorkerOptions): Promise<RunningExecutor> {
  const presenceIntervalMs = options.presenceIntervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
  const connections = Object.fromEntries(
    Object.entries(options.gateways).map(([name, gateway]) => [name, gateway.connection]),
  );
  const pool = new EnginePool(connections, {
    baseDir: options.baseDir,
    ...(options.maxMemoryMb === undefined ? {} : { maxMemoryMb: options.maxMemoryMb }),
  });
  const envFile =
    options.envFile === undefined
      ? undefined
      : watchGatewayEnvFile(pool, {
          ...options.envFile,
          baseDir: options.baseDir,
          allowNoGateways: options.encryption !== undefined,
        });
  // picks up a change made since the configuration was read
  envFile?.check();
  const managed = new ManagedConnections({
    keyring: options.encryption,
    identity: options.identity,
    baseDir: options.baseDir,
    ...(options.maxMemoryMb === undefined ? {} : { maxMemoryMb: options.maxMemoryMb }),
  });
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection: options.connection,
      namespace: options.namespace ?? 'default',
      taskQueue: TASK_QUEUES[options.role],
      identity: options.identity,
      activities: createExecutorActivities({
        pool,
        identity: options.identity,
        role: options.role,
        ...(options.heartbeatIntervalMs === undefined
          ? {}
          : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
        ...(options.maxMemoryMb === undefined ? {} : { maxMemoryMb: options.maxMemoryMb }),
        ...(envFile === undefined ? {} : { refreshGateways: () => envFile.check() }),
        ...(options.encryption === undefined ? {} : { encryption: options.encryption }),
        managedConnections: managed,
      }),
      ...shutdownTimes(options.shutdownGraceMs),
      // A segment heartbeats the batches it finished; sent at least every second (not every 24 s,
      // 0.8 of the heartbeat timeout, Temporal's default), a retry after a killed executor resumes
      // after nearly everything it committed.
      maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      defaultHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
      ...(options.dataConverter === undefined ? {} : { dataConverter: options.dataConverter }),
    });
  } catch (error) {
    await pool.closeAll();
    await managed.closeAll();
    throw error;
  }
  envFile?.start();
  const running = runWorker(worker, options.identity, () => {
    envFile?.close();
    return Promise.all([pool.closeAll(), managed.closeAll()]).then(() => {});
  });
  // the worker's own client: its connection, namespace, identity and payload codec
  const presence = startExecutorPresence({
    client: worker.client!,
    identity: options.identity,
    role: options.role,
    taskQueue: running.taskQueue,
    gateways: () => pool.gateways,
    inFlight: () => worker.getStatus().numInFlightActivities,
    health: () => workerHealth(worker),
    intervalMs: presenceIntervalMs,
  });
  // a worker that ends on its own says goodbye only when it ended cleanly; a failed one turns gone
  running.done.then(
    () => presence.stop(),
    () => presence.stop({ goodbye: false }),
  );
  const stop = async () => {
    await presence.stop();
    await running.stop();
  };
  return {
    ...running,
    stop,
    role: options.role,
    gateways: pool.gateways,
    pool,
    presence,
    managed,
    ...(envFile === undefined ? {} : { envFile }),
  };
}
