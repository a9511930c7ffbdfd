/** What the environment asks the state DB to record: skipped models, pause changes, plan endings. */

/** How a plan's application ended. */
export type PlanOutcome = 'applied' | 'failed' | 'cancelled' | 'terminated';

export interface SkipRecord {
  environment: string;
  model: string;
  reason: string;
  scheduledAt: number;
  runId?: string;
}

export interface PauseChange {
  environment: string;
  /** undefined = the whole environment. */
  model?: string;
  action: 'pause' | 'resume';
  reason?: string;
  actor: string;
}
