/**
 * GET /api/environments/{env}/lineage against a real state database (PostgreSQL and PGlite), with
 * Temporal unreachable so pauses come from the state DB: the shop project's models with their kind,
 * latest status and pauses, the edges between them, and the errors for a bad or unknown environment.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { pause } from '../../state/pauses.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, seedShop } from './support/seed.ts';
import { openTestState, type TestState } from './support/state.ts';

describe.each(DRIVERS)('lineage route on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let token: string;
  const get = (path: string) => contract.call(app, 'GET', path, { token });

  beforeAll(async () => {
    state = await openTestState(driver, 'api_lineage');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW, temporalTimeoutMs: 300 });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    await seedShop(state.db);
    // a viewer whose patterns do not match prod: reading needs only a role
    token = await tokenFor(state.db, 'viewer', ['dev_*']);
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it("answers the environment's models with kind, latest status and pauses, and the edges between them", async () => {
    await pause(state.db, {
      environment: 'prod',
      model: 'staging.stg_customers',
      reason: 'late export',
      pausedBy: 'bob',
    });
    const r = await get('/api/environments/prod/lineage');
    expect(r.status).toBe(200);
    expect(r.body.environment).toBe('prod');
    expect(r.body.nodes).toEqual([
      {
        name: 'ephemeral.order_lines',
        kind: 'EMBEDDED',
        lastStatus: null,
        paused: false,
        blockedReason: null,
      },
      {
        name: 'marts.customer_orders',
        kind: 'FULL',
        lastStatus: 'succeeded',
        paused: false,
        blockedReason: 'upstream staging.stg_customers is paused',
      },
      {
        name: 'marts.daily_revenue',
        kind: 'INCREMENTAL_BY_UNIQUE_KEY',
        lastStatus: 'failed',
        paused: false,
        blockedReason: 'upstream staging.stg_customers is paused',
      },
      { name: 'marts.orders_view', kind: 'VIEW', lastStatus: null, paused: false, blockedReason: null },
      {
        name: 'staging.stg_customers',
        kind: 'SEED',
        lastStatus: null,
        paused: true,
        blockedReason: 'paused: late export',
      },
      {
        name: 'staging.stg_orders',
        kind: 'INCREMENTAL_BY_TIME_RANGE',
        lastStatus: 'running',
        paused: false,
        blockedReason: null,
      },
    ]);
    // raw.orders is an external table: no node, no edge; daily_revenue names stg_customers in depends_on
    expect(r.body.edges).toEqual([
      { from: 'ephemeral.order_lines', to: 'marts.daily_revenue' },
      { from: 'staging.stg_customers', to: 'marts.customer_orders' },
      { from: 'staging.stg_customers', to: 'marts.daily_revenue' },
      { from: 'staging.stg_orders', to: 'ephemeral.order_lines' },
      { from: 'staging.stg_orders', to: 'marts.customer_orders' },
      { from: 'staging.stg_orders', to: 'marts.daily_revenue' },
      { from: 'staging.stg_orders', to: 'marts.orders_view' },
    ]);
  });

  it('blocks every model while the whole environment is paused', async () => {
    await pause(state.db, { environment: 'prod', model: null, reason: 'migration', pausedBy: 'bob' });
    const r = await get('/api/environments/prod/lineage');
    expect(r.status).toBe(200);
    for (const node of r.body.nodes) {
      expect(node.paused).toBe(false);
      expect(node.blockedReason).toBe('environment paused: migration');
    }
  });

  it('names an unknown environment in a 404 and a malformed one in a 400', async () => {
    const unknown = await get('/api/environments/staging/lineage');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe(
      'unknown environment "staging"; plan a project into it first (sluice plan staging)',
    );
    const bad = await get('/api/environments/Prod!/lineage');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('Prod!');
  });

  it('needs a token', async () => {
    expect((await contract.call(app, 'GET', '/api/environments/prod/lineage')).status).toBe(401);
  });
});
