/**
 * Which events a finished run, an ended plan or stuck work makes, each with the key that makes a
 * webhook hear of it once and the body it is sent. Pure: the caller reads the previous run's
 * status, the models' recent times and the links' bases.
 */
import type { RunReport } from '../environment/run-report.ts';
import type { StuckWork } from '../watchdog.ts';
import type { DeliveredEventType, NotificationBody, NotificationLinks, NotifiedModel } from './events.ts';

export interface PendingEvent {
  type: DeliveredEventType;
  /** what the event is about: a webhook is sent each key once. */
  key: string;
  body: NotificationBody;
}

const iso = (ms: number) => new Date(ms).toISOString();

function runModels(report: RunReport): NotifiedModel[] {
  return Object.entries(report.models)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, outcome]) => ({
      name,
      status: outcome.status,
      ...(outcome.error !== undefined
        ? { error: outcome.error }
        : outcome.reason !== undefined
          ? { error: outcome.reason }
          : {}),
    }));
}

/** The run's error: its failed models' errors, one a line. */
function runError(models: NotifiedModel[]): string | null {
  const failed = models.filter((m) => m.status === 'failed' && m.error !== undefined);
  return failed.length > 0 ? failed.map((m) => `${m.name}: ${m.error}`).join('\n') : null;
}

/**
 * The events a run's end makes: `run.failed` when it failed, `run.recovered` when it succeeded
 * after `previousStatus` was `failed`, and one `model.over_scheduled` for `overScheduled` models
 * (once per model version: the key names its snapshot).
 */
export function runEndEvents(
  report: RunReport,
  previousStatus: string | null,
  overScheduled: ReadonlyArray<NotifiedModel & { snapshotId: string; message: string }>,
  links: NotificationLinks,
): PendingEvent[] {
  const models = runModels(report);
  const base = {
    environment: report.environment,
    runId: report.runId,
    planId: null,
    status: report.status,
    occurredAt: iso(report.finishedAt),
    links,
  };
  const events: PendingEvent[] = [];
  if (report.status === 'failed') {
    events.push({
      type: 'run.failed',
      key: `run:${report.runId}:failed`,
      body: { type: 'run.failed', ...base, models, error: runError(models) },
    });
  } else if (report.status === 'succeeded' && previousStatus === 'failed') {
    events.push({
      type: 'run.recovered',
      key: `run:${report.runId}:recovered`,
      body: { type: 'run.recovered', ...base, models, error: null },
    });
  }
  for (const { snapshotId, message, ...model } of overScheduled) {
    events.push({
      type: 'model.over_scheduled',
      key: `over_scheduled:${report.environment}:${model.name}:${snapshotId}`,
      body: {
        type: 'model.over_scheduled',
        ...base,
        models: [model],
        error: `${model.name} is ${message}`,
      },
    });
  }
  return events;
}

export interface PlanEnd {
  planId: string;
  environment: string;
  status: 'applied' | 'failed' | 'cancelled';
  error?: string;
  /** epoch ms */
  at: number;
  /** the models the plan changed, when known. */
  models?: string[];
}

/** `plan.applied` or `plan.failed`; a cancelled plan makes none. */
export function planEndEvents(plan: PlanEnd, links: NotificationLinks): PendingEvent[] {
  if (plan.status === 'cancelled') return [];
  const type = plan.status === 'applied' ? 'plan.applied' : 'plan.failed';
  return [
    {
      type,
      key: `plan:${plan.planId}:${plan.status}`,
      body: {
        type,
        environment: plan.environment,
        runId: null,
        planId: plan.planId,
        status: plan.status,
        models: (plan.models ?? []).map((name) => ({ name, status: plan.status })),
        error: plan.error ?? null,
        occurredAt: iso(plan.at),
        links,
      },
    },
  ];
}

/** `run.stuck` for work the watchdog calls stuck, once per workflow. */
export function stuckEvent(
  environment: string,
  work: StuckWork & { models?: string[] },
  now: number,
  links: NotificationLinks,
): PendingEvent {
  return {
    type: 'run.stuck',
    key: `stuck:${work.workflowId}`,
    body: {
      type: 'run.stuck',
      environment,
      runId: work.kind === 'run' ? work.id : null,
      planId: work.kind === 'plan' ? work.id : null,
      status: 'running',
      models: (work.models ?? []).map((name) => ({ name, status: 'running' })),
      error:
        `${work.kind} ${work.id} has been running for ${Math.round(work.runningForMs / 60_000)} min, ` +
        `longer than its limit of ${Math.round(work.limitMs / 60_000)} min`,
      occurredAt: iso(now),
      runningForMs: work.runningForMs,
      limitMs: work.limitMs,
      links,
    },
  };
}

/** What a webhook's test sends: an event of type `test` about no run. */
export function testEvent(environment: string, now: number): PendingEvent {
  return {
    type: 'test',
    key: `test:${now}`,
    body: {
      type: 'test',
      environment,
      runId: null,
      planId: null,
      status: 'test',
      models: [],
      error: null,
      occurredAt: iso(now),
      links: {},
    },
  };
}
