/**
 * What happens to an environment, as its state machine hears it: the signals and updates people and
 * runs send, and the answer to each command the loop carried out (or its failure).
 */
import type { ScheduledModel } from '../schedule.ts';
import type { TriggerRequest } from './memory.ts';
import type { ModelWork } from './model-work.ts';
import type { PlanOutcome } from './records.ts';
import type { ModelOutcome, RunReport } from './run-report.ts';

/** Signals and updates: they change the state at once, whatever the loop is doing. */
export type OutsideEvent =
  | { type: 'pauseEnvironment'; reason: string; actor: string }
  | { type: 'resumeEnvironment'; actor: string }
  | { type: 'pauseModel'; model: string; reason: string; actor: string }
  | { type: 'resumeModel'; model: string; actor: string }
  | { type: 'runProgress'; runId: string; models: Record<string, ModelOutcome> }
  | { type: 'runFinished'; report: RunReport }
  | { type: 'cancelPlan'; planId: string; actor: string }
  /** a triggered run cancelled before it started: it leaves the trigger queue. */
  | { type: 'cancelQueuedRun'; runId: string; actor: string }
  | { type: 'submitPlan'; planId: string; submittedBy: string }
  /** `runId` is named by the workflow (it holds a unique suffix). */
  | { type: 'triggerRun'; request: TriggerRequest; runId: string }
  /** a command a signal handler carried out failed for good; `what` is the command's. */
  | { type: 'sideCommandFailed'; what: string; message: string };

/** Answers to the loop's commands, in the order the loop gave them. */
export type LoopEvent =
  | { type: 'started' }
  | { type: 'scheduleLoaded'; models: ScheduledModel[] }
  | { type: 'runsWaited'; drained: boolean }
  | { type: 'closedRunsFound'; runIds: string[] }
  | { type: 'planApplied'; models: ScheduledModel[] }
  /** the apply child failed, was cancelled, terminated or timed out. */
  | { type: 'planNotApplied'; outcome: PlanOutcome; message: string }
  | { type: 'planEndRecorded'; models: ScheduledModel[] }
  | { type: 'intervalsCleared' }
  /** a unique suffix for a run's id, drawn by the workflow. */
  | { type: 'uniqueDrawn'; unique: string }
  | { type: 'skipsRecorded' }
  | { type: 'dueWorkFound'; work: ModelWork[] }
  | { type: 'runStarted' }
  | { type: 'queuedRunRecorded' }
  | { type: 'queuedRunSkipped' }
  | { type: 'historyChecked'; full: boolean }
  | { type: 'handlersFinished' }
  | { type: 'woke'; timedOut: boolean }
  /** the loop's current command failed for good (not a cancellation). */
  | { type: 'stepFailed'; message: string };

export type EnvironmentEvent = OutsideEvent | LoopEvent;
