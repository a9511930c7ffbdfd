/**
 * The events a webhook can be told about, and the JSON body every delivery carries. Pure: the
 * scheduler's notification activities fill these in from the state database and Temporal, and the
 * body is what receivers verify the signature of (crypto/webhook-signature.ts).
 */

export const NOTIFICATION_EVENTS = [
  /** a run ended failed. */
  'run.failed',
  /** a run succeeded after the previous run of its environment failed. */
  'run.recovered',
  /** a run or plan application has gone on longer than the watchdog allows (core/watchdog.ts). */
  'run.stuck',
  'plan.applied',
  'plan.failed',
  /** a model whose recent runs take longer on average than its cron period. */
  'model.over_scheduled',
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENTS)[number];

/** What `POST /api/notifications/{id}/test` sends; not something a webhook subscribes to. */
export const TEST_EVENT = 'test';
export type DeliveredEventType = NotificationEventType | typeof TEST_EVENT;

export interface NotifiedModel {
  name: string;
  status: string;
  error?: string;
  /** model.over_scheduled: the average time of its recent runs and its cron period, ms. */
  averageMs?: number;
  periodMs?: number;
}

export interface NotificationLinks {
  /** the run or plan in the sluice API, when the API's public address is configured. */
  api?: string;
  /** the workflow in Temporal's Web UI, when its address is configured. */
  temporal?: string;
}

/** The JSON body of a delivery (the `json` format). */
export interface NotificationBody {
  type: DeliveredEventType;
  environment: string;
  runId: string | null;
  planId: string | null;
  /** the run's or plan's status (`failed`, `succeeded`, `applied`, `running` for a stuck one). */
  status: string;
  models: NotifiedModel[];
  error: string | null;
  /** when what is reported happened, ISO 8601. */
  occurredAt: string;
  /** run.stuck: how long it has been going and the watchdog's limit, ms. */
  runningForMs?: number;
  limitMs?: number;
  links: NotificationLinks;
}

export function isNotificationEvent(value: string): value is NotificationEventType {
  return (NOTIFICATION_EVENTS as readonly string[]).includes(value);
}
