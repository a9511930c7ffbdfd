import { describe, expect, it } from 'vitest';
import {
  deleteEnvironment,
  environmentSnapshotMap,
  getEnvironment,
  listEnvironments,
  promoteEnvironment,
} from '../../../state/environments.ts';
import { createPlan } from '../../../state/plans.ts';
import { unreferencedSnapshots, upsertSnapshots } from '../../../state/snapshots.ts';
import { DRIVERS, useStateDb } from './harness.ts';
import { snapshotInput } from './snapshot-fixtures.ts';

describe.each(DRIVERS)('environments on %s', (driver) => {
  const state = useStateDb(driver, 'environments');

  async function seed() {
    await upsertSnapshots(state.db, [
      snapshotInput('db.a', '1'),
      snapshotInput('db.a', '2'),
      snapshotInput('db.b', '1'),
      snapshotInput('db.c', '1'),
    ]);
    await createPlan(state.db, { id: 'plan-1', environment: 'prod', diff: {}, submittedBy: 'ana' });
    await createPlan(state.db, { id: 'plan-2', environment: 'prod', diff: {}, submittedBy: 'ana' });
  }

  it('creates an environment on its first promotion and replaces the whole map on the next', async () => {
    await seed();
    expect(await getEnvironment(state.db, 'prod')).toBeNull();
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual({});

    const created = await promoteEnvironment(
      state.db,
      'prod',
      { 'db.a': 'db.a@1', 'db.b': 'db.b@1' },
      'plan-1',
    );
    expect(created).toMatchObject({ name: 'prod', planId: 'plan-1', modelCount: 2, expiresAt: null });
    expect(created.finalizedAt).toBe(created.updatedAt);
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual({ 'db.a': 'db.a@1', 'db.b': 'db.b@1' });

    const promoted = await promoteEnvironment(
      state.db,
      'prod',
      { 'db.a': 'db.a@2', 'db.c': 'db.c@1' },
      'plan-2',
    );
    expect(promoted).toMatchObject({ planId: 'plan-2', modelCount: 2, createdAt: created.createdAt });
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual({ 'db.a': 'db.a@2', 'db.c': 'db.c@1' });

    await promoteEnvironment(state.db, 'empty', {}, null);
    expect(await getEnvironment(state.db, 'empty')).toMatchObject({ modelCount: 0, planId: null });
    expect((await listEnvironments(state.db)).map((env) => [env.name, env.modelCount])).toEqual([
      ['empty', 0],
      ['prod', 2],
    ]);
  });

  it('leaves the old map in place when the promotion fails part way', async () => {
    await seed();
    await promoteEnvironment(state.db, 'prod', { 'db.a': 'db.a@1', 'db.b': 'db.b@1' }, 'plan-1');
    const before = await getEnvironment(state.db, 'prod');

    await expect(
      promoteEnvironment(state.db, 'prod', { 'db.a': 'db.a@2', 'db.c': 'db.c@404' }, 'plan-2'),
    ).rejects.toThrow('environment "prod" cannot be promoted: unknown snapshot "db.c@404" (model db.c)');
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual({ 'db.a': 'db.a@1', 'db.b': 'db.b@1' });
    expect(await getEnvironment(state.db, 'prod')).toEqual(before);

    await expect(promoteEnvironment(state.db, 'prod', { 'db.a': 'db.a@2' }, 'plan-404')).rejects.toThrow(
      'environment "prod" cannot be promoted: unknown plan "plan-404"',
    );
    await expect(promoteEnvironment(state.db, 'staging', { 'db.a': 'db.a@404' }, null)).rejects.toThrow(
      'unknown snapshot "db.a@404"',
    );
    expect(await getEnvironment(state.db, 'staging')).toBeNull();
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual({ 'db.a': 'db.a@1', 'db.b': 'db.b@1' });
  });

  it('never mixes two promotions that race', async () => {
    await seed();
    const first = { 'db.a': 'db.a@1', 'db.b': 'db.b@1' };
    const second = { 'db.a': 'db.a@2', 'db.c': 'db.c@1' };
    for (let round = 0; round < 5; round++) {
      await Promise.all([
        promoteEnvironment(state.db, 'prod', first, 'plan-1'),
        promoteEnvironment(state.db, 'prod', second, 'plan-2'),
      ]);
      const map = await environmentSnapshotMap(state.db, 'prod');
      const environment = await getEnvironment(state.db, 'prod');
      expect([first, second]).toContainEqual(map);
      expect(environment?.planId).toBe(map['db.b'] ? 'plan-1' : 'plan-2');
    }
  });

  it('rejects a map whose snapshot belongs to another model', async () => {
    await seed();
    await expect(promoteEnvironment(state.db, 'prod', { 'db.a': 'db.b@1' }, null)).rejects.toThrow(
      'snapshot map["db.a"] must be a snapshot of model "db.a" (got "db.b@1")',
    );
    await expect(promoteEnvironment(state.db, 'prod', { 'db.a': 'no-fingerprint' }, null)).rejects.toThrow(
      'snapshot id must look like <model name>@<fingerprint> (got "no-fingerprint")',
    );
    await expect(promoteEnvironment(state.db, '', {}, null)).rejects.toThrow(
      'environment must be a non-empty string',
    );
    await expect(promoteEnvironment(state.db, 'prod', ['db.a@1'] as never, null)).rejects.toThrow(
      'snapshot map must be an object of model name to snapshot id',
    );
    expect(await listEnvironments(state.db)).toEqual([]);
  });

  it('sets, keeps and clears the expiry', async () => {
    await seed();
    const expiresAt = '2030-01-02T03:04:05.678Z';
    expect((await promoteEnvironment(state.db, 'dev', {}, null, { expiresAt })).expiresAt).toBe(expiresAt);
    expect((await promoteEnvironment(state.db, 'dev', { 'db.a': 'db.a@1' }, null)).expiresAt).toBe(expiresAt);
    expect((await promoteEnvironment(state.db, 'dev', {}, null, { expiresAt: null })).expiresAt).toBeNull();
    await expect(promoteEnvironment(state.db, 'dev', {}, null, { expiresAt: 'soon' })).rejects.toThrow(
      'expiresAt must be a Date, an ISO-8601 timestamp or epoch milliseconds (got "soon")',
    );
  });

  it('deletes an environment with its map, freeing its snapshots for the janitor', async () => {
    await seed();
    await promoteEnvironment(state.db, 'dev', { 'db.a': 'db.a@1' }, null);
    await promoteEnvironment(state.db, 'prod', { 'db.b': 'db.b@1' }, null);
    expect((await unreferencedSnapshots(state.db)).map((snapshot) => snapshot.id)).toEqual([
      'db.a@2',
      'db.c@1',
    ]);
    expect(await deleteEnvironment(state.db, 'dev')).toBe(true);
    expect(await deleteEnvironment(state.db, 'dev')).toBe(false);
    expect(await environmentSnapshotMap(state.db, 'dev')).toEqual({});
    expect((await unreferencedSnapshots(state.db)).map((snapshot) => snapshot.id).sort()).toEqual([
      'db.a@1',
      'db.a@2',
      'db.c@1',
    ]);
  });
});
