/**
 * The notification activities, run by the scheduler worker (it holds the state database and may
 * call out over HTTP): what workflows give them and get back. Workflows import these types only.
 */
import type { RunReport } from '../../core/environment/run-report.ts';
import type { PlanEnd } from '../../core/notifications/bodies.ts';

export type { PlanEnd } from '../../core/notifications/bodies.ts';

/** What a notification is about: a run's end or a plan's end. */
export type NotificationSource = { kind: 'run'; report: RunReport } | { kind: 'plan'; plan: PlanEnd };

export interface AttemptResult {
  deliveryId: string;
  /** `gone` when the webhook was removed before the attempt. */
  outcome: 'delivered' | 'gone';
  statusCode: number | null;
}

export interface NotificationActivities {
  /** Records a delivery for each event the source makes and each webhook told about it; their ids. */
  prepareNotifications(source: NotificationSource): Promise<string[]>;
  /**
   * One attempt at a delivery: sends the signed body and records the attempt. A receiver that does
   * not answer 2xx fails the attempt, so Temporal retries it with backoff.
   */
  deliverNotification(deliveryId: string): Promise<AttemptResult>;
  /** Finds work the watchdog calls stuck and records a `run.stuck` delivery for each not reported yet; their ids. */
  sweepStuckWork(): Promise<string[]>;
}
