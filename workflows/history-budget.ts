/**
 * How long a run's or a plan's history may grow before it continues as new: well under Temporal's
 * warnings (10,240 events, 10 MB), with room for the segments still in flight when the budget is
 * passed (each adds at most a few of the 192 KB segment payloads). Read from the workflow's info,
 * which replays as it was, so the decision is deterministic.
 */
import { workflowInfo } from '@temporalio/workflow';

export const HISTORY_BYTES_BUDGET = 4 * 1024 * 1024;
export const HISTORY_EVENTS_BUDGET = 4_000;

/** The history has passed its budget, or Temporal suggests continuing as new. */
export function historyOverBudget(): boolean {
  const info = workflowInfo();
  return (
    info.historySize > HISTORY_BYTES_BUDGET ||
    info.historyLength > HISTORY_EVENTS_BUDGET ||
    info.continueAsNewSuggested
  );
}
