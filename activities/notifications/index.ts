/**
 * The notification activities (`NotificationActivities` in ./contracts.ts), registered by the
 * scheduler worker beside the scheduler's: it holds the state database and may reach webhook
 * receivers over HTTP. Executors never send notifications.
 */
import type { EnvironmentState } from '../../core/environment/view.ts';
import type { LinkBases } from '../../core/notifications/links.ts';
import type { StateDb } from '../../db/client.ts';
import type { NotificationContext } from './context.ts';
import type { NotificationActivities } from './contracts.ts';
import { deliverNotification } from './deliver.ts';
import { prepareNotifications } from './prepare.ts';
import { sweepStuckWork } from './stuck-sweep.ts';

export interface NotificationActivitiesOptions {
  db: StateDb;
  links?: LinkBases;
  environmentState?: (environment: string) => Promise<EnvironmentState | null>;
  now?: () => number;
  /** how long one HTTP attempt may take (10 s). */
  timeoutMs?: number;
}

export function createNotificationActivities(options: NotificationActivitiesOptions): NotificationActivities {
  const ctx: NotificationContext = {
    db: options.db,
    now: options.now ?? Date.now,
    links: options.links ?? {},
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.environmentState ? { environmentState: options.environmentState } : {}),
  };
  return {
    prepareNotifications: (source) => prepareNotifications(ctx, source),
    deliverNotification: (deliveryId) => deliverNotification(ctx, deliveryId),
    sweepStuckWork: () => sweepStuckWork(ctx),
  };
}
