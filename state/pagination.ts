/**
 * Keyset pagination for the history lists (runs, executions, plans, audit log): rows come newest
 * first, ordered by a timestamp and then by id, and the cursor is the position of the last row of
 * a page. A row inserted while a reader pages never makes another row appear twice or vanish.
 */
import { and, eq, lt, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { describeValue, invalid, requireInteger } from './validate.ts';

export interface Page<T> {
  items: T[];
  /** pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface CursorPosition<Id extends string | number> {
  at: Date;
  id: Id;
}

export function pageSize(limit: unknown): number {
  if (limit === undefined || limit === null) return DEFAULT_PAGE_SIZE;
  const size = requireInteger('limit', limit, 1);
  if (size > MAX_PAGE_SIZE) throw invalid('limit', limit, `must be at most ${MAX_PAGE_SIZE}`);
  return size;
}

export function encodeCursor(position: CursorPosition<string | number>): string {
  return Buffer.from(JSON.stringify([position.at.getTime(), position.id]), 'utf8').toString('base64url');
}

export function decodeCursor<Id extends string | number>(
  cursor: unknown,
  idType: Id extends string ? 'string' : 'number',
): CursorPosition<Id> {
  const fail = () => new Error(`cursor is not one this list returned (got ${describeValue(cursor)})`);
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw fail();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw fail();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw fail();
  const [ms, id] = decoded as [unknown, unknown];
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || typeof id !== idType) throw fail();
  return { at: new Date(ms), id: id as Id };
}

/** Rows strictly after the cursor in `at desc, id desc` order. */
export function afterCursor<Id extends string | number>(
  atColumn: PgColumn,
  idColumn: PgColumn,
  position: CursorPosition<Id>,
): SQL {
  return or(lt(atColumn, position.at), and(eq(atColumn, position.at), lt(idColumn, position.id)))!;
}

/** The list order, spelled as the indexes are (`desc nulls last`) so they serve it. */
export function newestFirst(atColumn: PgColumn, idColumn: PgColumn): SQL[] {
  return [sql`${atColumn} desc nulls last`, sql`${idColumn} desc nulls last`];
}

/** Turns `limit + 1` fetched rows into a page and the cursor of its last row. */
export function toPage<Row, T>(
  rows: Row[],
  limit: number,
  position: (row: Row) => CursorPosition<string | number>,
  map: (row: Row) => T,
): Page<T> {
  const visible = rows.slice(0, limit);
  const last = visible[visible.length - 1];
  return {
    items: visible.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(position(last)) : null,
  };
}
