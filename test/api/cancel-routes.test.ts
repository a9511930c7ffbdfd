/**
 * `POST /runs/{id}/cancel` and `POST /plans/{id}/cancel` against a real stack (Temporal dev server,
 * scheduler worker, executors, prod planned from the quickstart example): who may cancel, what is
 * refused and why, and that the records say who cancelled. Cancelling a run or an application in
 * flight is walked on the production workflows in test/workflows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { createApiToken } from '../../api/auth/tokens.ts';
import { loadProject } from '../../core/project/load.ts';
import { getPlan } from '../../state/plans.ts';
import { listRuns } from '../../state/runs.ts';
import { testApp } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

let t: TestStack;
let app: SluiceApp;
let contract: Contract;
let operator: string;
let deployer: string;
let devOnly: string;
let viewer: string;
let deployerActor: string;

beforeAll(async () => {
  t = await startTestStack('api_cancel');
  const token = (name: string, role: 'operator' | 'deployer' | 'viewer', environments: string[]) =>
    createApiToken(t.state.db, { name, role, environments, createdBy: 'tests' });
  operator = (await token('oncall', 'operator', ['*'])).token;
  const ci = await token('ci', 'deployer', ['*']);
  deployer = ci.token;
  deployerActor = `ci (${ci.record.id})`;
  devOnly = (await token('dev-ci', 'deployer', ['dev*'])).token;
  viewer = (await token('reader', 'viewer', ['*'])).token;
  app = testApp({ db: t.state.db, client: t.stack.client, temporalTimeoutMs: 15_000 });
  contract = await Contract.of(app);
}, 180_000);

afterAll(async () => {
  await t?.dispose();
});

const call = (method: string, path: string, token: string) => contract.call(app, method, path, { token });

describe('cancel', () => {
  it('refuses an unknown run or plan with 404', async () => {
    const run = await call('POST', '/api/runs/sluice-run-prod-nope/cancel', operator);
    expect(run.status).toBe(404);
    expect(run.body.error.message).toBe('unknown run "sluice-run-prod-nope"');
    const plan = await call('POST', '/api/plans/no-such-plan/cancel', deployer);
    expect(plan.status).toBe(404);
  });

  it('refuses a run that has ended, and a plan backfill run, with 409 saying why', async () => {
    const page = await listRuns(t.state.db, { environment: 'prod', limit: 100 });
    const backfill = page.items.find((r) => r.trigger === 'plan');
    expect(backfill).toBeDefined();
    const ended = await call('POST', `/api/runs/${backfill!.id}/cancel`, operator);
    expect(ended.status).toBe(409);
    expect(ended.body.error.message).toBe(`run ${backfill!.id} is already ${backfill!.status}`);
  });

  it('cancels a pending plan at once, records who, and then refuses it as ended', async () => {
    const project = loadProject(t.project);
    const first = await contract.call(app, 'POST', '/api/plans', {
      token: deployer,
      body: { environment: 'dev', project },
    });
    expect(first.status).toBe(201);
    const planId: string = first.body.id;

    expect((await call('POST', `/api/plans/${planId}/cancel`, viewer)).status).toBe(403);
    const r = await call('POST', `/api/plans/${planId}/cancel`, deployer);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ planId, environment: 'dev', status: 'cancelled', cancelledBy: deployerActor });
    const stored = await getPlan(t.state.db, planId);
    expect(stored).toMatchObject({ status: 'cancelled', cancelledBy: deployerActor });
    const shown = await call('GET', `/api/plans/${planId}`, deployer);
    expect(shown.body.status).toBe('cancelled');

    const again = await call('POST', `/api/plans/${planId}/cancel`, deployer);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(`plan ${planId} is already cancelled`);
    const apply = await call('POST', `/api/plans/${planId}/apply`, deployer);
    expect(apply.status).toBe(409);
  });

  it("refuses a token whose environments do not include the plan's", async () => {
    const project = loadProject(t.project);
    const created = await contract.call(app, 'POST', '/api/plans', {
      token: deployer,
      body: { environment: 'prod', project },
    });
    expect(created.status).toBe(201);
    const r = await call('POST', `/api/plans/${created.body.id}/cancel`, devOnly);
    expect(r.status).toBe(403);
    expect((await getPlan(t.state.db, created.body.id))?.status).toBe('pending');
  });
});
