/**
 * The environment state machine's state: the memory it carries across continue-as-new, what only
 * lives within one workflow run (the plan being applied, the last error, the next wake-up), and the
 * step its loop is on. Plain JSON, so it can be queried, logged and compared.
 */

import { type EnvironmentMemory, freshMemory, type PendingTrigger } from './memory.ts';
import type { RunTrigger } from './run-report.ts';
import type { ScheduleCache } from './schedule-cache.ts';

/** The plan being applied, for the watchdog. */
export interface ApplyingPlan {
  planId: string;
  workflowId: string;
  startedAt: number;
  limitMs: number;
}

/** A run the loop is starting: what it wants, and what it has found out so far. */
export interface RunStart {
  runId: string;
  trigger: RunTrigger;
  scheduledAt: number;
  wanted: string[];
  restrict?: { start: number; end: number };
  /** the models left after the skipped ones, once decided. */
  models?: string[];
  /** a trigger that waited for other runs: its record exists, `queued`, and must end if nothing runs. */
  queued?: boolean;
}

/**
 * Where the loop is: each step waits for the answer to the one command it gave. `what` names the
 * step in the error shown when it fails for good.
 */
export type Step =
  | { kind: 'loading' }
  | { kind: 'choosing' }
  | { kind: 'waiting-for-runs'; planId: string; what: string }
  | { kind: 'reconciling-before-plan'; planId: string; what: string }
  | { kind: 'applying'; planId: string; what: string }
  | { kind: 'recording-plan-end'; planId: string; what: string }
  | { kind: 'reloading-schedule'; planId: string; what: string }
  | { kind: 'clearing-intervals'; trigger: PendingTrigger; wanted: string[]; what: string }
  | { kind: 'naming-catch-up'; what: string }
  | { kind: 'reconciling-before-run'; run: RunStart; what: string }
  | { kind: 'recording-skips'; run: RunStart; what: string }
  | { kind: 'finding-due-work'; run: RunStart; what: string }
  | { kind: 'starting-run'; run: RunStart; models: string[]; what: string }
  | { kind: 'recording-queued-run'; what: string }
  | { kind: 'skipping-queued-run'; what: string }
  | { kind: 'checking-history' }
  | { kind: 'finishing-handlers' }
  | { kind: 'sleeping'; runsOpen: boolean }
  | { kind: 'reconciling'; what: string }
  | { kind: 'continued' };

export interface EnvironmentConfig {
  environment: string;
  /** the least time a run or a plan application may take before it is reported stuck. */
  stuckAfterMs: number;
  /**
   * triggered runs wait for models other runs hold instead of skipping them
   * (core/environment/trigger-queue.ts); off only for histories written before it existed.
   */
  queueTriggers?: boolean;
}

export interface EnvironmentMachine {
  config: EnvironmentConfig;
  memory: EnvironmentMemory;
  /** the schedule has been loaded (or came with the memory). */
  loaded: boolean;
  applying: ApplyingPlan | null;
  /** why the environment's last step failed (it carries on), when it did. */
  lastError: { at: number; message: string } | null;
  /** something changed since the loop went to sleep: it wakes to look again. */
  dirty: boolean;
  wake: { at: number; models: string[] } | null;
  /** each model's next tick and the models blocked by pauses; null until first needed. */
  schedule: ScheduleCache | null;
  step: Step;
}

/** The machine at the start of a workflow run: with the memory continue-as-new carried, or fresh. */
export function initialState(
  config: EnvironmentConfig,
  memory: EnvironmentMemory | undefined,
  now: number,
): EnvironmentMachine {
  return {
    config,
    memory: memory ?? freshMemory(now),
    loaded: memory !== undefined,
    applying: null,
    lastError: null,
    dirty: false,
    wake: null,
    schedule: null,
    step: { kind: memory === undefined ? 'loading' : 'choosing' },
  };
}
