/**
 * The state database's side of stored payloads (crypto/stored-payload-codec.ts): Temporal payloads
 * too large for a workflow history, kept under the SHA-256 of their bytes. Storing the same bytes
 * again moves `stored_at` forward (without sending the bytes again), so a row's `stored_at` is never
 * older than the newest history that names it; the janitor deletes the rows stored before any open
 * workflow began and before the namespace's retention, which no history that can still be replayed
 * or read names.
 */
import { count, inArray, lt, sql, sum } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import { storedPayloads } from '../db/schema.ts';
import { type Instant, toDate } from './validate.ts';

/** The store a codec keeps large payloads in (the shape of crypto/stored-payload-codec.ts's PayloadStore). */
export interface StatePayloadStore {
  put(entries: ReadonlyArray<{ key: string; data: Uint8Array }>): Promise<void>;
  get(keys: readonly string[]): Promise<Map<string, Uint8Array>>;
}

/** Stores and reads payloads in `db`'s `stored_payloads`. */
export function statePayloadStore(db: StateDb): StatePayloadStore {
  return {
    async put(entries) {
      if (entries.length === 0) return;
      const now = new Date();
      // Bytes stored already (a run's request again at each continuation, say) only move their
      // stored_at forward: the key names the bytes, so they are not sent again.
      const known = await db
        .update(storedPayloads)
        .set({ storedAt: now })
        .where(inArray(storedPayloads.key, [...new Set(entries.map(({ key }) => key))]))
        .returning({ key: storedPayloads.key });
      const stored = new Set(known.map(({ key }) => key));
      const fresh = new Map(entries.filter(({ key }) => !stored.has(key)).map((entry) => [entry.key, entry]));
      if (fresh.size === 0) return;
      await db
        .insert(storedPayloads)
        .values(
          [...fresh.values()].map(({ key, data }) => ({ key, data, size: data.byteLength, storedAt: now })),
        )
        .onConflictDoUpdate({ target: storedPayloads.key, set: { storedAt: sql`excluded.stored_at` } });
    },
    async get(keys) {
      const found = new Map<string, Uint8Array>();
      if (keys.length === 0) return found;
      const rows = await db
        .select({ key: storedPayloads.key, data: storedPayloads.data })
        .from(storedPayloads)
        .where(inArray(storedPayloads.key, [...new Set(keys)]));
      for (const row of rows) found.set(row.key, new Uint8Array(row.data));
      return found;
    },
  };
}

/** Deletes the payloads last stored before `before`; returns how many rows and bytes went. */
export async function deleteStoredPayloadsBefore(
  db: StateDb,
  before: Instant,
): Promise<{ payloads: number; bytes: number }> {
  const rows = await db
    .delete(storedPayloads)
    .where(lt(storedPayloads.storedAt, toDate('before', before)))
    .returning({ size: storedPayloads.size });
  return { payloads: rows.length, bytes: rows.reduce((sum, row) => sum + row.size, 0) };
}

/** How many payloads, and bytes, were last stored before `before`. */
export async function countStoredPayloadsBefore(
  db: StateDb,
  before: Instant,
): Promise<{ payloads: number; bytes: number }> {
  const [row] = await db
    .select({ payloads: count(), bytes: sum(storedPayloads.size) })
    .from(storedPayloads)
    .where(lt(storedPayloads.storedAt, toDate('before', before)));
  return { payloads: Number(row?.payloads ?? 0), bytes: Number(row?.bytes ?? 0) };
}
