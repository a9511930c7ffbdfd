// EnginePool.update: a gateway whose settings change gets a new engine for new work, while work
// holding a lease on the old engine finishes on it; the old engine closes when the last lease is
// released. Invalid settings change nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayConnection } from '../../../core/project/types.ts';
import type { Engine } from '../../../engines/engine.ts';
import { EngineConfigError, UnknownGatewayError } from '../../../engines/errors.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';
import { waitUntil } from '../../support/waiting.ts';

const url = new URL(TEST_DATABASE_URL);
const root = mkdtempSync(join(tmpdir(), 'sluice-pool-update-'));

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function warehouse(application: string, extra: Record<string, unknown> = {}): GatewayConnection {
  return {
    type: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    database: url.pathname.slice(1) || 'postgres',
    sslmode: 'disable',
    application_name: application,
    ...extra,
  } as GatewayConnection;
}

const local: GatewayConnection = { type: 'duckdb', database: 'local.duckdb' };

async function closed(engine: Engine): Promise<boolean> {
  try {
    await engine.ping();
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ENGINE_CLOSED';
  }
}

describe('EnginePool.update', () => {
  it('keeps engines whose settings did not change', async () => {
    const pool = new EnginePool({ warehouse: warehouse('pool_same'), local }, { baseDir: root });
    try {
      const engine = pool.get('warehouse');
      expect(pool.update({ local: { ...local }, warehouse: warehouse('pool_same') })).toEqual({
        added: [],
        changed: [],
        removed: [],
      });
      expect(pool.get('warehouse')).toBe(engine);
      expect(await closed(engine)).toBe(false);
    } finally {
      await pool.closeAll();
    }
  });

  it('gives new work a new engine and closes the old one when its last lease is released', async () => {
    const pool = new EnginePool({ warehouse: warehouse('pool_before'), local }, { baseDir: root });
    try {
      const held = pool.acquire('warehouse');
      const alsoHeld = pool.acquire('warehouse');
      expect(alsoHeld.engine).toBe(held.engine);
      const idle = pool.get('local');
      expect(
        pool.update({
          warehouse: warehouse('pool_after', { password: 'rotated' }),
          local: { ...local, database: 'other.duckdb' },
        }),
      ).toEqual({ added: [], changed: ['local', 'warehouse'], removed: [] });

      const fresh = pool.acquire('warehouse');
      expect(fresh.engine).not.toBe(held.engine);
      expect(await fresh.engine.queryScalar("SELECT current_setting('application_name')")).toBe('pool_after');
      // the work holding the old engine carries on with it
      expect(await held.engine.queryScalar("SELECT current_setting('application_name')")).toBe('pool_before');
      // an engine nobody held closes at once
      await waitUntil(() => closed(idle));

      held.release();
      held.release();
      expect(await closed(held.engine)).toBe(false);
      alsoHeld.release();
      await waitUntil(() => closed(alsoHeld.engine));
      expect(await closed(fresh.engine)).toBe(false);
      fresh.release();
      expect(await closed(fresh.engine)).toBe(false);
    } finally {
      await pool.closeAll();
    }
  });

  it('changes nothing when a gateway is invalid, and stops serving removed gateways', async () => {
    const pool = new EnginePool({ warehouse: warehouse('pool_removed'), local }, { baseDir: root });
    try {
      const engine = pool.get('warehouse');
      expect(() =>
        pool.update({ warehouse: warehouse('pool_removed', { port: 'many' }), lake: { type: 'duckdb' } }),
      ).toThrow(new EngineConfigError('warehouse', 'port', 'must be an integer, got "many"'));
      expect(pool.gateways).toEqual(['local', 'warehouse']);
      expect(pool.get('warehouse')).toBe(engine);

      expect(pool.update({ local, lake: { type: 'duckdb', database: ':memory:' } })).toEqual({
        added: ['lake'],
        changed: [],
        removed: ['warehouse'],
      });
      expect(pool.gateways).toEqual(['lake', 'local']);
      expect(pool.has('warehouse')).toBe(false);
      expect(() => pool.acquire('warehouse')).toThrow(UnknownGatewayError);
      await waitUntil(() => closed(engine));
      await pool.get('lake').ping();
    } finally {
      await pool.closeAll();
    }
  });

  it('closes retired engines still leased when the pool closes, and refuses updates afterwards', async () => {
    const pool = new EnginePool({ warehouse: warehouse('pool_close') }, { baseDir: root });
    const held = pool.acquire('warehouse');
    await held.engine.ping();
    pool.update({ warehouse: warehouse('pool_close_2') });
    await pool.closeAll();
    expect(await closed(held.engine)).toBe(true);
    held.release();
    expect(() => pool.update({ warehouse: warehouse('pool_close_3') })).toThrow(/closed/);
  });

  it('gives DuckDB gateways the memory limit on reload too', async () => {
    const pool = new EnginePool(
      { lake: { type: 'duckdb', database: ':memory:' } },
      { baseDir: root, maxMemoryMb: 128 },
    );
    try {
      expect(await pool.get('lake').queryScalar("SELECT current_setting('memory_limit')")).toBe('128.0 MiB');
      pool.update({ lake: { type: 'duckdb', database: ':memory:', connector_config: { threads: 1 } } });
      expect(await pool.get('lake').queryScalar("SELECT current_setting('memory_limit')")).toBe('128.0 MiB');
      pool.update({
        lake: { type: 'duckdb', database: ':memory:', connector_config: { MAX_MEMORY: '256MiB' } },
      });
      expect(await pool.get('lake').queryScalar("SELECT current_setting('memory_limit')")).toBe('256.0 MiB');
    } finally {
      await pool.closeAll();
    }
  });
});
