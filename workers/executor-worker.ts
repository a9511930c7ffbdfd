/**
 * A run or apply executor: a worker on `sluice-run` or `sluice-apply` that serves only the executor
 * activities. It holds warehouse credentials and nothing else: no workflows, no state database.
 * Every gateway's settings are checked before the worker polls, so a bad configuration stops the
 * process at start-up instead of failing the first batch.
 */

import { type NativeConnection, Worker } from '@temporalio/worker';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { EnginePool } from '../activities/engines/pool.ts';
import { createExecutorActivities, type ExecutorRole } from '../activities/executor/index.ts';
import type { GatewayConnection } from '../core/project/types.ts';
import { type RunningWorker, runWorker, shutdownTimes } from './running-worker.ts';

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
}

export interface RunningExecutor extends RunningWorker {
  role: ExecutorRole;
  /** the gateways it serves, by name. */
  gateways: string[];
  pool: EnginePool;
}

export async function startExecutorWorker(options: ExecutorWorkerOptions): Promise<RunningExecutor> {
  const connections = Object.fromEntries(
    Object.entries(options.gateways).map(([name, gateway]) => [name, gateway.connection]),
  );
  const pool = new EnginePool(connections, { baseDir: options.baseDir });
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
      }),
      ...shutdownTimes(options.shutdownGraceMs),
    });
  } catch (error) {
    await pool.closeAll();
    throw error;
  }
  const running = runWorker(worker, options.identity, () => pool.closeAll());
  return { ...running, role: options.role, gateways: pool.gateways, pool };
}
