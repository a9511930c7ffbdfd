/**
 * What the environment's state machine asks its workflow to do. `log` and `showDetails` are done at
 * once and answered by nothing; a signal handler's commands are answered only when they fail
 * (`sideCommandFailed`); every other command is the loop's, and its answer is the loop's next event.
 */
import type { EnvironmentMemory } from './memory.ts';
import type { ModelWork } from './model-work.ts';
import type { PauseChange, PlanOutcome, QueuedRunRecord, SkipRecord } from './records.ts';
import type { RunTrigger } from './run-report.ts';

/** Done at once, answered by nothing. */
export type ImmediateCommand =
  | { kind: 'log'; level: 'warn' | 'error'; message: string; fields: Record<string, unknown> }
  | { kind: 'showDetails'; details: string };

/** A signal handler's work: answered only by `sideCommandFailed`, labelled by `what`. */
export type SideCommand =
  | { kind: 'recordPauseChange'; change: PauseChange; what: string }
  | { kind: 'cancelApply'; workflowId: string; what: string }
  /** a trigger cancelled while it waited for other runs: its queued record ends `cancelled`. */
  | { kind: 'recordQueuedRunCancelled'; runId: string; reason: string; what: string }
  | {
      kind: 'recordPlanCancelled';
      plan: { planId: string; environment: string; status: PlanOutcome; error: string };
      what: string;
    };

/** The loop's work: each answered by the loop event named beside it. */
export type LoopCommand =
  /** → scheduleLoaded; a `fatal` load's failure ends the workflow (the first load, before anything runs). */
  | { kind: 'loadSchedule'; environment: string; fatal?: true }
  /** → runsWaited: until no run is in flight, or the timeout. */
  | { kind: 'waitForRuns'; timeoutMs: number }
  /** → closedRunsFound */
  | { kind: 'closedRuns'; runIds: string[] }
  /** → planApplied, or planNotApplied when the child fails. */
  | { kind: 'applyPlan'; planId: string; submittedBy: string; workflowId: string; environment: string }
  /** → planEndRecorded */
  | {
      kind: 'finishPlan';
      plan: { planId: string; environment: string; status: PlanOutcome; error: string };
    }
  /** → intervalsCleared */
  | { kind: 'clearIntervals'; environment: string; models: string[]; start: number; end: number }
  /** → uniqueDrawn */
  | { kind: 'drawUnique' }
  /** → skipsRecorded */
  | { kind: 'recordSkips'; skips: SkipRecord[] }
  /** → dueWorkFound */
  | {
      kind: 'findDueWork';
      environment: string;
      models: string[];
      now: number;
      restrict?: { start: number; end: number };
    }
  /** → runStarted: a run child, not waited for. */
  | {
      kind: 'startRun';
      runId: string;
      environment: string;
      trigger: RunTrigger;
      scheduledAt: number;
      work: ModelWork[];
    }
  /** → queuedRunRecorded: a trigger waits for other runs; its run is recorded `queued` with why. */
  | { kind: 'recordQueuedRun'; run: QueuedRunRecord }
  /** → queuedRunSkipped: a trigger that waited found nothing to run; its record ends `skipped`. */
  | { kind: 'skipQueuedRun'; runId: string; reason: string }
  /** → historyChecked: whether the history is long enough to continue as new. */
  | { kind: 'checkHistory' }
  /** → handlersFinished */
  | { kind: 'awaitHandlers' }
  /** → woke: until something changes (`dirty`), or the timeout when there is one. */
  | { kind: 'sleep'; timeoutMs?: number }
  /** the end of this workflow run. */
  | { kind: 'continueAsNew'; memory: EnvironmentMemory };

export type EnvironmentCommand = ImmediateCommand | SideCommand | LoopCommand;

export function isImmediateCommand(command: EnvironmentCommand): command is ImmediateCommand {
  return command.kind === 'log' || command.kind === 'showDetails';
}

export function isSideCommand(command: EnvironmentCommand): command is SideCommand {
  return (
    command.kind === 'recordPauseChange' ||
    command.kind === 'cancelApply' ||
    command.kind === 'recordQueuedRunCancelled' ||
    command.kind === 'recordPlanCancelled'
  );
}
