/**
 * The executor registry: one long-lived workflow (`sluice-executors`, on the scheduler's task queue)
 * that remembers the last report of every executor. Executors share nothing with the scheduler side
 * but Temporal, so they report by signal: a heartbeat every few seconds and a goodbye when they stop
 * cleanly (workers/executor-presence.ts); whoever signals first starts it (signalWithStart). The API
 * reads the map by query. Entries not heard from for 24 hours are dropped; the map is carried across
 * continue-as-new, after about a thousand signals or when Temporal suggests it.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ExecutorRole } from '../activities/executor/index.ts';

export const EXECUTOR_REGISTRY_WORKFLOW_ID = 'sluice-executors';
/** entries not heard from for this long are dropped. */
export const EXECUTOR_FORGET_AFTER_MS = 24 * 3_600_000;
const DEFAULT_MAX_SIGNALS = 1_000;
/** how often forgotten entries are dropped while no continue-as-new is due. */
const PRUNE_EVERY_MS = 3_600_000;

export type ExecutorHealth = 'ok' | 'degraded';

/** What an executor says about itself in each heartbeat (the whole signal payload). */
export interface ExecutorReport {
  identity: string;
  role: ExecutorRole;
  taskQueue: string;
  /** the sluice version it runs. */
  version: string;
  /** the gateways it serves, by name only. */
  gateways: string[];
  /** when the executor started, epoch ms (its clock). */
  startedAt: number;
  /** when it sent this report, epoch ms (its clock). */
  at: number;
  health: ExecutorHealth;
  /** executor activities running right now. */
  inFlight: number;
}

/** Sent once by an executor that stops cleanly. */
export interface ExecutorGoodbye {
  identity: string;
  /** epoch ms (the executor's clock). */
  at: number;
}

export interface ExecutorEntry extends ExecutorReport {
  /** when the executor said goodbye; null while it has not (or has reported again since). */
  stoppedAt: number | null;
  /** workflow time of the last signal from it; what the 24-hour forgetting counts from. */
  heardAt: number;
}

export type ExecutorMap = Record<string, ExecutorEntry>;

export interface ExecutorRegistryInput {
  /** the map carried across continue-as-new. */
  executors?: ExecutorMap;
  /** continue-as-new after this many signals (about 1000). */
  maxSignals?: number;
}

export const executorHeartbeatSignal = defineSignal<[report: ExecutorReport]>('executorHeartbeat');
export const executorStoppedSignal = defineSignal<[goodbye: ExecutorGoodbye]>('executorStopped');
export const executorsQuery = defineQuery<ExecutorMap>('executors');

export async function executorRegistryWorkflow(input: ExecutorRegistryInput = {}): Promise<void> {
  const executors: ExecutorMap = { ...(input.executors ?? {}) };
  const maxSignals = input.maxSignals ?? DEFAULT_MAX_SIGNALS;
  let signals = 0;

  const live = (now: number): ExecutorMap =>
    Object.fromEntries(
      Object.entries(executors).filter(([, entry]) => now - entry.heardAt < EXECUTOR_FORGET_AFTER_MS),
    );

  setHandler(executorHeartbeatSignal, (report) => {
    signals += 1;
    const read = readReport(report);
    if (read === null) {
      log.warn('malformed executor heartbeat ignored');
      return;
    }
    const known = executors[read.identity];
    const now = Date.now();
    // A report older than what is already known (delivered late) changes nothing but the time
    // the executor was last heard from; it does not undo a goodbye either.
    if (known && (read.at < known.at || (known.stoppedAt !== null && read.at <= known.stoppedAt))) {
      known.heardAt = now;
      return;
    }
    executors[read.identity] = { ...read, stoppedAt: null, heardAt: now };
  });

  setHandler(executorStoppedSignal, (goodbye) => {
    signals += 1;
    const known = typeof goodbye?.identity === 'string' ? executors[goodbye.identity] : undefined;
    // a goodbye from an executor that never reported has nothing to mark
    if (!known || typeof goodbye.at !== 'number') return;
    known.stoppedAt = Math.max(goodbye.at, known.stoppedAt ?? 0);
    known.heardAt = Date.now();
  });

  setHandler(executorsQuery, () => live(Date.now()));

  for (;;) {
    const due = await condition(
      () => signals >= maxSignals || workflowInfo().continueAsNewSuggested,
      PRUNE_EVERY_MS,
    );
    const kept = live(Date.now());
    for (const identity of Object.keys(executors)) {
      if (!(identity in kept)) delete executors[identity];
    }
    if (due) {
      // every signal delivered so far is in the map before it is carried over
      await condition(allHandlersFinished);
      await continueAsNew<typeof executorRegistryWorkflow>({
        executors: live(Date.now()),
        ...(input.maxSignals === undefined ? {} : { maxSignals: input.maxSignals }),
      });
    }
  }
}

/** The report's known fields, or null when it is not a report. */
function readReport(value: unknown): ExecutorReport | null {
  if (value === null || typeof value !== 'object') return null;
  const r = value as Record<string, unknown>;
  if (typeof r.identity !== 'string' || r.identity === '') return null;
  if (r.role !== 'run' && r.role !== 'apply') return null;
  if (typeof r.at !== 'number' || typeof r.startedAt !== 'number') return null;
  return {
    identity: r.identity,
    role: r.role,
    taskQueue: typeof r.taskQueue === 'string' ? r.taskQueue : '',
    version: typeof r.version === 'string' ? r.version : '',
    gateways: Array.isArray(r.gateways) ? r.gateways.filter((g): g is string => typeof g === 'string') : [],
    startedAt: r.startedAt,
    at: r.at,
    health: r.health === 'degraded' ? 'degraded' : 'ok',
    inFlight: typeof r.inFlight === 'number' ? r.inFlight : 0,
  };
}
