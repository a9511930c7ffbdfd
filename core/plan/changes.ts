/** Whether applying a plan changes its environment at all. */
import type { PlanDiff } from './types.ts';

/**
 * True when applying the plan changes the environment: a new environment always does, an existing
 * one when a model maps to another snapshot, is added or removed, or only its metadata changed.
 */
export function planChangesSomething(diff: PlanDiff): boolean {
  if (diff.base !== diff.environment) return true;
  const before = diff.previousSnapshotMap;
  const after = diff.snapshotMap;
  const models = new Set([...Object.keys(before), ...Object.keys(after)]);
  return diff.metadataOnly.length > 0 || [...models].some((m) => before[m] !== after[m]);
}
