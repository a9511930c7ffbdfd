import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SchedulerActivities } from '../../../activities/contracts.ts';
import {
  type EnvironmentModels,
  EnvironmentModelsCache,
  loadEnvironmentModels,
} from '../../../activities/scheduler/environment-models.ts';
import { createSchedulerActivities } from '../../../activities/scheduler/index.ts';
import { PlanCache, type StoredPlan } from '../../../activities/scheduler/plan-cache.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { enginesFor } from '../plan/support.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';
import { createSchedulerProject, type SchedulerProject } from './project.ts';
import { applyPlan } from './support.ts';

describe.each(DRIVERS)('the environment models the scheduler loads (state on %s)', (driver) => {
  const state = useStateDb(driver, 'environment_models');
  let project: SchedulerProject;
  let engines: EnginePool;
  let activities: SchedulerActivities;

  beforeEach(() => {
    project = createSchedulerProject();
    engines = enginesFor(project.load());
    activities = createSchedulerActivities({ db: state.db });
  });

  afterEach(async () => {
    await engines.closeAll();
    project.dispose();
  });

  const applyProd = () => applyPlan(state.db, activities, engines, project.load(), 'prod');

  /** The models as loaded without a cache, from a plan cache of their own. */
  const fresh = () => loadEnvironmentModels(state.db, new PlanCache(state.db), 'prod');

  it('gives the models loaded last again until a plan changes the map or the promoting plan', async () => {
    await applyProd();
    const plans = new PlanCache(state.db);
    const cache = new EnvironmentModelsCache();
    const first = await loadEnvironmentModels(state.db, plans, 'prod', cache);
    expect(first.models.map((m) => m.name)).toEqual([
      'mart.factor',
      'ref.labels',
      'src.events',
      'mart.daily',
      'mart.totals',
      'mart.latest',
    ]);
    expect(await loadEnvironmentModels(state.db, plans, 'prod', cache)).toBe(first);
    expect(await fresh()).toEqual(first);

    // a metadata change: the same snapshots, promoted by another plan
    project.write(
      'models/totals.sql',
      'MODEL (\n  name mart.totals,\n  kind FULL,\n  owner ana\n);\n\nSELECT count(*) AS days, sum(v) * (SELECT factor FROM mart.factor) AS total\nFROM src.events\n',
    );
    await applyProd();
    const owned = await loadEnvironmentModels(state.db, plans, 'prod', cache);
    expect(owned).not.toBe(first);
    expect(owned.byName.get('mart.totals')!.snapshotId).toBe(first.byName.get('mart.totals')!.snapshotId);
    expect(owned.byName.get('mart.totals')!.model.owner).toBe('ana');
    expect(await fresh()).toEqual(owned);

    // a changed query: a new snapshot for the model and those downstream of it
    project.write(
      'models/latest.sql',
      'MODEL (\n  name mart.latest,\n  kind VIEW\n);\n\nSELECT max(ds) AS last_day FROM src.events\n',
    );
    await applyProd();
    const changed = await loadEnvironmentModels(state.db, plans, 'prod', cache);
    expect(changed).not.toBe(owned);
    expect(changed.byName.get('mart.latest')!.snapshotId).not.toBe(
      owned.byName.get('mart.latest')!.snapshotId,
    );
    expect(changed.tables['mart.latest']).not.toBe(owned.tables['mart.latest']);
    expect(await fresh()).toEqual(changed);
    expect(await loadEnvironmentModels(state.db, plans, 'prod', cache)).toBe(changed);
  });

  it('renders a definition for every model: from the plan that promoted the environment, else its snapshot', async () => {
    await applyProd();
    const env = await fresh();
    for (const entry of env.models) {
      expect(entry.model.name).toBe(entry.name);
      expect(env.definitions.get(entry.name)).toBe(entry.model);
    }
    expect([...env.definitions.keys()]).toEqual(env.models.map((m) => m.name));
    // a plan cache that finds no plan: every definition comes from the stored snapshots
    const none = { get: async () => null } as unknown as PlanCache;
    const fromSnapshots = await loadEnvironmentModels(state.db, none, 'prod');
    expect(fromSnapshots.tables).toEqual(env.tables);
    expect(fromSnapshots.models.map((m) => [m.name, m.snapshotId, m.gateway, m.fingerprint])).toEqual(
      env.models.map((m) => [m.name, m.snapshotId, m.gateway, m.fingerprint]),
    );
    expect(fromSnapshots.byName.get('mart.daily')!.model.query).toBe(
      env.byName.get('mart.daily')!.model.query,
    );
  });
});

describe('the environment models cache', () => {
  const plan = (id: string) => ({ id }) as StoredPlan;
  const models = (environment: string) => ({ environment }) as EnvironmentModels;

  it('finds an entry for an equal map and the same plan object only', () => {
    const cache = new EnvironmentModelsCache();
    const p1 = plan('p1');
    const kept = models('prod');
    cache.keep('prod', { a: 'a@1', b: 'b@1' }, p1, kept);
    expect(cache.find('prod', { b: 'b@1', a: 'a@1' }, p1)).toBe(kept);
    expect(cache.find('prod', { a: 'a@1', b: 'b@2' }, p1)).toBeUndefined();
    expect(cache.find('prod', { a: 'a@1' }, p1)).toBeUndefined();
    expect(cache.find('prod', { a: 'a@1', c: 'b@1' }, p1)).toBeUndefined();
    expect(cache.find('prod', { a: 'a@1', b: 'b@1' }, plan('p1'))).toBeUndefined();
    expect(cache.find('prod', { a: 'a@1', b: 'b@1' }, null)).toBeUndefined();
    expect(cache.find('dev', { a: 'a@1', b: 'b@1' }, p1)).toBeUndefined();
    cache.keep('dev', {}, null, models('dev'));
    expect(cache.find('dev', {}, null)?.environment).toBe('dev');
  });

  it('keeps the environments used last', () => {
    const cache = new EnvironmentModelsCache(2);
    for (const name of ['a', 'b']) cache.keep(name, { m: name }, null, models(name));
    expect(cache.find('a', { m: 'a' }, null)?.environment).toBe('a');
    cache.keep('c', { m: 'c' }, null, models('c'));
    expect(cache.find('b', { m: 'b' }, null)).toBeUndefined();
    expect(cache.find('a', { m: 'a' }, null)?.environment).toBe('a');
    expect(cache.find('c', { m: 'c' }, null)?.environment).toBe('c');
  });
});
