/**
 * What an environment remembers across continue-as-new: its schedule, pauses, queued plans and
 * triggers, runs in flight and what each model did last. Plain JSON, carried in the workflow's input.
 */
import type { Pauses, ScheduledModel } from '../schedule.ts';
import type { ModelStatus, RunTrigger } from './run-report.ts';

export interface QueuedPlan {
  planId: string;
  submittedBy: string;
  submittedAt: number;
}

export interface RunInFlight {
  runId: string;
  trigger: RunTrigger;
  models: string[];
  /** models of the run that have already finished. */
  done: string[];
  scheduledAt: number;
  startedAt: number;
  /** how long the run may take before the watchdog calls it stuck (see core/watchdog.ts). */
  limitMs?: number;
}

export interface LastExecution {
  runId: string;
  status: ModelStatus;
  finishedAt: number;
  error?: string;
  reason?: string;
}

export interface TriggerRequest {
  /** models to run; all the environment's scheduled models when empty. */
  models?: string[];
  includeUpstream?: boolean;
  /** restatement: completed intervals in [start, end) are cleared and run again, downstream follows. */
  restate?: { start: number; end: number };
  requestedBy: string;
}

export interface PendingTrigger extends TriggerRequest {
  runId: string;
  requestedAt: number;
  /** why it waits for other runs, once recorded `queued` (core/environment/trigger-queue.ts). */
  queuedReason?: string;
}

/** Everything the workflow carries across continue-as-new. */
export interface EnvironmentMemory {
  models: ScheduledModel[];
  /** every cron tick at or before this instant has been handled. */
  cursor: number;
  pauses: Pauses;
  plans: QueuedPlan[];
  runs: Record<string, RunInFlight>;
  triggers: PendingTrigger[];
  /** models to run as soon as possible: resumed ones, and ones skipped because they were still running. */
  catchUp: string[];
  lastExecutions: Record<string, LastExecution>;
  /** the longest batch seen of each model, ms: the watchdog's measure. */
  longestBatchMs?: Record<string, number>;
}

/** A new environment's memory: nothing scheduled yet, every tick before `now` handled. */
export function freshMemory(now: number): EnvironmentMemory {
  return {
    models: [],
    cursor: now,
    pauses: { environment: null, models: {} },
    plans: [],
    runs: {},
    triggers: [],
    catchUp: [],
    lastExecutions: {},
  };
}
