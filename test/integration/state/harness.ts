/**
 * Runs the state tests against both drivers: postgres.js on a database created for the test file
 * on the real server (dropped afterwards), and PGlite in memory. Each test starts from empty
 * tables.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createStateDb, type StateConnection, type StateDb, type StateDriver } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';

export const DRIVERS: readonly StateDriver[] = ['postgres', 'pglite'];

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the test server, named uniquely for this process and call. */
export async function createScratchDatabase(tag: string): Promise<ScratchDatabase> {
  const name = `sluice_${tag}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const maintenance = new URL(TEST_DATABASE_URL);
  maintenance.pathname = '/postgres';
  const admin = postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const dropper = postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** Opens a state database for `driver` around the tests of the enclosing describe block. */
export function useStateDb(driver: StateDriver, tag: string): { readonly db: StateDb } {
  let connection: StateConnection | undefined;
  let scratch: ScratchDatabase | undefined;
  beforeAll(async () => {
    if (driver === 'postgres') {
      scratch = await createScratchDatabase(tag);
      connection = createStateDb({ url: scratch.url });
    } else {
      connection = createStateDb({ url: 'memory://' });
    }
    await migrate(connection.db);
  });
  beforeEach(async () => {
    await resetState(connection!.db);
  });
  afterAll(async () => {
    await connection?.close();
    await scratch?.drop();
  });
  return {
    get db() {
      if (!connection) throw new Error('state database is not open yet');
      return connection.db;
    },
  };
}

export async function resetState(db: StateDb): Promise<void> {
  await db.execute(
    sql.raw(
      'truncate sluice.audit_log, sluice.pauses, sluice.model_executions, sluice.runs, sluice.intervals, ' +
        'sluice.environment_snapshots, sluice.environments, sluice.snapshots, sluice.plans, sluice.janitor_drops, ' +
        'sluice.notification_webhooks, sluice.notification_deliveries, sluice.notification_attempts restart identity',
    ),
  );
}
