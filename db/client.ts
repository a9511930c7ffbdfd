/**
 * The one way to open the state database. `SLUICE_DATABASE_URL` (or `url`) selects PostgreSQL
 * through postgres.js; without it the state lives in an embedded PGlite under
 * `<SLUICE_HOME or cwd>/.sluice/state`, so nothing has to be installed to start. `memory://` opens
 * a throw-away in-memory PGlite. Both drivers give the same Drizzle type, `StateDb`.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { is } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite, PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres, PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import * as schema from './schema.ts';

export type StateSchema = typeof schema;

/** The Drizzle database every state function takes, whichever driver is underneath. */
export type StateDb = PgDatabase<PgQueryResultHKT, StateSchema>;

export type StateDriver = 'postgres' | 'pglite';

export interface StateConnection {
  db: StateDb;
  driver: StateDriver;
  /** closes the pool (postgres) or the embedded database (pglite). */
  close(): Promise<void>;
}

export interface StateDbOptions {
  /** `postgres://…`, `postgresql://…` or `memory://`; defaults to `SLUICE_DATABASE_URL`. */
  url?: string;
  /** PGlite data directory when no URL is given; defaults to `<SLUICE_HOME or cwd>/.sluice/state`. */
  dataDir?: string;
}

/** Connections the postgres.js pool may open; migrations need at least two (see `db/migrate.ts`). */
const POOL_SIZE = 10;

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const home = env.SLUICE_HOME?.trim();
  return join(resolve(home ? home : cwd), '.sluice', 'state');
}

export function createStateDb(options: StateDbOptions = {}): StateConnection {
  const url = (options.url ?? process.env.SLUICE_DATABASE_URL)?.trim();
  if (url) {
    if (/^postgres(ql)?:\/\//i.test(url)) return openPostgres(url);
    if (/^memory:\/\/$/i.test(url)) return openPglite(new PGlite());
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw new Error(
      `state database URL must start with postgres://, postgresql:// or memory:// (got ${
        scheme ? `a ${scheme}: URL` : 'a value that is not a URL'
      })`,
    );
  }
  const dataDir = resolve(options.dataDir ?? defaultStateDir());
  mkdirSync(dataDir, { recursive: true });
  return openPglite(new PGlite(dataDir));
}

function openPostgres(url: string): StateConnection {
  const client = postgres(url, {
    max: POOL_SIZE,
    onnotice: () => {},
    connection: { application_name: 'sluice' },
  });
  const db = drizzlePostgres(client, { schema });
  return {
    db,
    driver: 'postgres',
    close: () => client.end({ timeout: 5 }),
  };
}

function openPglite(client: PGlite): StateConnection {
  const db = drizzlePglite(client, { schema });
  return {
    db,
    driver: 'pglite',
    close: () => client.close(),
  };
}

/** The driver and raw client behind a `StateDb` (for the migrator, which needs both). */
export function driverOf(
  db: StateDb,
): { driver: 'postgres'; client: Sql } | { driver: 'pglite'; client: PGlite } {
  if (is(db, PostgresJsDatabase))
    return { driver: 'postgres', client: (db as unknown as { $client: Sql }).$client };
  if (is(db, PgliteDatabase))
    return { driver: 'pglite', client: (db as unknown as { $client: PGlite }).$client };
  throw new Error('state database must be opened with createStateDb (postgres.js or PGlite driver)');
}
