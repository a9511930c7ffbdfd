import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorActivities } from '../../../activities/contracts.ts';
import { createExecutorActivities } from '../../../activities/executor/index.ts';
import { buildExecution } from '../../../core/execution/statements.ts';
import { physicalTable } from '../../../core/naming.ts';
import { testModel } from '../../unit/execution/model.ts';
import {
  activityEnvironment,
  type ExecutorGateways,
  GATEWAY_OF,
  GATEWAY_TYPES,
  openExecutorGateways,
} from './executor-gateways.ts';

let gateways: ExecutorGateways;
let activities: ExecutorActivities;

beforeAll(async () => {
  gateways = await openExecutorGateways('exec_views');
  activities = createExecutorActivities({ pool: gateways.pool, identity: 'apply@h:9', role: 'apply' });
});

afterAll(async () => {
  await gateways?.close();
});

describe.each(GATEWAY_TYPES)('virtual environment activities on %s', (type) => {
  const gateway = GATEWAY_OF[type];
  const engine = () => gateways.pool.get(gateway);
  const fingerprint = `v1${type}`;
  const query = 'SELECT 1 AS id, 2 AS amount';
  const requests = [
    buildExecution({ model: testModel('shop.orders', { name: 'FULL' }, query), fingerprint, query }),
    buildExecution({
      model: testModel('shop.order_view', { name: 'VIEW', materialized: false }, query),
      fingerprint,
      query,
    }),
  ];
  const orders = physicalTable('shop.orders', fingerprint);

  it('creates empty physical tables, points views at them, and drops the views', async () => {
    const { env, heartbeats } = activityEnvironment();
    await env.run(activities.createPhysicalTables, { gateway, requests });
    expect(await engine().tableExists(orders.schema, orders.table)).toBe(true);
    expect(Number(await engine().queryScalar(`SELECT count(*) FROM ${orders.qualified}`))).toBe(0);
    expect((await engine().columns(orders.schema, orders.table)).map((c) => c.name)).toEqual([
      'id',
      'amount',
    ]);
    expect(heartbeats[0]).toEqual({ executor: 'apply@h:9', gateway, phase: 'create tables', tables: 2 });

    // running it again changes nothing
    await env.run(activities.createPhysicalTables, { gateway, requests });
    await engine().runInTransaction([{ sql: `INSERT INTO ${orders.qualified} VALUES (7, 70)` }]);

    await env.run(activities.promoteViews, {
      gateway,
      environment: 'dev',
      entries: [{ model: 'shop.orders', physical: orders.qualified }],
    });
    expect(await engine().queryRows('SELECT id, amount FROM shop__dev.orders', 10)).toEqual([
      { id: 7, amount: 70 },
    ]);

    await env.run(activities.dropViews, { gateway, environment: 'dev', models: ['shop.orders'] });
    expect(await engine().columns('shop__dev', 'orders')).toEqual([]);
    // the physical table stays: only the environment's view is gone
    expect(await engine().tableExists(orders.schema, orders.table)).toBe(true);
    // dropping again is harmless
    await env.run(activities.dropViews, { gateway, environment: 'dev', models: ['shop.orders'] });
  });

  it('takes an environment down: its views, then its schemas that hold nothing else; prod is refused', async () => {
    const { env, heartbeats } = activityEnvironment();
    await env.run(activities.createPhysicalTables, { gateway, requests });
    const entries = [{ model: 'shop.orders', physical: orders.qualified }];
    await env.run(activities.promoteViews, { gateway, environment: 'pr_1', entries });
    await env.run(activities.promoteViews, { gateway, environment: 'pr_2', entries });
    await engine().runInTransaction([{ sql: 'CREATE TABLE shop__pr_2.mine (x INTEGER)' }]);
    const schemaCount = async (schema: string) =>
      Number(
        await engine().queryScalar(
          `SELECT count(*) FROM information_schema.schemata WHERE schema_name = '${schema}'`,
        ),
      );

    const gone = await env.run(activities.dropEnvironment, {
      gateway,
      environment: 'pr_1',
      models: ['shop.orders'],
    });
    expect(gone).toEqual({ schemas: ['shop__pr_1'], keptSchemas: [] });
    expect(await schemaCount('shop__pr_1')).toBe(0);
    expect(heartbeats[heartbeats.length - 1]).toMatchObject({
      phase: 'drop environment',
      environment: 'pr_1',
    });
    // again: nothing left to drop, nothing fails
    expect(
      await env.run(activities.dropEnvironment, { gateway, environment: 'pr_1', models: ['shop.orders'] }),
    ).toEqual({ schemas: ['shop__pr_1'], keptSchemas: [] });

    // a schema holding someone else's table keeps it, and says so
    const kept = await env.run(activities.dropEnvironment, {
      gateway,
      environment: 'pr_2',
      models: ['shop.orders'],
    });
    expect(kept).toEqual({ schemas: [], keptSchemas: ['shop__pr_2'] });
    expect(await engine().columns('shop__pr_2', 'orders')).toEqual([]);
    expect(await engine().tableExists('shop__pr_2', 'mine')).toBe(true);
    expect(await engine().tableExists(orders.schema, orders.table)).toBe(true);

    await expect(
      env.run(activities.dropEnvironment, { gateway, environment: 'prod', models: ['shop.orders'] }),
    ).rejects.toThrow('the prod environment cannot be dropped');
    expect(await engine().tableExists(orders.schema, orders.table)).toBe(true);
  });

  it("drops the janitor's tables if they exist, and says which executor did", async () => {
    const { env } = activityEnvironment();
    await env.run(activities.createPhysicalTables, { gateway, requests });
    const view = physicalTable('shop.order_view', fingerprint);
    const tables = [view.qualified, orders.qualified];
    expect(await env.run(activities.dropTables, { gateway, tables })).toEqual({ executor: 'apply@h:9' });
    expect(await engine().tableExists(orders.schema, orders.table)).toBe(false);
    expect(await engine().columns(view.schema, view.table)).toEqual([]);
    // dropping what is gone changes nothing
    expect(await env.run(activities.dropTables, { gateway, tables })).toEqual({ executor: 'apply@h:9' });
  });
});
