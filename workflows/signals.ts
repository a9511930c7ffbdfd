/**
 * The environment workflow's signals, queries and updates, with their argument types: what the API,
 * the CLI and run children send it; and the signal executors send a run about its segments. Kept apart from the workflow so a run child can report back
 * without importing the workflow that starts it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { type BatchResult, SEGMENT_PROGRESS_SIGNAL } from '../activities/contracts.ts';
import type { TriggerRequest } from '../core/environment/memory.ts';
import type { ModelOutcome, RunReport } from '../core/environment/run-report.ts';
import type { EnvironmentState } from '../core/environment/view.ts';
import {
  ACQUIRE_RUN_SLOT_SIGNAL,
  RELEASE_RUN_SLOT_SIGNAL,
  RUN_SLOT_ANSWER_SIGNAL,
  type RunSlots,
  type SlotAnswer,
  type SlotRequest,
} from '../core/run-slots.ts';

export type { TriggerRequest };

export const pauseEnvironmentSignal = defineSignal<[reason: string, actor: string]>('pauseEnvironment');
export const resumeEnvironmentSignal = defineSignal<[actor: string]>('resumeEnvironment');
export const pauseModelSignal = defineSignal<[model: string, reason: string, actor: string]>('pauseModel');
export const resumeModelSignal = defineSignal<[model: string, actor: string]>('resumeModel');
/** sent by run children as each model finishes. */
export const runProgressSignal =
  defineSignal<[runId: string, models: Record<string, ModelOutcome>]>('runProgress');
/** sent by run children when they end. */
export const runFinishedSignal = defineSignal<[report: RunReport]>('runFinished');
/** cancels a queued plan, or the application of the plan being applied. */
export const cancelPlanSignal = defineSignal<[planId: string, actor: string]>('cancelPlan');
/** cancels a triggered run still waiting in the environment's queue (its workflow not started). */
export const cancelQueuedRunSignal = defineSignal<[runId: string, actor: string]>('cancelQueuedRun');
/** sent to a run or apply workflow by the executor of one of its segments as batches end. */
export const segmentProgressSignal =
  defineSignal<[segmentId: string, results: BatchResult[]]>(SEGMENT_PROGRESS_SIGNAL);
export const stateQuery = defineQuery<EnvironmentState>('state');
export const submitPlanUpdate = defineUpdate<
  { planId: string; position: number },
  [plan: { planId: string; submittedBy: string }]
>('submitPlan');
export const triggerRunUpdate = defineUpdate<{ runId: string }, [request: TriggerRequest]>('triggerRun');

/** a run asks the run-slot keeper for a slot (sent with signalWithStart by the scheduler). */
export const acquireRunSlotSignal = defineSignal<[request: SlotRequest]>(ACQUIRE_RUN_SLOT_SIGNAL);
/** a run gives its slot back, or leaves the queue (sent from its non-cancellable finally). */
export const releaseRunSlotSignal = defineSignal<[runId: string]>(RELEASE_RUN_SLOT_SIGNAL);
/** the keeper tells a run it holds a slot, or why it waits. */
export const runSlotAnswerSignal = defineSignal<[answer: SlotAnswer]>(RUN_SLOT_ANSWER_SIGNAL);
export const runSlotsQuery = defineQuery<RunSlots>('runSlots');
