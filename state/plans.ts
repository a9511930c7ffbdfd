/**
 * Plans: what applying a project to an environment changes, and how far their application got.
 * Plans to one environment apply one at a time in submission order; this file records that order
 * (`submittedAt`, then id) and each plan's status, progress and error.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, getTableColumns, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { PLAN_STATUSES, type PlanStatus, plans } from '../db/schema.ts';
import { afterCursor, decodeCursor, newestFirst, type Page, pageSize, toPage } from './pagination.ts';
import { checkTransition, type TransitionTable } from './transitions.ts';
import {
  type Instant,
  iso,
  optionalChoices,
  optionalDate,
  optionalMessage,
  requireInteger,
  requireJson,
  requireOneOf,
  requireText,
  toDate,
} from './validate.ts';

export type { PlanStatus } from '../db/schema.ts';

export interface PlanInput {
  /** generated when omitted; a stable id makes retries idempotent. */
  id?: string;
  environment: string;
  /** added, removed and modified models, intervals to backfill: the plan as computed. */
  diff: unknown;
  submittedBy: string;
  /** `pending` (the default) or `queued`. */
  status?: 'pending' | 'queued';
  submittedAt?: Instant;
  /** the project the plan was computed from (without warehouse credentials); see getPlanProject. */
  project?: unknown;
  /** compute the diff again against the environment when the plan's turn comes (false by default). */
  recomputeOnTurn?: boolean;
  /** how long the environment lives once the plan is applied; null or absent: its expiry stays. */
  environmentTtlMs?: number | null;
}

export interface PlanUpdate {
  status?: PlanStatus;
  /** replaces the stored progress. */
  progress?: unknown;
  error?: string | null;
  /** when the change happened; now by default. */
  at?: Instant;
  /** who asked for the cancellation (kept once set). */
  cancelledBy?: string | null;
}

export interface PlanRecord {
  id: string;
  environment: string;
  status: PlanStatus;
  diff: unknown;
  submittedBy: string;
  submittedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  progress: unknown;
  /** who cancelled the plan, when someone did. */
  cancelledBy: string | null;
  /**
   * an auto-applied plan that may not have been first in its environment's queue: its diff is
   * computed again against the environment when its turn comes (see replacePlanDiff).
   */
  recomputeOnTurn: boolean;
  /** how long the environment lives once the plan is applied; null: its expiry stays as it is. */
  environmentTtlMs: number | null;
}

export interface PlanFilter {
  environment?: string;
  status?: PlanStatus | readonly PlanStatus[];
  /** plans submitted at or after this time. */
  since?: Instant;
  /** plans submitted before this time. */
  until?: Instant;
  limit?: number;
  cursor?: string;
}

/** Statuses a plan never leaves. */
export const PLAN_FINAL: ReadonlySet<PlanStatus> = new Set([
  'applied',
  'failed',
  'cancelled',
  'rejected',
  'terminated',
]);
const FINAL: readonly PlanStatus[] = [...PLAN_FINAL];

export const PLAN_TRANSITIONS: TransitionTable<PlanStatus> = {
  pending: ['queued', 'applying', 'failed', 'cancelled', 'rejected'],
  queued: ['applying', 'failed', 'cancelled', 'rejected', 'terminated'],
  applying: ['applied', 'failed', 'cancelled', 'terminated'],
  applied: [],
  failed: [],
  cancelled: [],
  rejected: [],
  terminated: [],
};

/** A plan's row without its stored project, the largest column, which PlanRecord leaves out. */
type PlanRow = Omit<typeof plans.$inferSelect, 'project'>;

/**
 * The columns a PlanRecord is read from: every column but the stored project, which only
 * getPlanProject reads (a project of thousands of models would otherwise be read and parsed again
 * by every look at a plan's status).
 */
const { project: _project, ...recordColumns } = getTableColumns(plans);

export async function createPlan(db: StateDb, input: PlanInput): Promise<PlanRecord> {
  const id = input.id === undefined ? randomUUID() : requireText('plan id', input.id);
  const environment = requireText('environment', input.environment);
  const diff = requireJson('diff', input.diff);
  const submittedBy = requireText('submittedBy', input.submittedBy);
  const status = requireOneOf('status', input.status ?? 'pending', ['pending', 'queued'] as const);
  const submittedAt = input.submittedAt === undefined ? new Date() : toDate('submittedAt', input.submittedAt);
  const project = input.project === undefined ? null : requireJson('project', input.project);
  const recomputeOnTurn = input.recomputeOnTurn === true;
  const environmentTtlMs =
    input.environmentTtlMs === undefined || input.environmentTtlMs === null
      ? null
      : requireInteger('environmentTtlMs', input.environmentTtlMs, 1);

  const inserted = await db
    .insert(plans)
    .values({
      id,
      environment,
      status,
      diff,
      submittedBy,
      submittedAt,
      project,
      recomputeOnTurn,
      environmentTtlMs,
    })
    .onConflictDoNothing()
    .returning(recordColumns);
  const row = inserted[0] ?? (await db.select(recordColumns).from(plans).where(eq(plans.id, id)))[0];
  if (!row) throw new Error(`plan "${id}" was neither created nor found`);
  if (!inserted[0] && row.environment !== environment) {
    throw new Error(`plan "${id}" already exists for environment "${row.environment}", not "${environment}"`);
  }
  return toRecord(row);
}

export async function getPlan(db: StateDb, id: string): Promise<PlanRecord | null> {
  requireText('plan id', id);
  const rows = await db.select(recordColumns).from(plans).where(eq(plans.id, id));
  return rows[0] ? toRecord(rows[0]) : null;
}

/**
 * A plan's status and error alone, for those who wait for a plan to end: `getPlan` reads its diff
 * too, which grows with the project. Null when no plan has this id.
 */
export async function getPlanStatus(
  db: StateDb,
  id: string,
): Promise<{ status: PlanStatus; error: string | null } | null> {
  requireText('plan id', id);
  const rows = await db
    .select({ status: plans.status, error: plans.error })
    .from(plans)
    .where(eq(plans.id, id));
  return rows[0] ?? null;
}

/**
 * The project stored with the plan (kept out of PlanRecord, which lists stay small without); null
 * when the plan was stored without one.
 */
export async function getPlanProject(db: StateDb, id: string): Promise<unknown> {
  requireText('plan id', id);
  const rows = await db.select({ project: plans.project }).from(plans).where(eq(plans.id, id));
  if (!rows[0]) throw new Error(`unknown plan "${id}"`);
  return rows[0].project ?? null;
}

/**
 * Changes a plan's status and/or progress: `applying` stamps the start, a final status the finish.
 * Reporting the status the plan already has is a no-op; a final plan changes no more.
 */
export async function updatePlan(db: StateDb, id: string, update: PlanUpdate): Promise<PlanRecord> {
  requireText('plan id', id);
  const status =
    update.status === undefined ? undefined : requireOneOf('status', update.status, PLAN_STATUSES);
  const progress = update.progress === undefined ? undefined : requireJson('progress', update.progress);
  const error = optionalMessage('error', update.error);
  const at = update.at === undefined ? new Date() : toDate('at', update.at);
  const cancelledBy = optionalMessage('cancelledBy', update.cancelledBy);
  if (status === undefined && progress === undefined && error === null && cancelledBy === null) {
    throw new Error(`plan "${id}" update must change status, progress, error or who cancelled it`);
  }

  return db.transaction(async (tx) => {
    const current = (await tx.select(recordColumns).from(plans).where(eq(plans.id, id)).for('update'))[0];
    if (!current) throw new Error(`unknown plan "${id}"`);
    if (cancelledBy !== null && current.cancelledBy === null) {
      await tx.update(plans).set({ cancelledBy }).where(eq(plans.id, id));
      current.cancelledBy = cancelledBy;
      if (status === undefined && progress === undefined && error === null) return toRecord(current);
    }
    const moves =
      status !== undefined && checkTransition('plan', id, current.status, status, PLAN_TRANSITIONS);
    if (!moves && FINAL.includes(current.status)) {
      if (status === current.status) return toRecord(current);
      throw new Error(`plan "${id}" is ${current.status}; it changes no more`);
    }
    const changes: Partial<typeof plans.$inferInsert> = {
      ...(moves && status !== undefined ? { status } : {}),
      ...(moves && status === 'applying' ? { startedAt: current.startedAt ?? at } : {}),
      ...(moves && status !== undefined && FINAL.includes(status) ? { finishedAt: at } : {}),
      ...(progress !== undefined ? { progress } : {}),
      ...(error !== null ? { error } : {}),
    };
    if (Object.keys(changes).length === 0) return toRecord(current);
    const updated = await tx.update(plans).set(changes).where(eq(plans.id, id)).returning(recordColumns);
    return toRecord(updated[0]!);
  });
}

/** The statuses of a plan that has not begun: its diff may still be replaced, it may still be refused. */
const NOT_BEGUN: readonly PlanStatus[] = ['pending', 'queued'];

/**
 * Refuses a plan that was never queued: pending → rejected, with the reason as its error. A plan
 * that has moved on meanwhile (queued by another request, say) keeps its status. Returns whether
 * this call rejected it.
 */
export async function rejectPendingPlan(
  db: StateDb,
  id: string,
  reason: string,
  at?: Instant,
): Promise<boolean> {
  requireText('plan id', id);
  const error = optionalMessage('reason', reason);
  if (!error) throw new Error(`plan "${id}" needs a reason to be rejected`);
  const finishedAt = at === undefined ? new Date() : toDate('at', at);
  const updated = await db
    .update(plans)
    .set({ status: 'rejected', error, finishedAt })
    .where(and(eq(plans.id, id), eq(plans.status, 'pending')))
    .returning({ id: plans.id });
  return updated.length > 0;
}

/**
 * Sets whether the plan's diff is computed again when its turn comes; only while it has not begun
 * (a plan already applying keeps the diff it applies). Returns whether the plan changed.
 */
export async function setRecomputeOnTurn(db: StateDb, id: string, recompute: boolean): Promise<boolean> {
  requireText('plan id', id);
  const updated = await db
    .update(plans)
    .set({ recomputeOnTurn: recompute })
    .where(and(eq(plans.id, id), inArray(plans.status, NOT_BEGUN)))
    .returning({ id: plans.id });
  return updated.length > 0;
}

/**
 * Replaces the diff of a plan that has not begun: an auto-applied plan's diff, computed again
 * against its environment when its turn comes. A plan that has begun applies the diff it has.
 */
export async function replacePlanDiff(db: StateDb, id: string, diff: unknown): Promise<PlanRecord> {
  requireText('plan id', id);
  const value = requireJson('diff', diff);
  const updated = await db
    .update(plans)
    .set({ diff: value })
    .where(and(eq(plans.id, id), inArray(plans.status, NOT_BEGUN)))
    .returning(recordColumns);
  if (updated[0]) return toRecord(updated[0]);
  const current = await getPlan(db, id);
  if (!current) throw new Error(`unknown plan "${id}"`);
  throw new Error(`plan "${id}" is ${current.status}; only a plan that has not begun gets a new diff`);
}

/** Plans newest first (by submission time, then id), one page at a time. */
export async function listPlans(db: StateDb, filter: PlanFilter = {}): Promise<Page<PlanRecord>> {
  const limit = pageSize(filter.limit);
  const rows = await db
    .select(recordColumns)
    .from(plans)
    .where(and(...planConditions(filter)))
    .orderBy(...newestFirst(plans.submittedAt, plans.id))
    .limit(limit + 1);
  return toPage(rows, limit, (row) => ({ at: row.submittedAt, id: row.id }), toRecord);
}

/** How big a plan's diff is: the models of each kind of change, and each backfill entry's batches. */
export interface PlanDiffSize {
  added: number;
  removed: number;
  directlyModified: number;
  indirectlyModified: number;
  metadataOnly: number;
  /** per backfill entry: its model, how it executes, and how many interval batches it lists. */
  backfill: Array<{ model: string; execution: string; intervals: number }>;
}

export interface PlanSummaryRecord extends Omit<PlanRecord, 'diff'> {
  size: PlanDiffSize;
}

/**
 * `listPlans` for lists: each plan's diff measured by the database instead of read whole (the diff
 * of a large project holds every model's snapshot and every interval to backfill), and the stored
 * project never read.
 */
export async function listPlanSummaries(
  db: StateDb,
  filter: PlanFilter = {},
): Promise<Page<PlanSummaryRecord>> {
  const limit = pageSize(filter.limit);
  const { diff: _diff, project: _project, ...columns } = getTableColumns(plans);
  const length = (key: string) => sql<number>`coalesce(jsonb_array_length(${plans.diff} -> ${key}), 0)`;
  const rows = await db
    .select({
      ...columns,
      added: length('added'),
      removed: length('removed'),
      directlyModified: length('directlyModified'),
      indirectlyModified: length('indirectlyModified'),
      metadataOnly: length('metadataOnly'),
      backfill: sql<PlanDiffSize['backfill']>`(select coalesce(jsonb_agg(jsonb_build_object(
          'model', b ->> 'model', 'execution', b ->> 'execution',
          'intervals', coalesce(jsonb_array_length(b -> 'intervals'), 0))), '[]'::jsonb)
        from jsonb_array_elements(coalesce(${plans.diff} -> 'backfill', '[]'::jsonb)) as b)`,
    })
    .from(plans)
    .where(and(...planConditions(filter)))
    .orderBy(...newestFirst(plans.submittedAt, plans.id))
    .limit(limit + 1);
  return toPage(
    rows,
    limit,
    (row) => ({ at: row.submittedAt, id: row.id }),
    ({ added, removed, directlyModified, indirectlyModified, metadataOnly, backfill, ...row }) => {
      const { diff: _none, ...record } = toRecord({ ...row, diff: null });
      return {
        ...record,
        size: {
          added: Number(added),
          removed: Number(removed),
          directlyModified: Number(directlyModified),
          indirectlyModified: Number(indirectlyModified),
          metadataOnly: Number(metadataOnly),
          backfill: backfill.map((b) => ({ ...b, intervals: Number(b.intervals) })),
        },
      };
    },
  );
}

function planConditions(filter: PlanFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.environment !== undefined) {
    conditions.push(eq(plans.environment, requireText('environment', filter.environment)));
  }
  const statuses = optionalChoices('status', filter.status, PLAN_STATUSES);
  if (statuses) conditions.push(inArray(plans.status, statuses));
  const since = optionalDate('since', filter.since);
  if (since) conditions.push(gte(plans.submittedAt, since));
  const until = optionalDate('until', filter.until);
  if (until) conditions.push(lt(plans.submittedAt, until));
  if (filter.cursor !== undefined) {
    conditions.push(afterCursor(plans.submittedAt, plans.id, decodeCursor<string>(filter.cursor, 'string')));
  }
  return conditions;
}

function toRecord(row: PlanRow): PlanRecord {
  return {
    id: row.id,
    environment: row.environment,
    status: row.status,
    diff: row.diff,
    submittedBy: row.submittedBy,
    submittedAt: iso(row.submittedAt),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    error: row.error,
    progress: row.progress ?? null,
    cancelledBy: row.cancelledBy,
    recomputeOnTurn: row.recomputeOnTurn,
    environmentTtlMs: row.environmentTtlMs ?? null,
  };
}

/**
 * A row of `plans` as the record the rest of sluice reads, for queries kept in other files; they
 * select `planRecordColumns`.
 */
export { recordColumns as planRecordColumns, toRecord as planRecord };
