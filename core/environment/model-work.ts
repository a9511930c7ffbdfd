/** One model's part of a run, as the state DB finds it due: its batches in order. */
import type { Interval } from '../intervals.ts';

/** One model's part of a run: its batches in order, each an interval or null for a whole rebuild. */
export interface ModelWork {
  model: string;
  snapshotId: string;
  gateway: string;
  /** models of the same run this one waits for. */
  dependsOn: string[];
  batches: Array<Interval | null>;
}
