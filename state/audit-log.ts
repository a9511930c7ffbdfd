/**
 * The audit log: who did what to which target, when and why (pauses, resumes, plan submissions,
 * restatements, manual runs). Entries are only ever appended.
 */
import { and, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { auditLog } from '../db/schema.ts';
import { afterCursor, decodeCursor, newestFirst, type Page, pageSize, toPage } from './pagination.ts';
import {
  type Instant,
  iso,
  optionalDate,
  optionalMessage,
  optionalText,
  requireJson,
  requireText,
  toDate,
} from './validate.ts';

export interface AuditEntryInput {
  actor: string;
  /** what was done, e.g. `environment.pause`, `plan.submit`. */
  action: string;
  /** what it was done to, e.g. a model name or a plan id. */
  target?: string | null;
  environment?: string | null;
  reason?: string | null;
  details?: unknown;
  at?: Instant;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  environment: string | null;
  reason: string | null;
  details: unknown;
}

export interface AuditFilter {
  environment?: string;
  actor?: string;
  action?: string;
  target?: string;
  /** entries at or after this time. */
  since?: Instant;
  /** entries before this time. */
  until?: Instant;
  limit?: number;
  cursor?: string;
}

type AuditRow = typeof auditLog.$inferSelect;

export async function appendAudit(db: StateDb, input: AuditEntryInput): Promise<AuditEntry> {
  const values = {
    actor: requireText('actor', input.actor),
    action: requireText('action', input.action),
    target: optionalText('target', input.target),
    environment: optionalText('environment', input.environment),
    reason: optionalMessage('reason', input.reason),
    details:
      input.details === undefined || input.details === null ? null : requireJson('details', input.details),
    at: input.at === undefined ? new Date() : toDate('at', input.at),
  };
  const inserted = await db.insert(auditLog).values(values).returning();
  return toRecord(inserted[0]!);
}

/** Entries newest first (by time, then id), one page at a time. */
export async function listAudit(db: StateDb, filter: AuditFilter = {}): Promise<Page<AuditEntry>> {
  const limit = pageSize(filter.limit);
  const conditions: SQL[] = [];
  if (filter.environment !== undefined) {
    conditions.push(eq(auditLog.environment, requireText('environment', filter.environment)));
  }
  if (filter.actor !== undefined) conditions.push(eq(auditLog.actor, requireText('actor', filter.actor)));
  if (filter.action !== undefined) conditions.push(eq(auditLog.action, requireText('action', filter.action)));
  if (filter.target !== undefined) conditions.push(eq(auditLog.target, requireText('target', filter.target)));
  const since = optionalDate('since', filter.since);
  if (since) conditions.push(gte(auditLog.at, since));
  const until = optionalDate('until', filter.until);
  if (until) conditions.push(lt(auditLog.at, until));
  if (filter.cursor !== undefined) {
    conditions.push(afterCursor(auditLog.at, auditLog.id, decodeCursor<number>(filter.cursor, 'number')));
  }
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(...newestFirst(auditLog.at, auditLog.id))
    .limit(limit + 1);
  return toPage(rows, limit, (row) => ({ at: row.at, id: row.id }), toRecord);
}

function toRecord(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: iso(row.at),
    actor: row.actor,
    action: row.action,
    target: row.target,
    environment: row.environment,
    reason: row.reason,
    details: row.details ?? null,
  };
}
