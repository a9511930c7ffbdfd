/**
 * The run-slot keeper: one workflow per namespace (`sluice-run-slots`), started by the scheduler
 * side with signalWithStart the first time a run asks for a slot. It grants at most the limit of
 * leases at once (core/run-slots.ts decides who), tells each run by signal, and takes slots back
 * when runs release them from their non-cancellable finally. A run that can no longer release (its
 * workflow was terminated, timed out, or is gone) is found by checking its holders' workflows every
 * `checkEveryMs`, and as soon as a signal to it fails. Its state lives in its history and crosses
 * continue-as-new, so slots survive worker and Temporal server restarts.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { SchedulerActivities } from '../activities/contracts.ts';
import {
  answerFor,
  emptySlots,
  knownRuns,
  type RunSlots,
  releaseSlots,
  requestSlot,
  type SlotHolder,
} from '../core/run-slots.ts';
import { failureMessage } from './activity-failure.ts';
import { SCHEDULER_ACTIVITY_OPTIONS } from './scheduler-activity-options.ts';
import { acquireRunSlotSignal, releaseRunSlotSignal, runSlotAnswerSignal, runSlotsQuery } from './signals.ts';

export interface RunSlotsInput {
  /** the limit until a request brings another. */
  limit: number;
  /** carried across continue-as-new. */
  slots?: RunSlots;
  /** runs still to be told their answer, carried across continue-as-new. */
  untold?: string[];
  /** how often the workflows of the runs holding or waiting are checked (1 minute). */
  checkEveryMs?: number;
  /** continue-as-new once history reaches this many events (2,000). */
  maxHistoryEvents?: number;
}

const DEFAULT_CHECK_EVERY_MS = 60_000;
const DEFAULT_MAX_HISTORY_EVENTS = 2_000;

const scheduler = proxyActivities<SchedulerActivities>(SCHEDULER_ACTIVITY_OPTIONS);

export async function runSlotsWorkflow(input: RunSlotsInput): Promise<void> {
  const slots = input.slots ?? emptySlots(input.limit);
  const checkEveryMs = input.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
  const untold: string[] = [...(input.untold ?? [])];
  const tell = (runIds: readonly string[]) => {
    for (const runId of runIds) if (!untold.includes(runId)) untold.push(runId);
  };
  const ids = (holders: SlotHolder[]) => holders.map((h) => h.runId);

  setHandler(acquireRunSlotSignal, (request) => {
    tell([request.runId, ...ids(requestSlot(slots, request, Date.now()))]);
  });
  setHandler(releaseRunSlotSignal, (runId) => {
    tell(ids(releaseSlots(slots, [runId], Date.now())));
  });
  setHandler(runSlotsQuery, () => slots);

  let checkedAt = Date.now();
  for (;;) {
    const due = () => checkedAt + checkEveryMs - Date.now();
    if (knownRuns(slots).length === 0) await condition(() => untold.length > 0);
    else if (due() > 0) await condition(() => untold.length > 0, due());

    while (untold.length > 0) {
      const runId = untold.shift()!;
      if (!knownRuns(slots).includes(runId)) continue;
      try {
        await getExternalWorkflowHandle(runId).signal(runSlotAnswerSignal, answerFor(slots, runId));
      } catch (err) {
        if (isCancellation(err)) throw err;
        // Its workflow is gone: its slot, or its place in the queue, goes to the next.
        log.warn('run slot reclaimed: the run cannot be told', { runId, error: failureMessage(err) });
        tell(ids(releaseSlots(slots, [runId], Date.now())));
      }
    }

    if (due() <= 0) {
      checkedAt = Date.now();
      const known = knownRuns(slots);
      if (known.length > 0) {
        try {
          const closed = await scheduler.closedRuns(known);
          if (closed.length > 0) log.warn('run slots reclaimed from closed runs', { runIds: closed });
          tell(ids(releaseSlots(slots, closed, Date.now())));
        } catch (err) {
          if (isCancellation(err)) throw err;
          log.warn('run slot check failed; tried again at its next turn', { error: failureMessage(err) });
        }
      }
    }

    const info = workflowInfo();
    const limit = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
    if (untold.length === 0 && (info.continueAsNewSuggested || info.historyLength >= limit)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof runSlotsWorkflow>({ ...input, limit: slots.limit, slots, untold });
    }
  }
}
