/**
 * A plan's TTL through the API: `ttl` (or the project's `sluice: environment_ttl`) is stored with
 * the plan and becomes the environment's expiry when the plan is applied; a bad TTL, or one for prod,
 * is a 400 naming the value and stores nothing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import { getEnvironment } from '../../state/environments.ts';
import { finalizePlan } from '../../state/plan/finalize.ts';
import { storePlanSnapshots } from '../../state/plan/store-snapshots.ts';
import { getPlan, updatePlan } from '../../state/plans.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, shopProject } from './support/seed.ts';
import { openTestState, type TestState, tableCounts } from './support/state.ts';

const DAY = 86_400_000;

describe('plan TTLs', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let token: string;
  const post = (body: unknown) => contract.call(app, 'POST', '/api/plans', { token, body });

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_plan_ttl');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    token = await tokenFor(state.db, 'deployer', ['*'], 'ci');
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it.each(['soon', '3', '0d', '1.5h', '1y'])(
    'refuses ttl %j with a 400 naming it, storing nothing',
    async (ttl) => {
      const before = await tableCounts(state.db);
      const r = await post({ environment: 'dev', project: shopProject(), ttl });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain(`ttl: ${JSON.stringify(ttl)} is not an environment TTL`);
      expect(r.body.error.details).toEqual({ field: 'ttl' });
      expect(await tableCounts(state.db)).toEqual(before);
    },
  );

  it('refuses a TTL for prod', async () => {
    const r = await post({ environment: 'prod', project: shopProject(), ttl: '3d' });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe('ttl: prod never expires; a TTL is for other environments');
  });

  it("stores the plan's TTL, the project's by default, and sets the expiry when the plan is applied", async () => {
    const project = shopProject();
    project.config.environmentTtlMs = 7 * DAY;
    const byDefault = await post({ environment: 'dev', project });
    expect(byDefault.status).toBe(201);
    expect((await getPlan(state.db, byDefault.body.id))!.environmentTtlMs).toBe(7 * DAY);
    const prod = await post({ environment: 'prod', project });
    expect((await getPlan(state.db, prod.body.id))!.environmentTtlMs).toBeNull();

    const explicit = await post({ environment: 'dev', project, ttl: '3d' });
    const plan = (await getPlan(state.db, explicit.body.id))!;
    expect(plan.environmentTtlMs).toBe(3 * DAY);
    // what beginPlan does before the backfill: the plan's snapshots are stored
    await storePlanSnapshots({ db: state.db, project, diff: plan.diff as PlanDiff });
    await updatePlan(state.db, plan.id, { status: 'applying' });
    await finalizePlan({
      db: state.db,
      diff: plan.diff as PlanDiff,
      planId: plan.id,
      environmentTtlMs: plan.environmentTtlMs,
      now: NOW,
    });
    expect((await getEnvironment(state.db, 'dev'))!.expiresAt).toBe(new Date(NOW + 3 * DAY).toISOString());
  });
});
