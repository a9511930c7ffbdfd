/** Writes the audit entry of a change made through the API, naming the principal that made it. */
import type { Context } from 'hono';
import { appendAudit } from '../state/audit-log.ts';
import type { AppEnv } from './context.ts';

export interface AuditedChange {
  /** what was done, e.g. `environment.pause`, `plan.apply`, `token.create`. */
  action: string;
  target?: string | null;
  environment?: string | null;
  reason?: string | null;
  details?: Record<string, unknown>;
}

export async function audit(c: Context<AppEnv>, change: AuditedChange): Promise<void> {
  const principal = c.get('principal');
  const { db, now } = c.get('deps');
  await appendAudit(db, {
    actor: principal.actor,
    action: change.action,
    target: change.target ?? null,
    environment: change.environment ?? null,
    reason: change.reason ?? null,
    details: { ...change.details, ...(principal.tokenId ? { tokenId: principal.tokenId } : {}), via: 'api' },
    at: now(),
  });
}
