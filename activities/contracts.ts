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
import type { PauseChange, PlanOutcome, SkipRecord } from '../core/environment/records.ts';
import type { RunReport, RunTrigger } from '../core/environment/run-report.ts';
import type { Interval } from '../core/intervals.ts';
import type { ScheduledModel } from '../core/schedule.ts';
import type { Sealed } from '../crypto/sealed.ts';

// The run and plan types the environment's state machine (core/environment) decides with.
export type { ModelWork } from '../core/environment/model-work.ts';
export type { PauseChange, PlanOutcome, SkipRecord } from '../core/environment/records.ts';
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

/** A batch ready for an executor: rendered statements and the gateway to run them on. */
export interface PreparedBatch {
  executionId: string;
  gateway: string;
  model: string;
  /** rendered statements, audits and the physical table (see core/execution). */
  request: unknown;
  /** set when another run completed this interval in the meantime: nothing to execute. */
  alreadyComplete?: boolean;
  /**
   * the gateway's scheduler-managed connection, sealed (SLUICE_ENCRYPTION_KEY, aad = the gateway),
   * when one is stored; an executor with the gateway in its own environment ignores it.
   */
  connection?: Sealed;
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
   * physical tables to create, grouped by gateway (prepared statements, see core/execution). Each
   * group, and each group below, carries the gateway's sealed scheduler-managed connection when
   * one is stored (see PreparedBatch.connection).
   */
  tables: Array<{ gateway: string; requests: unknown[]; connection?: Sealed }>;
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
  }): Promise<void>;
  recordRunFinished(report: RunReport): Promise<void>;
  /** renders the batch, records it queued, and claims its snapshot interval against other environments. */
  prepareBatch(ref: BatchRef): Promise<PreparedBatch>;
  /** records the outcome; a success records the interval complete (the SQL has committed). */
  completeBatch(completion: BatchCompletion): Promise<void>;
  recordSkips(skips: SkipRecord[]): Promise<void>;
  recordPauseChange(change: PauseChange): Promise<void>;
  /**
   * of `runIds`, those whose workflows are no longer running; a closed run whose record is still
   * open is closed as its workflow ended (`terminated`, `cancelled` or `failed`).
   */
  closedRuns(runIds: string[]): Promise<string[]>;
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
}

/** What an executor reports after connecting with a connection it was asked to test. */
export interface ConnectionTestResult {
  executor: string;
  /** the warehouse's own version string, when it gives one. */
  serverVersion?: string;
  /** from the start of the connection to the answer of the ping. */
  latencyMs: number;
}

export interface ExecutorActivities {
  executeBatch(batch: PreparedBatch): Promise<ExecutorReport>;
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
  /** opens the sealed connection, connects, pings and closes: nothing is kept or run. */
  testConnection(args: { gateway: string; connection: Sealed }): Promise<ConnectionTestResult>;
}
