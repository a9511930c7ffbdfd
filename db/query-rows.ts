/**
 * Raw SQL against the state database with the same result shape on both drivers: postgres.js
 * returns the rows as an array, PGlite wraps them in `{ rows }`.
 */
import type { SQL } from 'drizzle-orm';
import type { StateDb } from './client.ts';

export async function queryRows<Row extends Record<string, unknown>>(
  db: StateDb,
  query: SQL,
): Promise<Row[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return [...result] as Row[];
  if (result !== null && typeof result === 'object' && Array.isArray((result as { rows?: unknown }).rows)) {
    return (result as { rows: Row[] }).rows;
  }
  throw new Error('state database returned a result without rows');
}
