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
});
