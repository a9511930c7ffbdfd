import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { createEngine } from '../../../engines/create-engine.ts';
import type { Engine, MetadataRow } from '../../../engines/engine.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';

/** A throw-away warehouse: its own DuckDB file, or its own Postgres database. */
export interface Warehouse {
  engine: Engine;
  /** the model dialect that matches the engine. */
  dialect: 'duckdb' | 'postgres';
  /** runs set-up SQL outside any batch. */
  exec(...statements: string[]): Promise<void>;
  rows(sql: string): Promise<MetadataRow[]>;
  close(): Promise<void>;
}

export const WAREHOUSES = ['duckdb', 'postgres'] as const;

export async function openWarehouse(type: (typeof WAREHOUSES)[number], label: string): Promise<Warehouse> {
  const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
  if (type === 'duckdb') {
    const dir = mkdtempSync(join(tmpdir(), `sluice-${label}-`));
    const engine = createEngine(
      'local',
      { type: 'duckdb', database: join(dir, 'warehouse.duckdb') },
      { baseDir: dir },
    );
    return warehouse(engine, 'duckdb', async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    });
  }
  const database = `sluice_${label}_${suffix}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${database}"`);
  const url = new URL(TEST_DATABASE_URL);
  const engine = createEngine(
    'warehouse',
    {
      type: 'postgres',
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      password: decodeURIComponent(url.password),
      database,
      sslmode: 'disable',
    },
    { baseDir: tmpdir() },
  );
  return warehouse(engine, 'postgres', async () => {
    await engine.close();
    await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  });
}

function warehouse(engine: Engine, dialect: Warehouse['dialect'], close: () => Promise<void>): Warehouse {
  return {
    engine,
    dialect,
    async exec(...statements) {
      await engine.runInTransaction(statements.map((sql) => ({ sql })));
    },
    rows: (sql) => engine.queryRows(sql, 10_000),
    close,
  };
}
