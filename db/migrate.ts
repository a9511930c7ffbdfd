/**
 * Brings the state database up to the committed migrations in `db/migrations/`, at every start.
 *
 * Drizzle's migrator applies the pending migrations in one transaction and records them in
 * `drizzle.__sluice_migrations`, so a second call finds nothing to do. Several processes may start
 * together against one PostgreSQL database: a session-level advisory lock, held on a reserved
 * connection of the pool for the whole migration, lets exactly one of them migrate while the others
 * wait and then find the work done. Calls within one process are queued per client as well (PGlite
 * has a single connection and no advisory lock is needed there).
 */
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import type { MigrationConfig } from 'drizzle-orm/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { Sql } from 'postgres';
import { driverOf, type StateDb, type StateSchema } from './client.ts';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations/', import.meta.url));

export const MIGRATION_CONFIG: MigrationConfig = {
  migrationsFolder: MIGRATIONS_FOLDER,
  migrationsSchema: 'drizzle',
  migrationsTable: '__sluice_migrations',
};

/** Advisory lock key: the bytes of "sluice" read as a number, shared by every sluice process. */
export const MIGRATION_LOCK_KEY = 0x736c75696365;

const inFlight = new WeakMap<object, Promise<void>>();

export async function migrate(db: StateDb): Promise<void> {
  const target = driverOf(db);
  const previous = inFlight.get(target.client) ?? Promise.resolve();
  const current = previous
    .catch(() => {})
    .then(() =>
      target.driver === 'postgres'
        ? migrateOnPostgres(db as unknown as PostgresJsDatabase<StateSchema>, target.client)
        : migrateOnPglite(db as unknown as PgliteDatabase<StateSchema>, target.client),
    );
  inFlight.set(target.client, current);
  try {
    await current;
  } finally {
    if (inFlight.get(target.client) === current) inFlight.delete(target.client);
  }
}

async function migrateOnPglite(db: PgliteDatabase<StateSchema>, client: PGlite): Promise<void> {
  await client.waitReady;
  await migratePglite(db, MIGRATION_CONFIG);
}

async function migrateOnPostgres(db: PostgresJsDatabase<StateSchema>, client: Sql): Promise<void> {
  const poolSize = Number(client.options.max);
  if (!(poolSize >= 2)) {
    throw new Error(
      `state database pool must allow at least 2 connections to migrate (max is ${client.options.max}): ` +
        'one holds the migration lock while another applies the migrations',
    );
  }
  const lock = await client.reserve();
  try {
    await lock`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    try {
      await migratePostgres(db, MIGRATION_CONFIG);
    } finally {
      await lock`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    }
  } finally {
    lock.release();
  }
}
