/**
 * `prepareNotifications`: the events a run's or a plan's end makes, delivered to every webhook
 * whose pattern matches the environment and that asked for the event. Each (webhook, event) is
 * recorded once, so a retried activity or a replayed workflow adds nothing twice.
 */

import type { RunReport } from '../../core/environment/run-report.ts';
import { patternMatches } from '../../core/environment-patterns.ts';
import { type PendingEvent, planEndEvents, runEndEvents } from '../../core/notifications/bodies.ts';
import type { NotifiedModel } from '../../core/notifications/events.ts';
import { notificationLinks } from '../../core/notifications/links.ts';
import { planWorkflowId } from '../../core/workflow-ids.ts';
import { addDeliveries, type NewDelivery } from '../../state/notifications/deliveries.ts';
import { previousRunStatus } from '../../state/notifications/run-history.ts';
import { listWebhooks, type WebhookWithSecret, webhooksFor } from '../../state/notifications/webhooks.ts';
import { overScheduledModels } from '../../state/over-scheduled.ts';
import { loadEnvironmentModels } from '../scheduler/environment-models.ts';
import { PlanCache } from '../scheduler/plan-cache.ts';
import type { NotificationContext } from './context.ts';
import type { NotificationSource } from './contracts.ts';

export async function prepareNotifications(
  ctx: NotificationContext,
  source: NotificationSource,
): Promise<string[]> {
  const environment = source.kind === 'run' ? source.report.environment : source.plan.environment;
  const listening = (await listWebhooks(ctx.db)).filter((w) => patternMatches(w.environment, environment));
  if (listening.length === 0) return [];
  const events =
    source.kind === 'run'
      ? await runEvents(ctx, source.report, listening)
      : planEndEvents(
          source.plan,
          notificationLinks(ctx.links, {
            kind: 'plan',
            id: source.plan.planId,
            workflowId: planWorkflowId(source.plan.planId),
          }),
        );
  return addDeliveries(ctx.db, deliveriesOf(listening, environment, events));
}

/** Each event for each webhook told about it. */
export function deliveriesOf(
  webhooks: readonly WebhookWithSecret[],
  environment: string,
  events: readonly PendingEvent[],
): NewDelivery[] {
  return events.flatMap((event) =>
    webhooksFor(webhooks, environment, event.type).map((w) => ({
      webhookId: w.id,
      eventType: event.type,
      eventKey: event.key,
      environment,
      body: event.body,
    })),
  );
}

async function runEvents(
  ctx: NotificationContext,
  report: RunReport,
  webhooks: readonly WebhookWithSecret[],
): Promise<PendingEvent[]> {
  const wants = (type: 'run.recovered' | 'model.over_scheduled') =>
    webhooksFor(webhooks, report.environment, type).length > 0;
  const previous =
    report.status === 'succeeded' && wants('run.recovered')
      ? await previousRunStatus(ctx.db, report.environment, report.runId)
      : null;
  const overScheduled = wants('model.over_scheduled') ? await overScheduledOf(ctx, report) : [];
  const links = notificationLinks(ctx.links, { kind: 'run', id: report.runId, workflowId: report.runId });
  return runEndEvents(report, previous, overScheduled, links);
}

/** The run's succeeded models whose recent executions take longer on average than their cron period. */
async function overScheduledOf(
  ctx: NotificationContext,
  report: RunReport,
): Promise<Array<NotifiedModel & { snapshotId: string; message: string }>> {
  const succeeded = Object.entries(report.models)
    .filter(([, o]) => o.status === 'succeeded')
    .map(([name]) => name);
  if (succeeded.length === 0) return [];
  const env = await loadEnvironmentModels(ctx.db, new PlanCache(ctx.db), report.environment);
  const models = succeeded.flatMap((name) => {
    const entry = env.byName.get(name);
    return entry
      ? [{ name, cron: entry.model.cron, cronTz: entry.model.cronTz, snapshotId: entry.snapshotId }]
      : [];
  });
  const found = await overScheduledModels(ctx.db, report.environment, models, report.finishedAt);
  return models.flatMap(({ name, snapshotId }) => {
    const o = found.get(name);
    return o
      ? [
          {
            name,
            status: 'succeeded' as const,
            averageMs: o.averageMs,
            periodMs: o.periodMs,
            snapshotId,
            message: o.message,
          },
        ]
      : [];
  });
}
