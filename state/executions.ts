/**
 * Model executions: one model's SQL for one interval batch within a run, recorded as it is queued,
 * started (once per attempt) and finished. The wait is the time from queued to the first start
 * (how long it waited for an executor); the duration is the time from the latest start to the
 * finish. Times may come from the executor's clock, so both are floored at zero.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, gte, inArray, isNotNull, lt, type SQL, sql } from 'drizzle-orm';
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
  if (!inserted[0]) checkSameExecution(row, { runId, model, snapshotId, interval });
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
  return db.transaction(async (tx) => {
    const current = (await lockExecutions(tx, [id])).get(id);
    if (!current) throw new Error(`unknown execution "${id}"`);
    const next = startedExecution(current, start);
    if (next !== current) await writeExecutions(tx, [next]);
    return next;
  });
}

/** Records the outcome. Reporting the outcome the execution already has changes nothing. */
export async function recordExecutionFinished(
  db: StateDb,
  id: string,
  finish: ExecutionFinish,
): Promise<ExecutionRecord> {
  requireText('execution id', id);
  return db.transaction(async (tx) => {
    const current = (await lockExecutions(tx, [id])).get(id);
    if (!current) throw new Error(`unknown execution "${id}"`);
    const next = finishedExecution(current, finish);
    if (next !== current) await writeExecutions(tx, [next]);
    return next;
  });
}

/**
 * `current` with the attempt started: the same record when it is that attempt and running already
 * (nothing to write); an older attempt, or the same one after it ended, is refused.
 */
export function startedExecution(current: ExecutionRecord, start: ExecutionStart): ExecutionRecord {
  const { id } = current;
  const attempt = requireInteger('attempt', start.attempt, 1);
  const executor = requireText('executor', start.executor);
  const at = start.at === undefined ? new Date() : toDate('at', start.at);
  if (attempt < current.attempt) {
    throw new Error(
      `execution "${id}" attempt ${attempt} is older than its recorded attempt ${current.attempt}`,
    );
  }
  if (attempt === current.attempt) {
    if (current.status === 'running') return current;
    throw new Error(`execution "${id}" attempt ${attempt} already ended (${current.status})`);
  }
  if (current.status !== 'running')
    checkTransition('execution', id, current.status, 'running', EXECUTION_TRANSITIONS);
  return {
    ...current,
    status: 'running',
    attempt,
    executor,
    startedAt: iso(at),
    waitMs: current.waitMs ?? elapsed(new Date(current.queuedAt), at),
    finishedAt: null,
    durationMs: null,
    error: null,
  };
}

/** `current` with its outcome; the same record when it has that outcome already (nothing to write). */
export function finishedExecution(current: ExecutionRecord, finish: ExecutionFinish): ExecutionRecord {
  const status = requireOneOf('status', finish.status, EXECUTION_OUTCOMES);
  const at = finish.at === undefined ? new Date() : toDate('at', finish.at);
  const rowsAffected = optionalInteger('rowsAffected', finish.rowsAffected, 0);
  const error = optionalMessage('error', finish.error);
  const skipReason = optionalMessage('skipReason', finish.skipReason);
  const log = checkLog(finish.log);
  const attempt = finish.attempt === undefined ? undefined : requireInteger('attempt', finish.attempt, 0);
  if (!checkTransition('execution', current.id, current.status, status, EXECUTION_TRANSITIONS))
    return current;
  return {
    ...current,
    status,
    finishedAt: iso(at),
    durationMs: current.startedAt ? elapsed(new Date(current.startedAt), at) : null,
    rowsAffected,
    error,
    skipReason,
    ...(log !== null ? { log } : {}),
    ...(attempt !== undefined && attempt > current.attempt ? { attempt } : {}),
  };
}

/** The executions of `ids` that exist, by id, locked for update until the transaction ends. */
export async function lockExecutions(
  db: StateDb,
  ids: readonly string[],
): Promise<Map<string, ExecutionRecord>> {
  const checked = [...new Set(ids.map((id, index) => requireText(`execution ids[${index}]`, id)))];
  if (checked.length === 0) return new Map();
  const rows = await db
    .select()
    .from(modelExecutions)
    .where(inArray(modelExecutions.id, checked))
    .orderBy(modelExecutions.id)
    .for('update');
  return new Map(rows.map((row) => [row.id, toRecord(row)]));
}

/** Rows per bulk statement: one JSON parameter each, kept to a few megabytes. */
const WRITE_CHUNK = 1000;

/**
 * Writes the status, attempt, times, counts, messages and log of each record (as startedExecution
 * and finishedExecution computed them) in one statement per chunk.
 */
export async function writeExecutions(db: StateDb, records: readonly ExecutionRecord[]): Promise<void> {
  for (let offset = 0; offset < records.length; offset += WRITE_CHUNK) {
    const chunk = records.slice(offset, offset + WRITE_CHUNK).map((r) => ({
      id: r.id,
      status: r.status,
      attempt: r.attempt,
      executor: r.executor,
      started_at: r.startedAt,
      finished_at: r.finishedAt,
      wait_ms: r.waitMs,
      duration_ms: r.durationMs,
      rows_affected: r.rowsAffected,
      error: r.error,
      skip_reason: r.skipReason,
      log: r.log,
    }));
    await db.execute(sql`update ${modelExecutions} set
      status = v.status, attempt = v.attempt, executor = v.executor, started_at = v.started_at,
      finished_at = v.finished_at, wait_ms = v.wait_ms, duration_ms = v.duration_ms,
      rows_affected = v.rows_affected, error = v.error, skip_reason = v.skip_reason, log = v.log
      from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as v(id text, status text, attempt int,
        executor text, started_at timestamptz, finished_at timestamptz, wait_ms bigint, duration_ms bigint,
        rows_affected bigint, error text, skip_reason text, log jsonb)
      where ${modelExecutions.id} = v.id`);
  }
}

/** The rows of a raw statement, as either driver returns them (postgres.js: a list; PGlite: `rows`). */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** An execution to record queued in bulk; with `skipReason` it is recorded skipped at once. */
export interface QueuedExecution extends ExecutionInput {
  id: string;
  queuedAt: Instant;
  skipReason?: string;
}

/**
 * `recordExecutionQueued` for many executions in one insert (per chunk): one recorded already with
 * the same run, model, snapshot and interval is left as it is (a retry).
 */
export async function recordExecutionsQueued(db: StateDb, inputs: readonly QueuedExecution[]): Promise<void> {
  const rows = inputs.map((input, index) => {
    const field = (name: string) => `executions[${index}].${name}`;
    const interval = input.interval == null ? null : requireInterval(field('interval'), input.interval);
    const queuedAt = toDate(field('queuedAt'), input.queuedAt);
    const skipReason = optionalMessage(field('skipReason'), input.skipReason);
    return {
      id: requireText(field('id'), input.id),
      runId: requireText(field('runId'), input.runId),
      model: requireText(field('model'), input.model),
      snapshotId: requireText(field('snapshotId'), input.snapshotId),
      intervalStartMs: interval?.[0] ?? null,
      intervalEndMs: interval?.[1] ?? null,
      status: skipReason === null ? ('queued' as const) : ('skipped' as const),
      attempt: 0,
      queuedAt,
      ...(skipReason === null ? {} : { finishedAt: queuedAt, skipReason }),
      log: checkLog(input.log),
    };
  });
  if (rows.length === 0) return;
  const runIds = [...new Set(rows.map((row) => row.runId))];
  const found = await db
    .select({ id: runs.id, environment: runs.environment })
    .from(runs)
    .where(inArray(runs.id, runIds));
  const environments = new Map(found.map((run) => [run.id, run.environment]));
  const unknown = runIds.filter((id) => !environments.has(id));
  if (unknown.length > 0) throw new Error(`executions name unknown run "${unknown.join('", "')}"`);
  const inserted = new Set<string>();
  for (let offset = 0; offset < rows.length; offset += WRITE_CHUNK) {
    const chunk = rows.slice(offset, offset + WRITE_CHUNK).map((row) => ({
      id: row.id,
      run_id: row.runId,
      environment: environments.get(row.runId)!,
      model: row.model,
      snapshot_id: row.snapshotId,
      interval_start_ms: row.intervalStartMs,
      interval_end_ms: row.intervalEndMs,
      status: row.status,
      queued_at: row.queuedAt.toISOString(),
      finished_at: row.finishedAt?.toISOString() ?? null,
      skip_reason: row.skipReason ?? null,
      log: row.log,
    }));
    // One JSON parameter instead of a dozen per row: the statement is built and bound in no time.
    const result = await db.execute(sql`insert into ${modelExecutions}
      (id, run_id, environment, model, snapshot_id, interval_start_ms, interval_end_ms, status, attempt,
        queued_at, finished_at, skip_reason, log)
      select r.id, r.run_id, r.environment, r.model, r.snapshot_id, r.interval_start_ms, r.interval_end_ms,
        r.status, 0, r.queued_at, r.finished_at, r.skip_reason, r.log
      from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as r(id text, run_id text, environment text,
        model text, snapshot_id text, interval_start_ms bigint, interval_end_ms bigint, status text,
        queued_at timestamptz, finished_at timestamptz, skip_reason text, log jsonb)
      on conflict do nothing
      returning id`);
    for (const { id } of rowsOf<{ id: string }>(result)) inserted.add(id);
  }
  const existing = rows.filter((row) => !inserted.has(row.id));
  if (existing.length === 0) return;
  const recorded = await lockExecutions(
    db,
    existing.map((row) => row.id),
  );
  for (const row of existing) {
    const current = recorded.get(row.id);
    if (!current) throw new Error(`execution "${row.id}" was neither recorded nor found`);
    checkSameExecution(current, {
      ...row,
      interval: row.intervalStartMs === null ? null : [row.intervalStartMs, row.intervalEndMs!],
    });
  }
}

/** Refuses an execution recorded already for another run, model, snapshot or interval. */
function checkSameExecution(
  recorded: ExecutionRow | ExecutionRecord,
  expected: { runId: string; model: string; snapshotId: string; interval: Interval | null },
): void {
  const start = 'intervalStartMs' in recorded ? recorded.intervalStartMs : (recorded.interval?.[0] ?? null);
  const end = 'intervalEndMs' in recorded ? recorded.intervalEndMs : (recorded.interval?.[1] ?? null);
  const clashes = [
    recorded.runId !== expected.runId && `run ${recorded.runId}`,
    recorded.model !== expected.model && `model ${recorded.model}`,
    recorded.snapshotId !== expected.snapshotId && `snapshot ${recorded.snapshotId}`,
    (start !== (expected.interval?.[0] ?? null) || end !== (expected.interval?.[1] ?? null)) &&
      `interval ${start === null ? 'none' : `[${start}, ${end})`}`,
  ].filter((clash): clash is string => typeof clash === 'string');
  if (clashes.length > 0)
    throw new Error(`execution "${recorded.id}" already exists with ${clashes.join(', ')}`);
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

/** The latest execution of `model` in `environment` that left a log (its rendered SQL), or null. */
export async function lastLoggedExecution(
  db: StateDb,
  environment: string,
  model: string,
): Promise<ExecutionRecord | null> {
  const rows = await db
    .select()
    .from(modelExecutions)
    .where(
      and(
        eq(modelExecutions.environment, requireText('environment', environment)),
        eq(modelExecutions.model, requireText('model', model)),
        isNotNull(modelExecutions.log),
      ),
    )
    .orderBy(...newestFirst(modelExecutions.queuedAt, modelExecutions.id))
    .limit(1);
  return rows[0] ? toRecord(rows[0]) : null;
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

/** Every execution of a run, oldest first. */
export async function runExecutions(db: StateDb, runId: string): Promise<ExecutionRecord[]> {
  const all: ExecutionRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await listExecutions(db, { runId, limit: 500, cursor });
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all.reverse();
}
