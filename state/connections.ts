/**
 * Scheduler-managed warehouse connections: one sealed `connection:` mapping per gateway (see the
 * `connections` table in db/schema.ts). These functions store and read the sealed value as given;
 * they never see the plain text. Re-sealing every row under a new key (`resealConnections`) happens
 * in one transaction: when any row cannot be re-sealed, no row changes.
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { CONNECTION_TYPES, type ConnectionType, connections, type SealedValue } from '../db/schema.ts';
import {
  type Instant,
  invalid,
  iso,
  optionalDate,
  optionalInteger,
  requireOneOf,
  requireText,
  toDate,
} from './validate.ts';

/** Gateway names as stored: lower case letters, digits, `_`, `-` and `.`, starting with a letter, digit or `_`. */
export const CONNECTION_GATEWAY_PATTERN = /^[a-z0-9_][a-z0-9_.-]{0,62}$/;

export interface ConnectionRecord {
  gateway: string;
  type: ConnectionType;
  /** Postgres: the host; DuckDB: the database file's name or `:memory:`. */
  host: string | null;
  sealed: SealedValue;
  keyId: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
  lastTestedAt: string | null;
  lastTestMs: number | null;
}

/** A connection without its sealed settings: what may be listed. */
export type ConnectionSummary = Omit<ConnectionRecord, 'sealed'>;

export interface ConnectionInput {
  gateway: string;
  type: ConnectionType;
  host?: string | null;
  sealed: SealedValue;
  /** who stores it (the audit log has the details). */
  actor: string;
  /** when the settings were last tested from an executor, and how long connecting took. */
  testedAt?: Instant | null;
  testMs?: number | null;
  at?: Instant;
}

type ConnectionRow = typeof connections.$inferSelect;

/** The stored connection of `gateway`; null when there is none. */
export async function getConnection(db: StateDb, gateway: string): Promise<ConnectionRecord | null> {
  const name = requireGateway(gateway);
  const rows = await db.select().from(connections).where(eq(connections.gateway, name));
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Every stored connection, by gateway name, without the sealed settings. */
export async function listConnections(db: StateDb): Promise<ConnectionSummary[]> {
  const rows = await db.select().from(connections).orderBy(asc(connections.gateway));
  return rows.map((row) => toSummary(toRecord(row)));
}

/** The sealed settings of every stored connection, by gateway (for the scheduler's work). */
export async function sealedConnections(db: StateDb): Promise<Map<string, SealedValue>> {
  const rows = await db
    .select({ gateway: connections.gateway, sealed: connections.sealed })
    .from(connections);
  return new Map(rows.map((row) => [row.gateway, row.sealed]));
}

/**
 * Stores the connection of `input.gateway`, replacing the one stored before; `created` says which.
 * A replacement keeps the original creator and creation time.
 */
export async function upsertConnection(
  db: StateDb,
  input: ConnectionInput,
): Promise<{ connection: ConnectionRecord; created: boolean }> {
  const gateway = requireGateway(input.gateway);
  const type = requireOneOf('type', input.type, CONNECTION_TYPES);
  const host = input.host === undefined || input.host === null ? null : requireText('host', input.host);
  const sealed = requireSealed('sealed', input.sealed);
  const actor = requireText('actor', input.actor);
  const testedAt = optionalDate('testedAt', input.testedAt);
  const testMs = optionalInteger('testMs', input.testMs, 0);
  const at = input.at === undefined ? new Date() : toDate('at', input.at);
  const values = {
    gateway,
    type,
    host,
    sealed,
    keyId: sealed.keyId,
    createdAt: at,
    updatedAt: at,
    createdBy: actor,
    updatedBy: actor,
    lastTestedAt: testedAt,
    lastTestMs: testMs,
  };
  const rows = await db
    .insert(connections)
    .values(values)
    .onConflictDoUpdate({
      target: connections.gateway,
      set: {
        type,
        host,
        sealed,
        keyId: sealed.keyId,
        updatedAt: at,
        updatedBy: actor,
        lastTestedAt: testedAt,
        lastTestMs: testMs,
      },
    })
    // xmax is 0 for a row this statement inserted, and set for one it updated
    .returning({ inserted: sql<boolean>`(xmax = 0)` });
  const stored = (await getConnection(db, gateway))!;
  return { connection: stored, created: rows[0]?.inserted === true };
}

/** Removes the stored connection of `gateway`; returns it, or null when there was none. */
export async function deleteConnection(db: StateDb, gateway: string): Promise<ConnectionSummary | null> {
  const name = requireGateway(gateway);
  const rows = await db.delete(connections).where(eq(connections.gateway, name)).returning();
  return rows[0] ? toSummary(toRecord(rows[0])) : null;
}

/** What `resealConnections` did to one row. */
export interface Reseal {
  gateway: string;
  fromKeyId: string;
  toKeyId: string;
}

/**
 * Re-seals stored connections in one transaction: `reseal` gets each row (locked against
 * concurrent changes) and returns its new sealed value, or undefined to leave the row as it is.
 * When `reseal` throws for any row, the transaction rolls back and the error is raised: no row
 * changes. Returns what changed, by gateway name.
 */
export async function resealConnections(
  db: StateDb,
  reseal: (connection: ConnectionRecord) => SealedValue | undefined,
  options: { at?: Instant; actor: string },
): Promise<Reseal[]> {
  const actor = requireText('actor', options.actor);
  const at = options.at === undefined ? new Date() : toDate('at', options.at);
  return db.transaction(async (tx) => {
    const rows = await tx.select().from(connections).orderBy(asc(connections.gateway)).for('update');
    const changed: Reseal[] = [];
    for (const row of rows) {
      const record = toRecord(row);
      const next = reseal(record);
      if (next === undefined) continue;
      const sealed = requireSealed(`sealed of gateway "${record.gateway}"`, next);
      await tx
        .update(connections)
        .set({ sealed, keyId: sealed.keyId, updatedAt: at, updatedBy: actor })
        .where(eq(connections.gateway, record.gateway));
      changed.push({ gateway: record.gateway, fromKeyId: record.keyId, toKeyId: sealed.keyId });
    }
    return changed;
  });
}

export function toSummary(record: ConnectionRecord): ConnectionSummary {
  const { sealed: _sealed, ...summary } = record;
  return summary;
}

function requireGateway(value: unknown): string {
  const gateway = requireText('gateway', value);
  if (!CONNECTION_GATEWAY_PATTERN.test(gateway)) {
    throw invalid(
      'gateway',
      value,
      "must be a lower-case gateway name (letters, digits, '_', '-', '.', at most 63 characters)",
    );
  }
  return gateway;
}

function requireSealed(field: string, value: unknown): SealedValue {
  const v = value as Record<string, unknown> | null;
  const ok =
    v !== null &&
    typeof v === 'object' &&
    v.v === 1 &&
    ['keyId', 'iv', 'data', 'tag'].every((key) => typeof v[key] === 'string' && v[key] !== '');
  // the value is ciphertext, but it is not shown either: only its shape is wrong
  if (!ok) throw new Error(`${field} must be a sealed value (v: 1, keyId, iv, data and tag)`);
  const sealed = value as SealedValue;
  return { v: 1, keyId: sealed.keyId, iv: sealed.iv, data: sealed.data, tag: sealed.tag };
}

function toRecord(row: ConnectionRow): ConnectionRecord {
  return {
    gateway: row.gateway,
    type: row.type,
    host: row.host,
    sealed: row.sealed,
    keyId: row.keyId,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    createdBy: row.createdBy,
    updatedBy: row.updatedBy,
    lastTestedAt: iso(row.lastTestedAt),
    lastTestMs: row.lastTestMs,
  };
}
