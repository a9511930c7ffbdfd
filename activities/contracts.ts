/**
 * The contract between sluice's workflows and its activities: the types every activity takes and
 * returns. Workflows import only these types (never activity code); the scheduler worker implements
 * `SchedulerActivities` (state DB, no warehouse credentials) and the executors implement
 * `ExecutorActivities` (warehouse credentials, no state DB).
 *
 * Inputs carry SQL text and metadata; results carry counts, timings and errors: never rows of data,
 * never credentials in plain text (a scheduler-managed connection travels sealed, see crypto/sealed.ts).
 */
import type { ModelWork } from '../core/environment/model-work.ts';
import type { PauseChange, PlanOutcome, QueuedRunRecord, SkipRecord } from '../core/environment/records.ts';
import type { RunReport, RunTrigger } from '../core/environment/run-report.ts';
import type { Interval } from '../core/intervals.ts';
import type { SlotRequest } from '../core/run-slots.ts';
import type { ScheduledModel } from '../core/schedule.ts';
import type { Sealed } from '../crypto/sealed.ts';
import type { ColumnInfo, QueryValue } from '../engines/engine.ts';

// The run and plan types the environment's state machine (core/environment) decides with.
export type { ModelWork } from '../core/environment/model-work.ts';
export type { PauseChange, PlanOutcome, QueuedRunRecord, SkipRecord } from '../core/environment/records.ts';
export type {
  ModelOutcome,
  ModelStatus,
  RunReport,
  RunStatus,
  RunTrigger,
} from '../core/environment/run-report.ts';

export const TASK_QUEUES = {
  scheduler: 'sluice-scheduler',
  run: 'sluice-run',
  apply: 'sluice-apply',
} as const;

export interface RunRequest {
  runId: string;
  environment: string;
  trigger: RunTrigger;
  /** the cron tick (scheduled runs) or the moment the run was asked for. */
  scheduledAt: number;
  work: ModelWork[];
  /** executions at once per gateway. */
  threads: number;
  /** `sluice-run` for scheduled and triggered runs, `sluice-apply` for plan backfills. */
  executorQueue: string;
  /** the environment workflow to report to when the run ends. */
  parentWorkflowId?: string;
  /** set when the run is a plan's backfill: names resolve to the plan's snapshots. */
  planId?: string;
  /**
   * SLUICE_RUN_SLOTS and the environment's priority (SLUICE_RUN_PRIORITY): the run waits for a slot
   * of the namespace's keeper before it executes. Absent: no limit, and the keeper is not asked.
   */
  runSlots?: { limit: number; priority: number };
}

export interface BatchRef {
  runId: string;
  environment: string;
  model: string;
  snapshotId: string;
  interval: Interval | null;
  scheduledAt: number;
  planId?: string;
}

/**
 * A run's request to prepare the next segment: consecutive batches, in the run's order (a model's
 * upstream before it, a model's batches in interval order), all on one gateway.
 */
export interface SegmentRef {
  runId: string;
  environment: string;
  scheduledAt: number;
  planId?: string;
  gateway: string;
  items: Array<{ model: string; snapshotId: string; interval: Interval | null }>;
  /**
   * the most bytes of prepared requests the answer may carry (Temporal's payload limit): the
   * scheduler prepares the longest prefix of `items` that fits, at least one item.
   */
  maxBytes: number;
}

/** A batch ready for an executor: rendered statements and the gateway to run them on. */
export interface PreparedBatch {
  executionId: string;
  gateway: string;
  model: string;
  /** the batch's interval, or null for a whole rebuild. */
  interval: Interval | null;
  /** rendered statements, audits and the physical table (see core/execution). */
  request: unknown;
  /** set when another run completed this interval in the meantime: nothing to execute. */
  alreadyComplete?: boolean;
}

/** The prefix of a SegmentRef's items the scheduler prepared, in the same order. */
export interface PreparedSegment {
  gateway: string;
  batches: PreparedBatch[];
  /**
   * the gateway's scheduler-managed connection, sealed (SLUICE_ENCRYPTION_KEY, aad = the gateway),
   * when one is stored; an executor with the gateway in its own environment ignores it.
   */
  connection?: Sealed;
}

/**
 * What an executor runs in one activity: prepared batches in dependency order, at most `threads` at
 * once, one batch of a model at a time and in order. A batch starts once every batch of the
 * models it depends on (`dependsOn`, models of this segment) succeeded; a model's failed batch ends
 * that model, and nothing that depends on it starts.
 */
export interface SegmentWork {
  /** names the segment in heartbeats, errors and the Temporal Web UI. */
  segmentId: string;
  gateway: string;
  connection?: Sealed;
  threads: number;
  batches: Array<PreparedBatch & { dependsOn: string[] }>;
}

/** One batch's end in a segment: committed, or failed in a way retrying cannot fix. */
export type BatchResult =
  | { executionId: string; model: string; status: 'succeeded'; report: ExecutorReport }
  | {
      executionId: string;
      model: string;
      status: 'failed';
      /** the failure's stable code (core/errors.ts). */
      type: string;
      message: string;
      attempt: number;
      executor: string;
      startedAt: number;
    };

/**
 * How far a segment got: the batches that ended, and those running. Sent in every heartbeat, so a
 * retried attempt (the executor died, or a retryable error) resumes after the batches that ended;
 * carried in the first detail of the failure when the activity fails (`progress`), and read from
 * the last heartbeat when it timed out.
 */
export interface SegmentProgress {
  executor: string;
  results: BatchResult[];
  /** execution ids of the batches running now. */
  running: string[];
}

/**
 * The signal an executor sends the workflow that runs a segment while the segment goes on, with the
 * batches that ended since it last sent one (`segmentId`, `BatchResult[]`), at most about once a
 * second: so a model done early in a long segment is recorded, and may run again at its next
 * tick, before the segment ends.
 */
export const SEGMENT_PROGRESS_SIGNAL = 'segmentProgress';

/** The end of a segment: each batch that ran, succeeded or failed; batches not listed did not start. */
export interface SegmentReport {
  executor: string;
  results: BatchResult[];
}

export interface StatementTiming {
  label?: string;
  durationMs: number;
  rowsAffected: number | null;
}

export interface ExecutorReport {
  executor: string;
  /** the activity attempt that ran the batch (1 on the first try, more after a retry). */
  attempt: number;
  startedAt: number;
  finishedAt: number;
  rowsAffected: number | null;
  statements: StatementTiming[];
  notices: string[];
  audits: Array<{ name: string; blocking: boolean; failingRows: number }>;
}

export type ExecutionOutcomeStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface BatchCompletion {
  executionId: string;
  runId: string;
  environment: string;
  model: string;
  snapshotId: string;
  interval: Interval | null;
  status: ExecutionOutcomeStatus;
  report?: ExecutorReport;
  error?: string;
  /** why a prepared batch was skipped (its upstream failed). */
  reason?: string;
  /** the attempts Temporal made (the executor's report says it on success). */
  attempt: number;
  /** for a failure without a report: the executor of the failed attempt and when it began, when it said. */
  failedOn?: { executor: string; startedAt: number };
}

/** What an apply needs, prepared by the scheduler side from the stored plan. */
export interface PlanWork {
  planId: string;
  environment: string;
  /**
   * the models whose physical tables to create, grouped by gateway, in dependency order (their
   * statements come from `tableRequests`, a few at a time, so no payload grows with the plan).
   * Each group, and each group below, carries the gateway's sealed scheduler-managed connection
   * when one is stored (see PreparedSegment.connection).
   */
  tables: Array<{ gateway: string; models: string[]; connection?: Sealed }>;
  backfill: ModelWork[];
  /** environment views to point at the new snapshots, per gateway. */
  views: Array<{ gateway: string; entries: Array<{ model: string; physical: string }>; connection?: Sealed }>;
  /** models whose views the plan removes, per gateway. */
  removed: Array<{ gateway: string; models: string[]; connection?: Sealed }>;
}

export interface SchedulerActivities {
  /** the environment's models as its current snapshot map says. */
  loadSchedule(environment: string): Promise<ScheduledModel[]>;
  /** ready missing intervals of `models`, batched by each model's batch_size. */
  findDueWork(args: {
    environment: string;
    models: string[];
    now: number;
    /**
     * a restatement run's requested range (as given to `clearIntervals`): each model runs only
     * inside the range it restates, without lookback.
     */
    restrict?: { start: number; end: number };
  }): Promise<ModelWork[]>;
  /**
   * restatement: clears the completed intervals each of `models` restates (the range widened to
   * its interval unit and its restated upstream's ranges); from prod, also every other version of
   * them and of their downstream in other environments.
   */
  clearIntervals(args: { environment: string; models: string[]; start: number; end: number }): Promise<void>;
  recordRunStarted(args: {
    runId: string;
    environment: string;
    trigger: RunTrigger;
    scheduledAt: number;
    models: string[];
    planId?: string;
    /** the run waits for a run slot: it is recorded `queued` until `recordRunReady`. */
    queued?: boolean;
    /** when the run's models (and, without slots, the run) were free: the end of its wait. */
    readyAt?: number;
  }): Promise<void>;
  /**
   * records a run `queued` with why it waits (a run slot, or another run holding its models),
   * creating its record when the run has not started yet.
   */
  recordRunQueued(args: QueuedRunRecord): Promise<void>;
  /**
   * a queued run that never started ends: `skipped` (nothing was due once its models were free) or
   * `cancelled` (someone cancelled it while it waited), with why.
   */
  endQueuedRun(args: { runId: string; status: 'skipped' | 'cancelled'; reason: string }): Promise<void>;
  /** the run got its slot at `readyAt`: it is `running` from then. */
  recordRunReady(args: { runId: string; readyAt: number }): Promise<void>;
  /** asks the namespace's run-slot keeper for a slot, starting the keeper when it is not running. */
  requestRunSlot(request: SlotRequest): Promise<void>;
  recordRunFinished(report: RunReport): Promise<void>;
  /**
   * renders the longest prefix of the segment's batches that fits `maxBytes`, records each queued
   * and claims its snapshot interval against other environments, in one pass over the state DB.
   */
  prepareSegment(ref: SegmentRef): Promise<PreparedSegment>;
  /**
   * records each outcome, in one transaction; a success records the interval complete (the SQL has
   * committed). A retried call changes nothing more.
   */
  completeSegment(completions: BatchCompletion[]): Promise<void>;
  recordSkips(skips: SkipRecord[]): Promise<void>;
  recordPauseChange(change: PauseChange): Promise<void>;
  /**
   * of `runIds`, those whose workflows are no longer running; a closed run whose record is still
   * open is closed as its workflow ended (`terminated`, `cancelled` or `failed`).
   */
  closedRuns(runIds: string[]): Promise<string[]>;
  /**
   * the statements that create the physical tables of `models` (new snapshots of the plan on
   * `gateway`), in the order given (see core/execution).
   */
  tableRequests(args: {
    planId: string;
    environment: string;
    gateway: string;
    models: string[];
  }): Promise<unknown[]>;
  /** marks the plan applying and prepares its work. */
  beginPlan(args: { planId: string; environment: string }): Promise<PlanWork>;
  /**
   * on success promotes the environment's snapshot map; any other outcome is recorded on a plan
   * still open (a plan already final keeps its outcome). Returns the environment's schedule.
   */
  finishPlan(args: {
    planId: string;
    environment: string;
    status: PlanOutcome;
    error?: string;
  }): Promise<ScheduledModel[]>;
  /** writes an ended run's artifacts (run_results.json, compiled SQL) to the artifact store. */
  writeRunArtifacts(args: { runId: string }): Promise<WrittenArtifacts>;
  /** writes an ended plan's artifacts (its summary, its backfill's results and SQL). */
  writePlanArtifacts(args: { planId: string }): Promise<WrittenArtifacts>;
  /**
   * the first step of deleting an environment: terminates its workflow (and so the plan it is
   * applying) and its runs in flight, closes their records, and cancels its open plans.
   */
  stopEnvironment(args: { environment: string }): Promise<{ runs: string[]; plans: string[] }>;
  /** the views an environment's deletion drops, per gateway (its current snapshot map). */
  environmentViews(args: {
    environment: string;
  }): Promise<Array<{ gateway: string; models: string[]; connection?: Sealed }>>;
  /**
   * the last step of deleting an environment: removes its row, snapshot map and pauses (its runs'
   * and plans' history stays); false when there was nothing left to remove.
   */
  removeEnvironmentState(args: {
    environment: string;
    deletedBy: string;
    /** recorded in the audit log with the deletion (the janitor's own deletions say why). */
    auditReason?: string;
  }): Promise<boolean>;
  /** the janitor: non-prod environments whose expiry has passed. */
  expiredEnvironments(args: { now: number }): Promise<string[]>;
  /**
   * the janitor: the physical tables to drop (see state/janitor-choice.ts), grouped by gateway,
   * readers first; unless `dryRun`, each is recorded `dropping` first, in the name of `pass`.
   */
  chooseDrops(args: { pass: string; dryRun: boolean }): Promise<JanitorWork>;
  /** the janitor: records the drops done by `executor` and deletes their snapshots. */
  recordDrops(args: { snapshotIds: string[]; executor: string }): Promise<string[]>;
  /** deletes the artifacts older than the retention (the janitor's artifact sweep). */
  sweepArtifacts(): Promise<ArtifactSweep>;
  /**
   * the janitor: deletes (or, on a dry run, counts) the stored payloads no history can name any more
   * (activities/scheduler/stored-payload-sweep.ts).
   */
  sweepStoredPayloads(args: { dryRun: boolean }): Promise<StoredPayloadSweep>;
}

/** What a sweep of stored payloads deleted (or would): those last stored before `before` (epoch ms). */
export interface StoredPayloadSweep {
  /** null when Temporal could not be asked: nothing was deleted. */
  before: number | null;
  payloads: number;
  bytes: number;
}

/** What a janitor pass drops, per gateway in order (readers first), and what it keeps. */
export interface JanitorWork {
  /** epoch ms: only snapshots stored before it are dropped (now minus SLUICE_JANITOR_GRACE). */
  createdBefore: number;
  groups: Array<{
    gateway: string;
    tables: Array<{ snapshotId: string; physicalTable: string | null }>;
    connection?: Sealed;
  }>;
  kept: Array<{ snapshotId: string; reason: string }>;
}

/** What a write of artifacts left: where, and the files relative to there. */
export interface WrittenArtifacts {
  /** null when the worker keeps no artifacts. */
  location: string | null;
  files: string[];
}

/** What an artifact sweep did. */
export interface ArtifactSweep {
  /** epoch ms: artifacts last written before it were removed; null when artifacts are kept forever. */
  cutoff: number | null;
  /** the folders removed (`runs/<id>`, `plans/<id>`). */
  removed: string[];
  kept: number;
}

/** What an executor reports after connecting with a connection it was asked to test. */
export interface ConnectionTestResult {
  executor: string;
  /** the warehouse's own version string, when it gives one. */
  serverVersion?: string;
  /** from the start of the connection to the answer of the ping. */
  latencyMs: number;
}

/** A read-only query a person asked of an executor (`sluice fetchdf`), model names already resolved. */
export interface QueryRequest {
  gateway: string;
  sql: string;
  /** the most rows to return. */
  limit: number;
  timeoutMs: number;
  /** the gateway's scheduler-managed connection, when one is stored (see PreparedSegment.connection). */
  connection?: Sealed;
}

/**
 * The first rows of a query: the one executor result that carries data, asked for by a person with
 * the operator role on the environment, bounded in rows and bytes.
 */
export interface QueryResult {
  executor: string;
  gateway: string;
  columns: ColumnInfo[];
  rows: QueryValue[][];
  /** true when the query had more rows than returned. */
  truncated: boolean;
  /** the row limit or the byte cap, when truncated. */
  truncatedBy: 'rows' | 'bytes' | null;
  durationMs: number;
}

export interface ExecutorActivities {
  /**
   * runs a segment's batches (see SegmentWork). A batch's failure that retrying cannot fix is a
   * result; a retryable one fails the activity (after the batches running have ended) with the
   * progress in its first detail, so Temporal's retry resumes where it stopped.
   */
  executeSegment(work: SegmentWork): Promise<SegmentReport>;
  createPhysicalTables(args: { gateway: string; requests: unknown[]; connection?: Sealed }): Promise<void>;
  promoteViews(args: {
    gateway: string;
    environment: string;
    entries: Array<{ model: string; physical: string }>;
    connection?: Sealed;
  }): Promise<void>;
  dropViews(args: {
    gateway: string;
    environment: string;
    models: string[];
    connection?: Sealed;
  }): Promise<void>;
  /**
   * takes a non-prod environment down on one gateway: drops its views of `models`, then its schemas
   * that hold nothing else (engines/views.ts `dropEnvironment`). Idempotent.
   */
  dropEnvironment(args: {
    gateway: string;
    environment: string;
    models: string[];
    connection?: Sealed;
  }): Promise<{ schemas: string[]; keptSchemas: string[] }>;
  /** the janitor's drop: each physical table (or a VIEW model's view) if it exists. Idempotent. */
  dropTables(args: { gateway: string; tables: string[]; connection?: Sealed }): Promise<{ executor: string }>;
  /** opens the sealed connection, connects, pings and closes: nothing is kept or run. */
  testConnection(args: { gateway: string; connection: Sealed }): Promise<ConnectionTestResult>;
  /** runs one read-only statement and returns its first rows (see QueryRequest). */
  fetchQuery(args: QueryRequest): Promise<QueryResult>;
}
