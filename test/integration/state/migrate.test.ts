import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateDb, type StateConnection, type StateDb, type StateDriver } from '../../../db/client.ts';
import { MIGRATIONS_FOLDER, migrate } from '../../../db/migrate.ts';
import { queryRows } from '../../../db/query-rows.ts';
import * as schema from '../../../db/schema.ts';
import { createScratchDatabase, DRIVERS, type ScratchDatabase } from './harness.ts';

const STATE_TABLES = [
  'api_tokens',
  'audit_log',
  'connections',
  'environment_snapshots',
  'environments',
  'intervals',
  'janitor_drops',
  'model_executions',
  'notification_attempts',
  'notification_deliveries',
  'notification_webhooks',
  'pauses',
  'plans',
  'runs',
  'snapshots',
  'stored_payloads',
];

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
  entries: { tag: string }[];
};

async function stateTables(db: StateDb): Promise<string[]> {
  const rows = await queryRows<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.tables where table_schema = 'sluice' order by table_name`,
  );
  return rows.map((row) => row.table_name);
}

async function appliedMigrations(db: StateDb): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from drizzle.__sluice_migrations`,
  );
  return Number(rows[0]?.n);
}

describe.each(DRIVERS)('migrate on %s', (driver: StateDriver) => {
  let scratch: ScratchDatabase | undefined;
  let connection: StateConnection;

  beforeAll(async () => {
    if (driver === 'postgres') {
      scratch = await createScratchDatabase('migrate');
      connection = createStateDb({ url: scratch.url });
    } else {
      connection = createStateDb({ url: 'memory://' });
    }
  });
  afterAll(async () => {
    await connection.close();
    await scratch?.drop();
  });

  it('creates every state table from an empty database, then changes nothing when run again', async () => {
    expect(connection.driver).toBe(driver);
    expect(await stateTables(connection.db)).toEqual([]);

    await migrate(connection.db);
    expect(await stateTables(connection.db)).toEqual(STATE_TABLES);
    expect(journal.entries.length).toBeGreaterThan(0);
    expect(await appliedMigrations(connection.db)).toBe(journal.entries.length);

    await connection.db.insert(schema.plans).values({
      id: 'plan-kept',
      environment: 'prod',
      status: 'pending',
      diff: { added: ['db.a'] },
      submittedBy: 'ana',
    });
    await migrate(connection.db);
    await Promise.all([migrate(connection.db), migrate(connection.db)]);
    expect(await appliedMigrations(connection.db)).toBe(journal.entries.length);
    const kept = await connection.db.select().from(schema.plans);
    expect(kept.map((plan) => plan.id)).toEqual(['plan-kept']);
  });

  it('enforces the status values the schema declares', async () => {
    await migrate(connection.db);
    await expect(
      connection.db.insert(schema.runs).values({
        id: 'bad-status',
        environment: 'prod',
        trigger: 'schedule',
        status: 'exploded' as never,
        scheduledAt: new Date(),
        models: [],
      }),
    ).rejects.toThrow();
    expect(await connection.db.select().from(schema.runs)).toEqual([]);
  });
});

describe('migrate on postgres from several processes at once', () => {
  let scratch: ScratchDatabase;
  const connections: StateConnection[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase('migrate_race');
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.close()));
    await scratch.drop();
  });

  it('applies the migrations once while every caller succeeds', async () => {
    for (let index = 0; index < 5; index++) connections.push(createStateDb({ url: scratch.url }));
    await Promise.all(connections.map((connection) => migrate(connection.db)));
    expect(await appliedMigrations(connections[0]!.db)).toBe(journal.entries.length);
    expect(await stateTables(connections[4]!.db)).toEqual(STATE_TABLES);
    const locks = await queryRows<{ n: number }>(
      connections[0]!.db,
      sql`select count(*)::int as n from pg_locks
          where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`,
    );
    expect(locks[0]?.n).toBe(0);
  });

  it('refuses a pool too small to hold the lock and migrate at once', async () => {
    const client = postgres(scratch.url, { max: 1, onnotice: () => {} });
    try {
      await expect(migrate(drizzle(client, { schema }))).rejects.toThrow(
        'state database pool must allow at least 2 connections to migrate (max is 1)',
      );
    } finally {
      await client.end();
    }
  });
});
