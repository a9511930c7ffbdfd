/**
 * Pauses of a whole environment (no model) or of one model in it. At most one pause per target is
 * active (a unique partial index guards it): pausing what is already paused returns the active
 * pause, resuming what is not paused returns null. Resumed pauses stay as history.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { pauses } from '../db/schema.ts';
import { type Instant, iso, optionalMessage, optionalText, requireText, toDate } from './validate.ts';

export interface PauseInput {
  environment: string;
  /** the paused model; omitted or null pauses the whole environment. */
  model?: string | null;
  reason?: string | null;
  pausedBy: string;
  at?: Instant;
}

export interface ResumeInput {
  environment: string;
  model?: string | null;
  resumedBy: string;
  at?: Instant;
}

export interface PauseRecord {
  id: string;
  environment: string;
  model: string | null;
  reason: string | null;
  pausedBy: string;
  pausedAt: string;
  resumedBy: string | null;
  resumedAt: string | null;
}

type PauseRow = typeof pauses.$inferSelect;

/** Pauses the target; returns the active pause and whether this call created it. */
export async function pause(
  db: StateDb,
  input: PauseInput,
): Promise<{ pause: PauseRecord; created: boolean }> {
  const environment = requireText('environment', input.environment);
  const model = optionalText('model', input.model);
  const reason = optionalMessage('reason', input.reason);
  const pausedBy = requireText('pausedBy', input.pausedBy);
  const pausedAt = input.at === undefined ? new Date() : toDate('at', input.at);

  // A resume landing between the insert and the read frees the target again, hence the retries.
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db
      .insert(pauses)
      .values({ id: randomUUID(), environment, model, reason, pausedBy, pausedAt })
      .onConflictDoNothing()
      .returning();
    if (inserted[0]) return { pause: toRecord(inserted[0]), created: true };
    const active = (await db.select().from(pauses).where(activeTarget(environment, model)))[0];
    if (active) return { pause: toRecord(active), created: false };
  }
  throw new Error(`pause of ${describeTarget(environment, model)} was neither created nor found`);
}

/** Ends the active pause of the target; null when it was not paused. */
export async function resume(db: StateDb, input: ResumeInput): Promise<PauseRecord | null> {
  const environment = requireText('environment', input.environment);
  const model = optionalText('model', input.model);
  const resumedBy = requireText('resumedBy', input.resumedBy);
  const resumedAt = input.at === undefined ? new Date() : toDate('at', input.at);
  const updated = await db
    .update(pauses)
    .set({ resumedBy, resumedAt })
    .where(activeTarget(environment, model))
    .returning();
  return updated[0] ? toRecord(updated[0]) : null;
}

/** Active pauses, of one environment or of all, environment-wide ones first, then by model. */
export async function activePauses(
  db: StateDb,
  filter: { environment?: string } = {},
): Promise<PauseRecord[]> {
  const conditions: SQL[] = [isNull(pauses.resumedAt)];
  if (filter.environment !== undefined) {
    conditions.push(eq(pauses.environment, requireText('environment', filter.environment)));
  }
  const rows = await db
    .select()
    .from(pauses)
    .where(and(...conditions))
    .orderBy(asc(pauses.environment), sql`${pauses.model} asc nulls first`, asc(pauses.pausedAt));
  return rows.map(toRecord);
}

function activeTarget(environment: string, model: string | null): SQL {
  return and(
    eq(pauses.environment, environment),
    model === null ? isNull(pauses.model) : eq(pauses.model, model),
    isNull(pauses.resumedAt),
  )!;
}

function describeTarget(environment: string, model: string | null): string {
  return model === null ? `environment "${environment}"` : `model "${model}" in environment "${environment}"`;
}

function toRecord(row: PauseRow): PauseRecord {
  return {
    id: row.id,
    environment: row.environment,
    model: row.model,
    reason: row.reason,
    pausedBy: row.pausedBy,
    pausedAt: iso(row.pausedAt),
    resumedBy: row.resumedBy,
    resumedAt: iso(row.resumedAt),
  };
}

/** Ends every active pause of `environment` (its deletion); returns how many ended. */
export async function endPausesOf(
  db: StateDb,
  environment: string,
  by: string,
  at: Instant = new Date(),
): Promise<number> {
  const ended = await db
    .update(pauses)
    .set({ resumedBy: requireText('resumedBy', by), resumedAt: toDate('at', at) })
    .where(and(eq(pauses.environment, requireText('environment', environment)), isNull(pauses.resumedAt)))
    .returning({ id: pauses.id });
  return ended.length;
}
