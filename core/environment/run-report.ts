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
  finishedAt: number;
  models: Record<string, ModelOutcome>;
}
