/** What the notification activities work with. */
import type { EnvironmentState } from '../../core/environment/view.ts';
import type { LinkBases } from '../../core/notifications/links.ts';
import type { StateDb } from '../../db/client.ts';

export interface NotificationContext {
  db: StateDb;
  /** epoch ms. */
  now: () => number;
  /** the bases of the links in every notification. */
  links: LinkBases;
  /** the live state of an environment's workflow; null when it is not running. Without it no sweep finds stuck work. */
  environmentState?: (environment: string) => Promise<EnvironmentState | null>;
  /** how long one HTTP attempt may take, ms (10 s). */
  timeoutMs: number;
}
