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
/** sent to a run or apply workflow by the executor of one of its segments as batches end. */
export const segmentProgressSignal =
  defineSignal<[segmentId: string, results: BatchResult[]]>(SEGMENT_PROGRESS_SIGNAL);
export const stateQuery = defineQuery<EnvironmentState>('state');
export const submitPlanUpdate = defineUpdate<
  { planId: string; position: number },
  [plan: { planId: string; submittedBy: string }]
>('submitPlan');
export const triggerRunUpdate = defineUpdate<{ runId: string }, [request: TriggerRequest]>('triggerRun');
