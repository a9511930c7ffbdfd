/**
 * How a run went, as its run workflow reports it to the environment: each model's outcome and the
 * run's status. The environment's state machine learns from these which models are released and how
 * long each model's batches take.
 */

export type RunTrigger = 'schedule' | 'manual' | 'restatement' | 'plan';

export type ModelStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface ModelOutcome {
  status: ModelStatus;
  error?: string;
  /** why a model was skipped. */
  reason?: string;
  batches: number;
  rowsAffected: number;
  finishedAt: number;
  /** the longest batch the executor reported, ms (the watchdog's measure of the model). */
  longestBatchMs?: number;
}

export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

export interface RunReport {
  runId: string;
  environment: string;
  trigger: RunTrigger;
  status: RunStatus;
  scheduledAt: number;
  startedAt: number;
  /** when a run slot and the run's models were free: the end of its wait, the start of its prep. */
  readyAt?: number;
  /** when its first statement reached the warehouse: the end of its prep; absent when none ran. */
  firstStatementAt?: number;
  finishedAt: number;
  models: Record<string, ModelOutcome>;
}
