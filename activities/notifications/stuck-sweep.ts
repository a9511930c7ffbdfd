/**
 * `sweepStuckWork`: the watchdog's judgement made active. For each environment some webhook wants
 * `run.stuck` for, it asks the environment's workflow what is in flight and records a delivery
 * for work going on longer than its limit; a webhook hears of each stuck workflow once.
 */
import { patternMatches } from '../../core/environment-patterns.ts';
import { stuckEvent } from '../../core/notifications/bodies.ts';
import { notificationLinks } from '../../core/notifications/links.ts';
import { stuckWork } from '../../core/watchdog.ts';
import { listEnvironments } from '../../state/environments.ts';
import { addDeliveries } from '../../state/notifications/deliveries.ts';
import { listWebhooks } from '../../state/notifications/webhooks.ts';
import type { NotificationContext } from './context.ts';
import { deliveriesOf } from './prepare.ts';

export async function sweepStuckWork(ctx: NotificationContext): Promise<string[]> {
  const read = ctx.environmentState;
  if (!read) return [];
  const webhooks = (await listWebhooks(ctx.db)).filter((w) => w.events.includes('run.stuck'));
  if (webhooks.length === 0) return [];
  const environments = (await listEnvironments(ctx.db))
    .map((e) => e.name)
    .filter((name) => webhooks.some((w) => patternMatches(w.environment, name)));
  const added: string[] = [];
  for (const environment of environments) {
    const state = await read(environment).catch(() => null);
    if (!state) continue;
    const now = ctx.now();
    const events = stuckWork(state.workInFlight ?? [], now).map((work) =>
      stuckEvent(
        environment,
        { ...work, models: state.runsInFlight.find((r) => r.runId === work.id)?.models ?? [] },
        now,
        notificationLinks(ctx.links, work),
      ),
    );
    added.push(...(await addDeliveries(ctx.db, deliveriesOf(webhooks, environment, events))));
  }
  return added;
}
