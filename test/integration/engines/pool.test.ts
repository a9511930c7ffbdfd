import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConnection } from '../../../core/project/types.ts';
import { EngineConfigError, RetryableEngineError, UnknownGatewayError } from '../../../engines/errors.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';

const url = new URL(TEST_DATABASE_URL);
const schema = `sluice_engine_pool_${process.pid}_${randomBytes(4).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'sluice-engine-pool-'));
const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });

const gateways: Record<string, GatewayConnection> = {
  local: { type: 'duckdb', database: 'shared.duckdb' },
  local_alias: { type: 'duckdb', database: './shared.duckdb', concurrent_tasks: 4 },
  warehouse: {
    type: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1) || 'postgres',
    schema,
    sslmode: 'disable',
    concurrent_tasks: 2,
  },
};

beforeAll(async () => {
  await admin.unsafe(`CREATE SCHEMA "${schema}"`);
});

afterAll(async () => {
  await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  rmSync(root, { recursive: true, force: true });
});

describe('engine pool', () => {
  it('creates one engine per gateway on first use and reuses it', async () => {
    const pool = new EnginePool(gateways, { baseDir: root });
    try {
      expect(pool.gateways).toEqual(['local', 'local_alias', 'warehouse']);
      const warehouse = pool.get('warehouse');
      expect(pool.get('warehouse')).toBe(warehouse);
      expect(warehouse.type).toBe('postgres');
      expect(warehouse.gateway).toBe('warehouse');
      await warehouse.runInTransaction([{ sql: 'CREATE TABLE pooled AS SELECT 1 AS id' }]);
      expect(await pool.get('warehouse').queryScalar('SELECT count(*) FROM pooled')).toBe(1);
      expect(pool.get('local').type).toBe('duckdb');
      expect(pool.get('local')).not.toBe(pool.get('local_alias'));
    } finally {
      await pool.closeAll();
    }
  });

  it('shares one DuckDB database between gateways that name the same file', async () => {
    const pool = new EnginePool(gateways, { baseDir: root });
    try {
      await pool
        .get('local')
        .runInTransaction([{ sql: 'CREATE TABLE shared_rows AS SELECT range AS id FROM range(3)' }]);
      expect(await pool.get('local_alias').queryScalar('SELECT count(*) FROM shared_rows')).toBe(3);
      await pool.get('local').close();
      // the other gateway still holds the database open
      expect(await pool.get('local_alias').queryScalar('SELECT count(*) FROM shared_rows')).toBe(3);
    } finally {
      await pool.closeAll();
    }
  });

  it('names the unknown gateway and the configured ones', () => {
    const pool = new EnginePool(gateways, { baseDir: root });
    let error: unknown;
    try {
      pool.get('lake');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnknownGatewayError);
    expect((error as UnknownGatewayError).message).toBe(
      'gateway "lake" is not configured on this executor (configured gateways: "local", "local_alias", "warehouse")',
    );
    expect((error as UnknownGatewayError).retryable).toBe(false);
    expect(pool.has('lake')).toBe(false);
    expect(pool.has('local')).toBe(true);
  });

  it('validates every gateway when it is built', () => {
    expect(
      () =>
        new EnginePool(
          { ...gateways, broken: { type: 'postgres', host: 'db', port: 'abc', user: 'u', database: 'd' } },
          { baseDir: root },
        ),
    ).toThrow(new EngineConfigError('broken', 'port', 'must be an integer, got "abc"'));
    expect(() => new EnginePool({ odd: { type: 'oracle' as never } }, { baseDir: root })).toThrow(
      'gateway "odd": type: unsupported engine type "oracle"; expected one of duckdb, postgres',
    );
  });

  it('closes every engine and refuses engines afterwards', async () => {
    const pool = new EnginePool(gateways, { baseDir: root });
    const warehouse = pool.get('warehouse');
    const local = pool.get('local');
    await warehouse.ping();
    await local.ping();
    await pool.closeAll();
    expect(() => pool.get('warehouse')).toThrow(RetryableEngineError);
    await expect(warehouse.ping()).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
    await expect(local.ping()).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
    // the DuckDB file was released: a new pool opens it again
    const reopened = new EnginePool(gateways, { baseDir: root });
    try {
      await reopened.get('local').ping();
    } finally {
      await reopened.closeAll();
    }
  });
});
