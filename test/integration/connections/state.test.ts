import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { keyringOf } from '../../../crypto/keyring.ts';
import { open, seal } from '../../../crypto/sealed.ts';
import { connections } from '../../../db/schema.ts';
import {
  deleteConnection,
  getConnection,
  listConnections,
  resealConnections,
  sealedConnections,
  upsertConnection,
} from '../../../state/index.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';

const PASSWORD = 'state-test-pa55word';
const oldKey = keyringOf(randomBytes(32), 'old');
const newKey = keyringOf(randomBytes(32), 'new');

const settings = (host: string) =>
  JSON.stringify({ type: 'postgres', host, database: 'analytics', user: 'sluice', password: PASSWORD });

describe.each(DRIVERS)('connection state on %s', (driver) => {
  const state = useStateDb(driver, 'connections_state');

  beforeEach(async () => {
    await state.db.execute(sql`truncate sluice.connections`);
  });

  it('stores a sealed connection, lists it without the sealed value, and replaces it keeping its creator', async () => {
    const sealed = seal(oldKey, settings('db-1.internal'), 'warehouse');
    const first = await upsertConnection(state.db, {
      gateway: 'warehouse',
      type: 'postgres',
      host: 'db-1.internal',
      sealed,
      actor: 'ana',
      testedAt: '2026-01-02T03:04:05.000Z',
      testMs: 12,
      at: '2026-01-02T03:04:06.000Z',
    });
    expect(first.created).toBe(true);
    expect(first.connection).toEqual({
      gateway: 'warehouse',
      type: 'postgres',
      host: 'db-1.internal',
      sealed,
      keyId: 'old',
      createdAt: '2026-01-02T03:04:06.000Z',
      updatedAt: '2026-01-02T03:04:06.000Z',
      createdBy: 'ana',
      updatedBy: 'ana',
      lastTestedAt: '2026-01-02T03:04:05.000Z',
      lastTestMs: 12,
    });
    const rows = await state.db.select().from(connections);
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
    expect(open(oldKey, rows[0]!.sealed, 'warehouse').toString()).toBe(settings('db-1.internal'));

    const replacement = seal(oldKey, settings('db-2.internal'), 'warehouse');
    const second = await upsertConnection(state.db, {
      gateway: 'warehouse',
      type: 'postgres',
      host: 'db-2.internal',
      sealed: replacement,
      actor: 'ben',
      testMs: 30,
      at: '2026-01-03T00:00:00.000Z',
    });
    expect(second.created).toBe(false);
    expect(second.connection).toMatchObject({
      host: 'db-2.internal',
      sealed: replacement,
      createdBy: 'ana',
      createdAt: '2026-01-02T03:04:06.000Z',
      updatedBy: 'ben',
      updatedAt: '2026-01-03T00:00:00.000Z',
      lastTestMs: 30,
    });

    await upsertConnection(state.db, {
      gateway: 'local',
      type: 'duckdb',
      host: 'warehouse.duckdb',
      sealed: seal(oldKey, '{"type":"duckdb"}', 'local'),
      actor: 'ana',
    });
    const listed = await listConnections(state.db);
    expect(listed.map((c) => c.gateway)).toEqual(['local', 'warehouse']);
    for (const item of listed) expect(item).not.toHaveProperty('sealed');
    expect([...(await sealedConnections(state.db)).keys()].sort()).toEqual(['local', 'warehouse']);
    expect((await sealedConnections(state.db)).get('warehouse')).toEqual(replacement);
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const sealed = seal(oldKey, settings('h'), 'warehouse');
    const base = { gateway: 'warehouse', type: 'postgres' as const, host: 'h', sealed, actor: 'ana' };
    await expect(upsertConnection(state.db, { ...base, gateway: 'Warehouse' })).rejects.toThrow(
      /^gateway must be a lower-case gateway name .* \(got "Warehouse"\)$/,
    );
    await expect(upsertConnection(state.db, { ...base, type: 'mysql' as never })).rejects.toThrow(
      'type must be one of postgres, duckdb (got "mysql")',
    );
    await expect(upsertConnection(state.db, { ...base, sealed: { ...sealed, tag: '' } })).rejects.toThrow(
      'sealed must be a sealed value (v: 1, keyId, iv, data and tag)',
    );
    await expect(upsertConnection(state.db, { ...base, actor: '' })).rejects.toThrow(
      'actor must be a non-empty string',
    );
    await expect(upsertConnection(state.db, { ...base, testMs: -1 })).rejects.toThrow(
      'testMs must be at least 0 (got -1)',
    );
    expect(await listConnections(state.db)).toEqual([]);
    await expect(getConnection(state.db, 'no such')).rejects.toThrow(/^gateway must be a lower-case/);
  });

  it('keeps key_id equal to the sealed value key at the database level too', async () => {
    const sealed = seal(oldKey, settings('h'), 'warehouse');
    await expect(
      state.db.insert(connections).values({
        gateway: 'warehouse',
        type: 'postgres',
        sealed,
        keyId: 'another',
        createdBy: 'ana',
        updatedBy: 'ana',
      }),
    ).rejects.toThrow();
    expect(await listConnections(state.db)).toEqual([]);
  });

  it('deletes one connection and says when there was none', async () => {
    await upsertConnection(state.db, {
      gateway: 'warehouse',
      type: 'postgres',
      host: 'h',
      sealed: seal(oldKey, settings('h'), 'warehouse'),
      actor: 'ana',
    });
    const removed = await deleteConnection(state.db, 'warehouse');
    expect(removed).toMatchObject({ gateway: 'warehouse', keyId: 'old' });
    expect(removed).not.toHaveProperty('sealed');
    expect(await deleteConnection(state.db, 'warehouse')).toBeNull();
    expect(await getConnection(state.db, 'warehouse')).toBeNull();
  });

  it('re-seals every connection in one transaction, or none when one of them fails', async () => {
    for (const gateway of ['alpha', 'beta', 'gamma']) {
      await upsertConnection(state.db, {
        gateway,
        type: 'postgres',
        host: gateway,
        sealed: seal(gateway === 'gamma' ? newKey : oldKey, settings(gateway), gateway),
        actor: 'ana',
      });
    }
    const before = await state.db.select().from(connections);

    const failing = resealConnections(
      state.db,
      (connection) => {
        if (connection.gateway === 'beta') throw new Error('beta cannot be opened');
        return seal(newKey, open(oldKey, connection.sealed, connection.gateway), connection.gateway);
      },
      { actor: 'ops' },
    );
    await expect(failing).rejects.toThrow('beta cannot be opened');
    expect(await state.db.select().from(connections)).toEqual(before);

    const changed = await resealConnections(
      state.db,
      (connection) =>
        connection.keyId === 'new'
          ? undefined
          : seal(newKey, open(oldKey, connection.sealed, connection.gateway), connection.gateway),
      { actor: 'ops', at: '2026-02-01T00:00:00.000Z' },
    );
    expect(changed).toEqual([
      { gateway: 'alpha', fromKeyId: 'old', toKeyId: 'new' },
      { gateway: 'beta', fromKeyId: 'old', toKeyId: 'new' },
    ]);
    for (const gateway of ['alpha', 'beta', 'gamma']) {
      const stored = (await getConnection(state.db, gateway))!;
      expect(stored.keyId).toBe('new');
      expect(open(newKey, stored.sealed, gateway).toString()).toBe(settings(gateway));
    }
    expect((await getConnection(state.db, 'alpha'))!).toMatchObject({
      updatedBy: 'ops',
      updatedAt: '2026-02-01T00:00:00.000Z',
      createdBy: 'ana',
    });
    expect((await getConnection(state.db, 'gamma'))!.updatedBy).toBe('ana');
  });
});
