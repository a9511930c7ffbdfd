import { describe, expect, it } from 'vitest';
import { snapshots } from '../../../db/schema.ts';
import { environmentsMapping, promoteEnvironment } from '../../../state/environments.ts';
import { completedIntervals, recordIntervals } from '../../../state/intervals.ts';
import {
  deleteSnapshots,
  getSnapshotPlacements,
  getSnapshots,
  parseSnapshotId,
  type SnapshotInput,
  snapshotId,
  unreferencedSnapshots,
  upsertSnapshots,
} from '../../../state/snapshots.ts';
import { DRIVERS, useStateDb } from './harness.ts';
import { snapshotInput } from './snapshot-fixtures.ts';

describe('snapshot ids', () => {
  it('join the model name and the fingerprint and split back at the last @', () => {
    expect(snapshotId('db.orders', 'abc123')).toBe('db.orders@abc123');
    expect(parseSnapshotId('db.orders@abc123')).toEqual({ name: 'db.orders', fingerprint: 'abc123' });
    expect(() => parseSnapshotId('db.orders')).toThrow(
      'snapshot id must look like <model name>@<fingerprint> (got "db.orders")',
    );
    expect(() => parseSnapshotId('db.orders@')).toThrow('snapshot id must look like');
  });
});

describe.each(DRIVERS)('snapshots on %s', (driver) => {
  const state = useStateDb(driver, 'snapshots');

  it('stores more snapshots at once than one statement binds parameters for (a 6,000-model plan)', async () => {
    const many = Array.from({ length: 6_000 }, (_, i) =>
      snapshotInput(
        `db.m${i}`,
        `f${i}`,
        i === 0 ? {} : { parents: [snapshotId(`db.m${i - 1}`, `f${i - 1}`)] },
      ),
    );
    const stored = await upsertSnapshots(state.db, many);
    expect(stored.inserted).toHaveLength(6_000);
    expect((await upsertSnapshots(state.db, many)).existing).toHaveLength(6_000);
    expect(await getSnapshots(state.db, [snapshotId('db.m5999', 'f5999')])).toHaveLength(1);
  });

  it('reads where snapshots are without their definitions, in the order asked for', async () => {
    const raw = snapshotInput('db.raw', 'r1');
    const orders = snapshotInput('db.orders', 'o1', { parents: ['db.raw@r1'] });
    await upsertSnapshots(state.db, [raw, orders]);
    const placements = await getSnapshotPlacements(state.db, ['db.orders@o1', 'db.unknown@x', 'db.raw@r1']);
    const whole = await getSnapshots(state.db, ['db.orders@o1', 'db.raw@r1']);
    expect(placements).toEqual(
      whole.map(({ id, name, fingerprint, kind, gateway, physicalSchema, physicalTable }) => ({
        id,
        name,
        fingerprint,
        kind,
        gateway,
        physicalSchema,
        physicalTable,
      })),
    );
    expect(await getSnapshotPlacements(state.db, [])).toEqual([]);
  });

  it('stores new snapshots and treats an identical one as already there', async () => {
    const raw = snapshotInput('db.raw', 'r1');
    const orders = snapshotInput('db.orders', 'o1', { parents: ['db.raw@r1'] });
    expect(await upsertSnapshots(state.db, [orders, raw])).toEqual({
      inserted: ['db.orders@o1', 'db.raw@r1'],
      existing: [],
    });
    const reordered: SnapshotInput = {
      ...orders,
      definition: Object.fromEntries(
        Object.entries(orders.definition).reverse(),
      ) as SnapshotInput['definition'],
    };
    expect(await upsertSnapshots(state.db, [reordered, snapshotInput('db.items', 'i1')])).toEqual({
      inserted: ['db.items@i1'],
      existing: ['db.orders@o1'],
    });
    const [stored] = await getSnapshots(state.db, ['db.orders@o1']);
    expect(stored).toMatchObject({
      id: 'db.orders@o1',
      name: 'db.orders',
      fingerprint: 'o1',
      metadataHash: 'meta-o1',
      kind: 'INCREMENTAL_BY_TIME_RANGE',
      parents: ['db.raw@r1'],
      physicalSchema: 'sluice__db',
      physicalTable: 'db__orders__o1',
      gateway: 'local',
      query: orders.query,
    });
    expect(stored?.definition).toEqual(orders.definition);
    expect(new Date(stored!.createdAt).toISOString()).toBe(stored!.createdAt);
  });

  it('refuses a different snapshot under an existing id and leaves the stored one alone', async () => {
    await upsertSnapshots(state.db, [snapshotInput('db.orders', 'o1')]);
    const changed = snapshotInput('db.orders', 'o1', { query: 'SELECT 2 AS id' });
    await expect(upsertSnapshots(state.db, [snapshotInput('db.other', 'x1'), changed])).rejects.toThrow(
      'snapshot "db.orders@o1" is already stored with a different query',
    );
    expect((await state.db.select().from(snapshots)).map((row) => row.id)).toEqual(['db.orders@o1']);
    await expect(
      upsertSnapshots(state.db, [
        snapshotInput('db.a', '1'),
        snapshotInput('db.a', '1', { query: 'SELECT 3' }),
      ]),
    ).rejects.toThrow('snapshots[1]: snapshot "db.a@1" appears twice with different content');
  });

  it('requires every parent to be stored or stored with it', async () => {
    await expect(
      upsertSnapshots(state.db, [snapshotInput('db.orders', 'o1', { parents: ['db.raw@missing'] })]),
    ).rejects.toThrow('snapshot "db.orders@o1" has unknown parent "db.raw@missing"');
    expect(await state.db.select().from(snapshots)).toEqual([]);
    await upsertSnapshots(state.db, [snapshotInput('db.raw', 'r1')]);
    expect(
      await upsertSnapshots(state.db, [snapshotInput('db.orders', 'o1', { parents: ['db.raw@r1'] })]),
    ).toEqual({ inserted: ['db.orders@o1'], existing: [] });
  });

  it('names the bad field of a bad snapshot', async () => {
    const base = snapshotInput('db.orders', 'o1');
    await expect(upsertSnapshots(state.db, [{ ...base, kind: 'TABLE' as never }])).rejects.toThrow(
      'snapshots[0].kind must be one of VIEW, FULL, INCREMENTAL_BY_TIME_RANGE, INCREMENTAL_BY_UNIQUE_KEY, SEED, EMBEDDED (got "TABLE")',
    );
    await expect(upsertSnapshots(state.db, [{ ...base, fingerprint: 'a@b' }])).rejects.toThrow(
      'snapshots[0].fingerprint must not contain "@" or spaces (got "a@b")',
    );
    await expect(upsertSnapshots(state.db, [{ ...base, name: 'db.customers' }])).rejects.toThrow(
      'snapshots[0].definition.name must equal the snapshot name "db.customers" (got "db.orders")',
    );
    await expect(upsertSnapshots(state.db, [{ ...base, kind: 'FULL' }])).rejects.toThrow(
      'snapshots[0].definition.kind.name must equal the snapshot kind "FULL" (got "INCREMENTAL_BY_TIME_RANGE")',
    );
    await expect(upsertSnapshots(state.db, [{ ...base, query: '  ' }])).rejects.toThrow(
      'snapshots[0].query must be the non-empty query text',
    );
    await expect(upsertSnapshots(state.db, [{ ...base, parents: ['db.orders@o1'] }])).rejects.toThrow(
      'snapshots[0].parents[0] must not be the snapshot itself',
    );
    await expect(upsertSnapshots(state.db, [{ ...base, gateway: '' }])).rejects.toThrow(
      'snapshots[0].gateway must be a non-empty string (got "")',
    );
    expect(await state.db.select().from(snapshots)).toEqual([]);
  });

  it('gets snapshots in the order asked, leaving out unknown ids', async () => {
    await upsertSnapshots(state.db, [snapshotInput('db.a', '1'), snapshotInput('db.b', '2')]);
    const found = await getSnapshots(state.db, ['db.b@2', 'db.zz@9', 'db.a@1', 'db.b@2']);
    expect(found.map((snapshot) => snapshot.id)).toEqual(['db.b@2', 'db.a@1']);
    expect(await getSnapshots(state.db, [])).toEqual([]);
  });

  it('lists the snapshots no environment uses (of some models) and deletes only those', async () => {
    await upsertSnapshots(state.db, [
      snapshotInput('db.a', '1'),
      snapshotInput('db.a', '2'),
      snapshotInput('db.b', '1'),
    ]);
    await promoteEnvironment(state.db, 'prod', { 'db.a': 'db.a@2', 'db.b': 'db.b@1' }, null);
    await promoteEnvironment(state.db, 'dev', { 'db.b': 'db.b@1' }, null);
    await recordIntervals(state.db, 'db.a@1', [[0, 10]]);

    expect((await unreferencedSnapshots(state.db)).map((snapshot) => snapshot.id)).toEqual(['db.a@1']);
    expect(await unreferencedSnapshots(state.db, { createdBefore: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect(
      (await unreferencedSnapshots(state.db, { names: ['db.a'] })).map((snapshot) => snapshot.id),
    ).toEqual(['db.a@1']);
    expect(await unreferencedSnapshots(state.db, { names: ['db.b'] })).toEqual([]);
    expect(await unreferencedSnapshots(state.db, { names: [] })).toEqual([]);
    await expect(unreferencedSnapshots(state.db, { names: [''] })).rejects.toThrow('names[0]');
    expect(await environmentsMapping(state.db, ['db.b'])).toEqual(['dev', 'prod']);
    expect(await environmentsMapping(state.db, ['db.a', 'db.nothing'])).toEqual(['prod']);
    expect(await environmentsMapping(state.db, [])).toEqual([]);
    expect(
      (await unreferencedSnapshots(state.db, { createdBefore: Date.now() + 60_000 })).map(
        (snapshot) => snapshot.id,
      ),
    ).toEqual(['db.a@1']);

    await expect(deleteSnapshots(state.db, ['db.a@1', 'db.b@1'])).rejects.toThrow(
      'snapshot "db.b@1" is still used by environment "dev" (model db.b); it cannot be deleted',
    );
    expect(await getSnapshots(state.db, ['db.a@1'])).toHaveLength(1);
    expect(await deleteSnapshots(state.db, ['db.a@1', 'db.gone@0'])).toEqual({ deleted: ['db.a@1'] });
    expect(await completedIntervals(state.db, ['db.a@1'])).toEqual({ 'db.a@1': [] });
    expect(await unreferencedSnapshots(state.db)).toEqual([]);
  });
});
