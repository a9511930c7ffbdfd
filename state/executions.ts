/**
 * Model executions: one model's SQL for one interval batch within a run, recorded as it is queued,
 * started (once per attempt) and finished. The wait is the time from queued to the first start
 * (how long it waited for an executor); the duration is the time from the latest start to the
 * finish. Times may come from the executor's clock, so both are floored at zero.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import {
  EXECUTION_STATUSES,
  type ExecutionLog,
  type ExecutionStatus,
  modelExecutions,
  runs,
} from '../db/schema.ts';
import { afterCursor, decodeCursor, newestFirst, type Page, pageSize, toPage } from './pagination.ts';
import { checkTransition, type TransitionTable } from './transitions.ts';
import {
  type Instant,
  type Interval,
  invalid,
  iso,
  optionalChoices,
  optionalDate,
  optionalInteger,
  optionalMessage,
  requireInteger,
  requireInterval,
  requireJson,
  requireOneOf,
  requireText,
  toDate,
} from './validate.ts';

export type { ExecutionAuditLog, ExecutionLog, ExecutionStatus, StatementLog } from '../db/schema.ts';

export interface ExecutionInput {
  /** a stable id (e.g. derived from the run, model and interval) makes retries idempotent. */
  id?: string;
  runId: string;
  model: string;
  snapshotId: string;
  /** the interval batch `[start, end)`; null for models without time intervals (views). */
  interval?: Interval | null;
  queuedAt?: Instant;
  /** what is known before the execution runs (the rendered query, the planned statements). */
  log?: ExecutionLog | null;
}

export interface ExecutionStart {
  /** 1 for the first attempt. */
  attempt: number;
  /** identity of the executor running the attempt. */
  executor: string;
  at?: Instant;
}

export const EXECUTION_OUTCOMES = ['succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type ExecutionOutcome = (typeof EXECUTION_OUTCOMES)[number];

export interface ExecutionFinish {
  status: ExecutionOutcome;
  at?: Instant;
  rowsAffected?: number | null;
  error?: string | null;
  skipReason?: string | null;
  log?: ExecutionLog | null;
  /**
   * the attempts Temporal made, for an outcome whose attempts no executor reported (a batch that
   * failed on every attempt); raises the recorded attempt, never lowers it.
   */
  attempt?: number;
}

export interface ExecutionRecord {
  id: string;
  runId: string;
  environment: string;
  model: string;
  snapshotId: string;
  interval: Interval | null;
  status: ExecutionStatus;
  attempt: number;
  executor: string | null;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  waitMs: number | null;
  durationMs: number | null;
  rowsAffected: number | null;
  error: string | null;
  skipReason: string | null;
  log: ExecutionLog | null;
}

export interface ExecutionFilter {
  environment?: string;
  model?: string;
  runId?: string;
  snapshotId?: string;
  status?: ExecutionStatus | readonly ExecutionStatus[];
  /** executions queued at or after this time. */
  since?: Instant;
  /** executions queued before this time. */
  until?: Instant;
  limit?: number;
  cursor?: string;
}

/** `running → running` is a new attempt and is handled apart (see recordExecutionStarted). */
export const EXECUTION_TRANSITIONS: TransitionTable<ExecutionStatus> = {
  queued: ['running', 'failed', 'skipped', 'cancelled'],
  running: ['succeeded', 'failed', 'skipped', 'cancelled'],
  failed: ['running'],
  succeeded: [],
  skipped: [],
  cancelled: [],
};

type ExecutionRow = typeof modelExecutions.$inferSelect;

export async function recordExecutionQueued(db: StateDb, input: ExecutionInput): Promise<ExecutionRecord> {
  const id = input.id === undefined ? randomUUID() : requireText('execution id', input.id);
  const runId = requireText('runId', input.runId);
  const model = requireText('model', input.model);
  const snapshotId = requireText('snapshotId', input.snapshotId);
  const interval = input.interval == null ? null : requireInterval('interval', input.interval);
  const queuedAt = input.queuedAt === undefined ? new Date() : toDate('queuedAt', input.queuedAt);
  const log = checkLog(input.log);

  const run = (await db.select({ environment: runs.environment }).from(runs).where(eq(runs.id, runId)))[0];
  if (!run) throw new Error(`execution "${id}" names unknown run "${runId}"`);
  const inserted = await db
    .insert(modelExecutions)
    .values({
      id,
      runId,
      environment: run.environment,
      model,
      snapshotId,
      intervalStartMs: interval?.[0] ?? null,
      intervalEndMs: interval?.[1] ?? null,
      status: 'queued',
      attempt: 0,
      queuedAt,
      log,
    })
    .onConflictDoNothing()
    .returning();
  const row = inserted[0] ?? (await db.select().from(modelExecutions).where(eq(modelExecutions.id, id)))[0];
  if (!row) throw new Error(`execution "${id}" was neither recorded nor found`);
  if (!inserted[0]) {
    const clashes = [
      row.runId !== runId && `run ${row.runId}`,
      row.model !== model && `model ${row.model}`,
      row.snapshotId !== snapshotId && `snapshot ${row.snapshotId}`,
      (row.intervalStartMs !== (interval?.[0] ?? null) || row.intervalEndMs !== (interval?.[1] ?? null)) &&
        `interval ${row.intervalStartMs === null ? 'none' : `[${row.intervalStartMs}, ${row.intervalEndMs})`}`,
    ].filter((clash): clash is string => typeof clash === 'string');
    if (clashes.length > 0) throw new Error(`execution "${id}" already exists with ${clashes.join(', ')}`);
  }
  return toRecord(row);
}

/**
 * Marks an attempt as started. Reporting the same attempt twice changes nothing; a higher attempt
 * (a retry, also after a failure) restarts the clock of the duration but not of the wait.
 */
export async function recordExecutionStarted(
  db: StateDb,
  id: string,
  start: ExecutionStart,
): Promise<ExecutionRecord> {
  requireText('execution id', id);
  const attempt = requireInteger('attempt', start.attempt, 1);
  const executor = requireText('executor', start.executor);
  const at = start.at === undefined ? new Date() : toDate('at', start.at);

  return db.transaction(async (tx) => {
    const current = (
      await tx.select().from(modelExecutions).where(eq(modelExecutions.id, id)).for('update')
    )[0];
    if (!current) throw new Error(`unknown execution "${id}"`);
    if (attempt < current.attempt) {
      throw new Error(
        `execution "${id}" attempt ${attempt} is older than its recorded attempt ${current.attempt}`,
      );
    }
    if (attempt === current.attempt) {
      if (current.status === 'running') return toRecord(current);
      throw new Error(`execution "${id}" attempt ${attempt} already ended (${current.status})`);
    }
    if (current.status !== 'running')
      checkTransition('execution', id, current.status, 'running', EXECUTION_TRANSITIONS);
    const updated = await tx
      .update(modelExecutions)
      .set({
        status: 'running',
        attempt,
        executor,
        startedAt: at,
        waitMs: current.waitMs ?? elapsed(current.queuedAt, at),
        finishedAt: null,
        durationMs: null,
        error: null,
      })
      .where(eq(modelExecutions.id, id))
      .returning();
    return toRecord(updated[0]!);
  });
}

/** Records the outcome. Reporting the outcome the execution already has changes nothing. */
export async function recordExecutionFinished(
  db: StateDb,
  id: string,
  finish: ExecutionFinish,
): Promise<ExecutionRecord> {
  requireText('execution id', id);
  const status = requireOneOf('status', finish.status, EXECUTION_OUTCOMES);
  const at = finish.at === undefined ? new Date() : toDate('at', finish.at);
  const rowsAffected = optionalInteger('rowsAffected', finish.rowsAffected, 0);
  const error = optionalMessage('error', finish.error);
  const skipReason = optionalMessage('skipReason', finish.skipReason);
  const log = checkLog(finish.log);
  const attempt = finish.attempt === undefined ? undefined : requireInteger('attempt', finish.attempt, 0);

  return db.transaction(async (tx) => {
    const current = (
      await tx.select().from(modelExecutions).where(eq(modelExecutions.id, id)).for('update')
    )[0];
    if (!current) throw new Error(`unknown execution "${id}"`);
    if (!checkTransition('execution', id, current.status, status, EXECUTION_TRANSITIONS))
      return toRecord(current);
    const updated = await tx
      .update(modelExecutions)
      .set({
        status,
        finishedAt: at,
        durationMs: current.startedAt ? elapsed(current.startedAt, at) : null,
        rowsAffected,
        error,
        skipReason,
        ...(log !== null ? { log } : {}),
        ...(attempt !== undefined && attempt > current.attempt ? { attempt } : {}),
      })
      .where(eq(modelExecutions.id, id))
      .returning();
    return toRecord(updated[0]!);
  });
}

export async function getExecution(db: StateDb, id: string): Promise<ExecutionRecord | null> {
  requireText('execution id', id);
  const rows = await db.select().from(modelExecutions).where(eq(modelExecutions.id, id));
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Executions newest first (by queued time, then id), one page at a time. */
export async function listExecutions(
  db: StateDb,
  filter: ExecutionFilter = {},
): Promise<Page<ExecutionRecord>> {
  const limit = pageSize(filter.limit);
  const conditions: SQL[] = [];
  if (filter.environment !== undefined) {
    conditions.push(eq(modelExecutions.environment, requireText('environment', filter.environment)));
  }
  if (filter.model !== undefined)
    conditions.push(eq(modelExecutions.model, requireText('model', filter.model)));
  if (filter.runId !== undefined)
    conditions.push(eq(modelExecutions.runId, requireText('runId', filter.runId)));
  if (filter.snapshotId !== undefined) {
    conditions.push(eq(modelExecutions.snapshotId, requireText('snapshotId', filter.snapshotId)));
  }
  const statuses = optionalChoices('status', filter.status, EXECUTION_STATUSES);
  if (statuses) conditions.push(inArray(modelExecutions.status, statuses));
  const since = optionalDate('since', filter.since);
  if (since) conditions.push(gte(modelExecutions.queuedAt, since));
  const until = optionalDate('until', filter.until);
  if (until) conditions.push(lt(modelExecutions.queuedAt, until));
  if (filter.cursor !== undefined) {
    conditions.push(
      afterCursor(
        modelExecutions.queuedAt,
        modelExecutions.id,
        decodeCursor<string>(filter.cursor, 'string'),
      ),
    );
  }
  const rows = await db
    .select()
    .from(modelExecutions)
    .where(and(...conditions))
    .orderBy(...newestFirst(modelExecutions.queuedAt, modelExecutions.id))
    .limit(limit + 1);
  return toPage(rows, limit, (row) => ({ at: row.queuedAt, id: row.id }), toRecord);
}

function checkLog(value: ExecutionLog | null | undefined): ExecutionLog | null {
  const log = value == null ? null : (requireJson('log', value) as ExecutionLog);
  if (log !== null && (typeof log !== 'object' || Array.isArray(log))) {
    throw invalid('log', value, 'must be an object with renderedSql, statements and notices');
  }
  return log;
}

function elapsed(from: Date, to: Date): number {
  return Math.max(0, to.getTime() - from.getTime());
}

function toRecord(row: ExecutionRow): ExecutionRecord {
  return {
    id: row.id,
    runId: row.runId,
    environment: row.environment,
    model: row.model,
    snapshotId: row.snapshotId,
    interval:
      row.intervalStartMs === null || row.intervalEndMs === null
        ? null
        : [row.intervalStartMs, row.intervalEndMs],
    status: row.status,
    attempt: row.attempt,
    executor: row.executor,
    queuedAt: iso(row.queuedAt),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    waitMs: row.waitMs,
    durationMs: row.durationMs,
    rowsAffected: row.rowsAffected,
    error: row.error,
    skipReason: row.skipReason,
    log: row.log,
  };
}
