/**
 * Runs: one scheduled or triggered execution of due model intervals in one environment. The id is
 * the run workflow's id, so creating the same run twice (a retried activity, a replayed workflow)
 * returns the stored run instead of adding a second one.
 */
import { and, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { RUN_STATUSES, RUN_TRIGGERS, type RunStatus, type RunTrigger, runs } from '../db/schema.ts';
import { afterCursor, decodeCursor, newestFirst, type Page, pageSize, toPage } from './pagination.ts';
import { checkTransition, type TransitionTable } from './transitions.ts';
import {
  type Instant,
  iso,
  optionalChoices,
  optionalDate,
  optionalMessage,
  optionalText,
  requireOneOf,
  requireText,
  requireTextList,
  toDate,
} from './validate.ts';

export type { RunStatus, RunTrigger } from '../db/schema.ts';

export interface RunInput {
  /** the run workflow's id. */
  id: string;
  environment: string;
  trigger: RunTrigger;
  /** the cron tick the run is for; the request time for manual runs. */
  scheduledAt: Instant;
  /** names of the models the run covers. */
  models?: string[];
  /** the plan a `plan` run backfills for. */
  planId?: string | null;
  /** who asked for a manual or restatement run. */
  triggeredBy?: string | null;
  /** defaults to `queued`. */
  status?: RunStatus;
  /** why a queued run waits, written with the record so no reader sees it queued without a reason. */
  queuedReason?: string | null;
}

export interface RunRecord {
  id: string;
  environment: string;
  trigger: RunTrigger;
  status: RunStatus;
  scheduledAt: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  models: string[];
  planId: string | null;
  triggeredBy: string | null;
  error: string | null;
  skipReason: string | null;
  /** who cancelled the run, when someone did. */
  cancelledBy: string | null;
  /** why the run waits, while it is `queued` (kept after, saying why it waited). */
  queuedReason: string | null;
  /** when a run slot and its models were free. */
  readyAt: string | null;
  /** when its first statement reached the warehouse. */
  firstStatementAt: string | null;
  /** scheduledAt to readyAt, ms: how long it waited for a run slot and its models. */
  waitMs: number | null;
  /** readyAt to firstStatementAt, ms: rendering, claiming and handing the work to an executor. */
  prepMs: number | null;
  /** firstStatementAt to finishedAt, ms. */
  runMs: number | null;
}

export interface RunStatusDetails {
  /** when the change happened; now by default. */
  at?: Instant;
  error?: string | null;
  skipReason?: string | null;
  /** who asked for the cancellation (recorded with any status, kept once set). */
  cancelledBy?: string | null;
  /** replaces the list of models the run covers. */
  models?: string[];
  /** why a queued run waits. */
  queuedReason?: string | null;
  /** when the run's slot and models were free (kept once set). */
  readyAt?: Instant;
  /** when its first statement reached the warehouse (kept once set). */
  firstStatementAt?: Instant;
}

export interface RunFilter {
  environment?: string;
  status?: RunStatus | readonly RunStatus[];
  trigger?: RunTrigger | readonly RunTrigger[];
  /** runs scheduled at or after this time. */
  since?: Instant;
  /** runs scheduled before this time. */
  until?: Instant;
  limit?: number;
  cursor?: string;
}

/** Statuses a run never leaves. */
export const RUN_FINAL: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'skipped',
  'terminated',
]);
const FINAL: readonly RunStatus[] = [...RUN_FINAL];

export const RUN_TRANSITIONS: TransitionTable<RunStatus> = {
  queued: ['running', 'succeeded', 'failed', 'cancelled', 'skipped', 'terminated'],
  running: ['succeeded', 'failed', 'cancelled', 'terminated'],
  succeeded: [],
  failed: [],
  cancelled: [],
  skipped: [],
  terminated: [],
};

type RunRow = typeof runs.$inferSelect;

export async function createRun(db: StateDb, input: RunInput): Promise<RunRecord> {
  const id = requireText('run id', input.id);
  const environment = requireText('environment', input.environment);
  const trigger = requireOneOf('trigger', input.trigger, RUN_TRIGGERS);
  const status = requireOneOf('status', input.status ?? 'queued', RUN_STATUSES);
  const scheduledAt = toDate('scheduledAt', input.scheduledAt);
  const models = requireTextList('models', input.models ?? []);
  const planId = optionalText('planId', input.planId);
  const triggeredBy = optionalText('triggeredBy', input.triggeredBy);
  const queuedReason = status === 'queued' ? optionalMessage('queuedReason', input.queuedReason) : null;
  const now = new Date();
  const final = FINAL.includes(status);

  const inserted = await db
    .insert(runs)
    .values({
      id,
      environment,
      trigger,
      status,
      scheduledAt,
      createdAt: now,
      startedAt: status === 'running' ? now : null,
      finishedAt: final ? now : null,
      models,
      planId,
      triggeredBy,
      queuedReason,
    })
    .onConflictDoNothing()
    .returning();
  const row = inserted[0] ?? (await db.select().from(runs).where(eq(runs.id, id)))[0];
  if (!row) throw new Error(`run "${id}" was neither created nor found`);
  if (!inserted[0]) {
    const clashes = [
      row.environment !== environment && `environment ${row.environment}`,
      row.trigger !== trigger && `trigger ${row.trigger}`,
      row.scheduledAt.getTime() !== scheduledAt.getTime() && `scheduledAt ${row.scheduledAt.toISOString()}`,
      row.planId !== planId && `planId ${row.planId ?? 'none'}`,
    ].filter((clash): clash is string => typeof clash === 'string');
    if (clashes.length > 0) throw new Error(`run "${id}" already exists with ${clashes.join(', ')}`);
  }
  return toRecord(row);
}

/** The runs that recorded a plan's backfill (one per application attempt), oldest first. */
export async function runsOfPlan(db: StateDb, planId: string): Promise<RunRecord[]> {
  requireText('plan id', planId);
  const rows = await db.select().from(runs).where(eq(runs.planId, planId)).orderBy(runs.createdAt, runs.id);
  return rows.map(toRecord);
}

export async function getRun(db: StateDb, id: string): Promise<RunRecord | null> {
  requireText('run id', id);
  const rows = await db.select().from(runs).where(eq(runs.id, id));
  return rows[0] ? toRecord(rows[0]) : null;
}

/**
 * Moves a run to `status`: `running` stamps the start, a final status stamps the finish. Reporting
 * the status the run already has changes nothing.
 */
export async function updateRunStatus(
  db: StateDb,
  id: string,
  status: RunStatus,
  details: RunStatusDetails = {},
): Promise<RunRecord> {
  requireText('run id', id);
  requireOneOf('status', status, RUN_STATUSES);
  const at = details.at === undefined ? new Date() : toDate('at', details.at);
  const error = optionalMessage('error', details.error);
  const skipReason = optionalMessage('skipReason', details.skipReason);
  const models = details.models === undefined ? undefined : requireTextList('models', details.models);
  const cancelledBy = optionalMessage('cancelledBy', details.cancelledBy);
  const queuedReason = optionalMessage('queuedReason', details.queuedReason);
  const readyAt = details.readyAt === undefined ? undefined : toDate('readyAt', details.readyAt);
  const firstStatementAt =
    details.firstStatementAt === undefined ? undefined : toDate('firstStatementAt', details.firstStatementAt);

  return db.transaction(async (tx) => {
    const current = (await tx.select().from(runs).where(eq(runs.id, id)).for('update'))[0];
    if (!current) throw new Error(`unknown run "${id}"`);
    if (cancelledBy !== null && current.cancelledBy === null) {
      await tx.update(runs).set({ cancelledBy }).where(eq(runs.id, id));
      current.cancelledBy = cancelledBy;
    }
    const timeline = {
      ...(queuedReason !== null && current.status === 'queued' ? { queuedReason } : {}),
      ...(readyAt && !current.readyAt ? { readyAt } : {}),
      ...(firstStatementAt && !current.firstStatementAt ? { firstStatementAt } : {}),
    };
    if (!checkTransition('run', id, current.status, status, RUN_TRANSITIONS)) {
      if (Object.keys(timeline).length === 0) return toRecord(current);
      const kept = await tx.update(runs).set(timeline).where(eq(runs.id, id)).returning();
      return toRecord(kept[0]!);
    }
    const updated = await tx
      .update(runs)
      .set({
        ...timeline,
        status,
        ...(status === 'running' ? { startedAt: current.startedAt ?? at } : {}),
        ...(FINAL.includes(status) ? { finishedAt: at } : {}),
        ...(error !== null ? { error } : {}),
        ...(skipReason !== null ? { skipReason } : {}),
        ...(models !== undefined ? { models } : {}),
      })
      .where(eq(runs.id, id))
      .returning();
    return toRecord(updated[0]!);
  });
}

/** Runs newest first (by scheduled time, then id), one page at a time. */
export async function listRuns(db: StateDb, filter: RunFilter = {}): Promise<Page<RunRecord>> {
  const limit = pageSize(filter.limit);
  const conditions: SQL[] = [];
  if (filter.environment !== undefined) {
    conditions.push(eq(runs.environment, requireText('environment', filter.environment)));
  }
  const statuses = optionalChoices('status', filter.status, RUN_STATUSES);
  if (statuses) conditions.push(inArray(runs.status, statuses));
  const triggers = optionalChoices('trigger', filter.trigger, RUN_TRIGGERS);
  if (triggers) conditions.push(inArray(runs.trigger, triggers));
  const since = optionalDate('since', filter.since);
  if (since) conditions.push(gte(runs.scheduledAt, since));
  const until = optionalDate('until', filter.until);
  if (until) conditions.push(lt(runs.scheduledAt, until));
  if (filter.cursor !== undefined) {
    conditions.push(afterCursor(runs.scheduledAt, runs.id, decodeCursor<string>(filter.cursor, 'string')));
  }
  const rows = await db
    .select()
    .from(runs)
    .where(and(...conditions))
    .orderBy(...newestFirst(runs.scheduledAt, runs.id))
    .limit(limit + 1);
  return toPage(rows, limit, (row) => ({ at: row.scheduledAt, id: row.id }), toRecord);
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    environment: row.environment,
    trigger: row.trigger,
    status: row.status,
    scheduledAt: iso(row.scheduledAt),
    createdAt: iso(row.createdAt),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    models: row.models,
    planId: row.planId,
    triggeredBy: row.triggeredBy,
    error: row.error,
    skipReason: row.skipReason,
    cancelledBy: row.cancelledBy,
    queuedReason: row.queuedReason,
    readyAt: iso(row.readyAt),
    firstStatementAt: iso(row.firstStatementAt),
    waitMs: row.readyAt ? Math.max(0, row.readyAt.getTime() - row.scheduledAt.getTime()) : null,
    prepMs:
      row.readyAt && row.firstStatementAt
        ? Math.max(0, row.firstStatementAt.getTime() - row.readyAt.getTime())
        : null,
    runMs:
      row.firstStatementAt && row.finishedAt
        ? Math.max(0, row.finishedAt.getTime() - row.firstStatementAt.getTime())
        : null,
  };
}

/** A row of `runs` as the record the rest of sluice reads, for queries kept in other files. */
export { toRecord as runRecord };
