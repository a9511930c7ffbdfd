/**
 * The shape of a plan: what applying a project to an environment changes. Plain data only, so a
 * plan can be stored in the plans table, sent over HTTP and passed between workflow activities.
 */
import type { Interval } from '../intervals.ts';
import type { Model, ModelKindName } from '../project/types.ts';

/** What an environment currently maps a model to. */
export interface CurrentSnapshot {
  snapshotId: string;
  fingerprint: string;
  metadataHash: string;
  /**
   * The model as the snapshot stores it. When given, a model whose upstream changed is told apart
   * exactly: directly modified if its own definition changed too, indirectly modified otherwise.
   */
  definition?: Model;
}

/** model name → what the environment maps it to; empty for an environment that does not exist yet. */
export type CurrentSnapshots = Record<string, CurrentSnapshot>;

export interface NewSnapshot {
  model: string;
  fingerprint: string;
  snapshotId: string;
}

/**
 * How a model's backfill executes: `batched` runs one execution per entry of `intervals` (a batch
 * of contiguous intervals); `single` runs one execution (a full rebuild, a seed load, a view's
 * creation) that covers every interval listed, which may be none for a view whose range has not
 * started yet.
 */
export type BackfillExecution = 'batched' | 'single';

export interface BackfillEntry {
  model: string;
  snapshotId: string;
  kind: ModelKindName;
  execution: BackfillExecution;
  /** half-open `[start, end)` epoch-millisecond ranges, ordered by start. */
  intervals: Interval[];
}

export interface PlanDiff {
  environment: string;
  /**
   * The environment the diff was computed against: the environment itself, or, for an
   * environment that does not exist yet, the one it is created from (null: created empty).
   */
  base: string | null;
  /** the plan's execution time (epoch ms): intervals must have ended and be due by then. */
  now: number;
  /** the narrowed range of a development plan, as asked for. */
  start: number | null;
  end: number | null;
  added: string[];
  removed: string[];
  /** models whose own definition changed. */
  directlyModified: string[];
  /** models whose definition is unchanged but an upstream model changed. */
  indirectlyModified: string[];
  /** models whose metadata (owner, description, cron, ...) changed but not their data. */
  metadataOnly: string[];
  unchanged: string[];
  /** snapshots the environment will map to that it does not map to now. */
  newSnapshots: NewSnapshot[];
  /** the environment's snapshot map once the plan is applied (model name → snapshot id). */
  snapshotMap: Record<string, string>;
  /** the snapshot map the diff was computed against. */
  previousSnapshotMap: Record<string, string>;
  /** the work the plan executes, in dependency order (every model after the models it reads). */
  backfill: BackfillEntry[];
  /** true when the plan changes no data: applying it only swaps views. */
  virtualUpdateOnly: boolean;
}

/** One view of an environment: the model and the physical table it points at. */
export interface ViewEntry {
  model: string;
  /** the physical table's SQL name (`physicalTable(...).qualified`). */
  physical: string;
}
