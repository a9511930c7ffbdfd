/**
 * Links in a notification: the run or plan in the sluice API and its workflow in Temporal's Web UI,
 * each only when its base address is known (SLUICE_PUBLIC_API_URL, SLUICE_TEMPORAL_UI_URL).
 */
import { temporalWorkflowLink } from '../temporal-ui-link.ts';
import type { NotificationLinks } from './events.ts';

export interface LinkBases {
  /** the API's address as receivers reach it, e.g. `https://sluice.example.com`. */
  api?: string;
  /** Temporal's Web UI, e.g. `http://localhost:8233`. */
  temporalUi?: string;
  /** the Temporal namespace workflows run in. */
  namespace?: string;
}

function trimmed(base: string): string {
  return base.replace(/\/+$/, '');
}

export function notificationLinks(
  bases: LinkBases,
  target: { kind: 'run' | 'plan'; id: string; workflowId: string } | null,
): NotificationLinks {
  if (!target) return {};
  const links: NotificationLinks = {};
  if (bases.api) {
    const path = target.kind === 'run' ? 'runs' : 'plans';
    links.api = `${trimmed(bases.api)}/api/${path}/${encodeURIComponent(target.id)}`;
  }
  if (bases.temporalUi) {
    links.temporal = temporalWorkflowLink(bases.temporalUi, bases.namespace ?? 'default', target.workflowId);
  }
  return links;
}
