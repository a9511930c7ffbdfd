/**
 * An executor's presence: it tells the executor registry (workflows/executor-registry.ts) that it is
 * alive, right away and then every `SLUICE_PRESENCE_INTERVAL` (15 s), and says goodbye when it stops
 * cleanly. Executors reach nothing of the scheduler side but Temporal, so the reports travel as
 * signals (signalWithStart: the first executor to report starts the registry). A failed report is
 * logged once per outage and never thrown: the executor keeps working while Temporal is away.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { TASK_QUEUES } from '../activities/contracts.ts';
import type { ExecutorRole } from '../activities/executor/index.ts';
import { DEFAULT_PRESENCE_INTERVAL_MS } from '../config/defaults.ts';
import {
  EXECUTOR_REGISTRY_WORKFLOW_ID,
  type ExecutorGoodbye,
  type ExecutorHealth,
  type ExecutorReport,
  executorHeartbeatSignal,
  type executorRegistryWorkflow,
  executorStoppedSignal,
} from '../workflows/executor-registry.ts';
import { PACKAGE_ROOT } from './package-root.ts';

/** how long one report or goodbye may take before it counts as failed. */
const CALL_TIMEOUT_MS = 5_000;

export interface ExecutorPresenceOptions {
  /** a client on the executor's own connection (a NativeConnection is a ConnectionLike). */
  client: Client;
  identity: string;
  role: ExecutorRole;
  taskQueue: string;
  /** the gateways it serves, by name. */
  gateways: () => string[];
  /** executor activities running now. */
  inFlight: () => number;
  health: () => ExecutorHealth;
  /** time between reports (SLUICE_PRESENCE_INTERVAL); 15 s when omitted. */
  intervalMs?: number;
  /** where failed reports are told (once per outage); stderr by default. */
  log?: (line: string) => void;
  now?: () => number;
}

export interface ExecutorPresence {
  /**
   * Stops reporting and, unless `goodbye` is false, tells the registry the executor stopped (it is
   * then listed as `stopped`, not `gone`). Never throws; calling it again returns the first stop.
   */
  stop(options?: { goodbye?: boolean }): Promise<void>;
}

let version: string | undefined;

/** The sluice version, from package.json (read once). */
export function sluiceVersion(): string {
  version ??=
    (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ??
    'unknown';
  return version;
}

/** `ok` while the worker runs and polls for activities, `degraded` otherwise. */
export function workerHealth(worker: Worker): ExecutorHealth {
  const status = worker.getStatus();
  return status.runState === 'RUNNING' && status.activityPollerState === 'POLLING' ? 'ok' : 'degraded';
}

export function startExecutorPresence(options: ExecutorPresenceOptions): ExecutorPresence {
  const { client, identity } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_PRESENCE_INTERVAL_MS;
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
    throw new Error(`presence interval must be a number of milliseconds above zero (got ${intervalMs})`);
  }
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = now();
  const sluice = sluiceVersion();
  const every = intervalMs < 1000 ? `${intervalMs} ms` : `${Math.round(intervalMs / 1000)} s`;

  let stopped = false;
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();
  let stopping: Promise<void> | undefined;

  function signal(
    definition: typeof executorHeartbeatSignal | typeof executorStoppedSignal,
    args: [ExecutorReport] | [ExecutorGoodbye],
  ): Promise<unknown> {
    return client.connection.withDeadline(Date.now() + CALL_TIMEOUT_MS, () =>
      client.workflow.signalWithStart<typeof executorRegistryWorkflow, typeof args>(
        'executorRegistryWorkflow',
        {
          workflowId: EXECUTOR_REGISTRY_WORKFLOW_ID,
          taskQueue: TASK_QUEUES.scheduler,
          args: [{}],
          signal: definition.name,
          signalArgs: args,
          staticSummary: 'executor registry: the last report of every executor',
        },
      ),
    );
  }

  async function beat(): Promise<void> {
    try {
      const report: ExecutorReport = {
        identity,
        role: options.role,
        taskQueue: options.taskQueue,
        version: sluice,
        gateways: [...options.gateways()],
        startedAt,
        at: now(),
        health: options.health(),
        inFlight: options.inFlight(),
      };
      await signal(executorHeartbeatSignal, [report]);
      if (failing && !stopped) log(`sluice executor ${identity}: presence reports reach Temporal again`);
      failing = false;
    } catch (error) {
      if (!failing && !stopped) {
        log(
          `sluice executor ${identity}: cannot report its presence to Temporal (${reason(error)}); ` +
            `it keeps working and tries again every ${every}`,
        );
      }
      failing = true;
    }
  }

  function loop(): void {
    beating = beat().then(() => {
      if (stopped) return;
      timer = setTimeout(loop, intervalMs);
      timer.unref();
    });
  }
  loop();

  return {
    stop({ goodbye = true } = {}) {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        // the last report goes out before the goodbye, so the registry never sees them reversed
        await beating;
        if (!goodbye) return;
        const farewell: ExecutorGoodbye = { identity, at: now() };
        try {
          await signal(executorStoppedSignal, [farewell]);
        } catch (error) {
          log(
            `sluice executor ${identity}: could not tell Temporal it stopped (${reason(error)}); ` +
              'it is listed as gone once its last report is old enough',
          );
        }
      })();
      return stopping;
    },
  };
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
