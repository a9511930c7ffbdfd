/**
 * The one way to open the state database. A `url` (SLUICE_DATABASE_URL) selects PostgreSQL through
 * postgres.js; without one the state lives in an embedded PGlite in `$SLUICE_HOME/state` (SLUICE_HOME
 * defaults to `.sluice` in the working directory), so nothing has to be installed to start.
 * `memory://` opens a throw-away in-memory PGlite. Both drivers give the same Drizzle type, `StateDb`.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { is } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite, PgliteDatabase } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres, PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import { ConfigurationError } from '../config/configuration-error.ts';
import { DATABASE_URL_EXPECTATION, describeRejectedUrl, isDatabaseUrl } from '../config/database-url.ts';
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
  /** `postgres://…`, `postgresql://…` or `memory://` (SLUICE_DATABASE_URL); empty or omitted: PGlite. */
  url?: string;
  /** PGlite data directory when no URL is given; defaults to `./.sluice/state`. */
  dataDir?: string;
}

/** Connections the postgres.js pool may open; migrations need at least two (see `db/migrate.ts`). */
const POOL_SIZE = 10;

/** sluice's own folder: SLUICE_HOME, or `.sluice` in `cwd`. */
export function sluiceHome(home: string | undefined, cwd: string): string {
  return resolve(cwd, home?.trim() ? home.trim() : '.sluice');
}

/** Where the embedded PGlite keeps the state: `<sluice home>/state`. */
export function defaultStateDir(home: string | undefined, cwd: string): string {
  return join(sluiceHome(home, cwd), 'state');
}

/** The state database a process's configuration names: SLUICE_DATABASE_URL, else PGlite in its home. */
export function stateDbOptions(
  values: { SLUICE_DATABASE_URL?: string | undefined; SLUICE_HOME?: string | undefined },
  cwd: string,
): StateDbOptions {
  return values.SLUICE_DATABASE_URL
    ? { url: values.SLUICE_DATABASE_URL }
    : { dataDir: defaultStateDir(values.SLUICE_HOME, cwd) };
}

export function createStateDb(options: StateDbOptions = {}): StateConnection {
  const url = options.url?.trim();
  if (url) {
    if (!isDatabaseUrl(url)) {
      throw new ConfigurationError(
        `state database URL: ${DATABASE_URL_EXPECTATION}, got ${describeRejectedUrl(url)}`,
      );
    }
    return /^memory:/i.test(url) ? openPglite(new PGlite()) : openPostgres(url);
  }
  const dataDir = resolve(options.dataDir ?? defaultStateDir(undefined, process.cwd()));
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
