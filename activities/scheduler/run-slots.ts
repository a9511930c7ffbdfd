/**
 * `requestRunSlot`: a run asks the namespace's run-slot keeper (workflows/run-slots.ts) for a slot,
 * by signalWithStart on its fixed id, so the first request starts it and every later one finds it.
 * The keeper answers the run by signal.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import {
  ACQUIRE_RUN_SLOT_SIGNAL,
  RUN_SLOTS_WORKFLOW_ID,
  RUN_SLOTS_WORKFLOW_TYPE,
  type SlotRequest,
} from '../../core/run-slots.ts';
import { TASK_QUEUES } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';
import { parseInput, text } from './input.ts';

const REQUEST = z.object({
  runId: text,
  environment: text,
  priority: z.number().int(),
  limit: z.number().int().min(1),
});

export async function requestRunSlot(ctx: SchedulerContext, request: SlotRequest): Promise<void> {
  const input = parseInput('requestRunSlot', REQUEST, request);
  if (!ctx.temporal) throw new Error('requestRunSlot: this scheduler worker has no Temporal client');
  await signalRunSlotKeeper(ctx.temporal, input);
}

/** Signals the keeper, starting it with the request's limit when it is not running. */
export async function signalRunSlotKeeper(temporal: Client, request: SlotRequest): Promise<void> {
  const input = parseInput('requestRunSlot', REQUEST, request);
  await temporal.workflow.signalWithStart(RUN_SLOTS_WORKFLOW_TYPE, {
    workflowId: RUN_SLOTS_WORKFLOW_ID,
    taskQueue: TASK_QUEUES.scheduler,
    args: [{ limit: input.limit }],
    signal: ACQUIRE_RUN_SLOT_SIGNAL,
    signalArgs: [input],
    staticSummary: 'run slots (SLUICE_RUN_SLOTS): grants and reclaims the runs’ leases',
  });
}
