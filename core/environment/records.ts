/**
 * What the environment asks the state DB to record: skipped models, pause changes, plan endings,
 * runs that wait.
 */
import type { RunTrigger } from './run-report.ts';

/** How a plan's application ended. */
export type PlanOutcome = 'applied' | 'failed' | 'cancelled' | 'terminated';

export interface SkipRecord {
  environment: string;
  model: string;
  reason: string;
  /** the run still holding the model itself; absent when a model upstream of it is what runs. */
  heldBy?: string;
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

/** A run that waits `queued` (for a run slot, or for another run's models), and why. */
export interface QueuedRunRecord {
  runId: string;
  environment: string;
  trigger: RunTrigger;
  /** the tick it is for, or the moment it was asked for. */
  scheduledAt: number;
  models: string[];
  /** shown on the run while it waits. */
  reason: string;
  triggeredBy?: string;
}
