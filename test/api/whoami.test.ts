/**
 * `GET /api/whoami`: the caller's token, role and what it may do, each answer the same as the route
 * it speaks for gives when the request is made; with authentication off, the local admin.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, seedShop } from './support/seed.ts';
import { openTestState, type TestState } from './support/state.ts';

interface Action {
  method: string;
  path: string;
  permission: string;
  allowed: boolean;
  reason: string | null;
}

describe('whoami', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_whoami');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW, temporalTimeoutMs: 300 });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    await seedShop(state.db);
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it("names a viewer's token and refuses it every change, with the route's own reason", async () => {
    const token = await tokenFor(state.db, 'viewer', ['dev_*'], 'dashboard-viewer');
    const r = await contract.call(app, 'GET', '/api/whoami', { token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'dashboard-viewer',
      role: 'viewer',
      auth: 'tokens',
      environments: ['dev_*'],
      environment: null,
    });
    expect(r.body.tokenId).toEqual(expect.any(String));
    expect(r.body.permissions.read).toEqual({
      description: 'read',
      needs: 'viewer',
      allowed: true,
      reason: null,
    });
    expect(r.body.permissions.operate).toMatchObject({ needs: 'operator', allowed: false });
    expect(r.body.permissions.deploy).toMatchObject({ needs: 'deployer', allowed: false });
    const pause = r.body.actions.find(
      (a: Action) => a.method === 'POST' && a.path === '/api/environments/{env}/pause',
    );
    expect(pause).toMatchObject({ permission: 'operate', allowed: false });
    expect(r.body.actions.every((a: Action) => !a.allowed && a.reason !== null)).toBe(true);
    expect(r.body.actions.some((a: Action) => a.method === 'GET')).toBe(false);
    // the route refuses with the same words
    const refused = await contract.call(app, 'POST', '/api/environments/dev_a/pause', {
      token,
      body: { reason: 'forced' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(pause.reason);
  });

  it("lists every guarded route that changes something, and scopes them by the token's environments", async () => {
    const token = await tokenFor(state.db, 'operator', ['dev_*'], 'ops');
    const paths = (body: { actions: Action[] }) => body.actions.map((a) => `${a.method} ${a.path}`);
    const anywhere = await contract.call(app, 'GET', '/api/whoami', { token });
    expect(paths(anywhere.body)).toEqual(
      expect.arrayContaining([
        'POST /api/environments/{env}/pause',
        'POST /api/environments/{env}/resume',
        'POST /api/environments/{env}/pauses',
        'DELETE /api/environments/{env}/pauses/{model}',
        'POST /api/environments/{env}/runs',
        'POST /api/runs/{id}/cancel',
        'POST /api/plans',
        'POST /api/plans/{id}/apply',
        'POST /api/plans/{id}/cancel',
      ]),
    );
    const allowed = (body: { actions: Action[] }, key: string) =>
      body.actions.find((a) => `${a.method} ${a.path}` === key)!;
    expect(allowed(anywhere.body, 'POST /api/environments/{env}/runs').allowed).toBe(true);
    expect(allowed(anywhere.body, 'POST /api/plans/{id}/apply')).toMatchObject({
      permission: 'deploy',
      allowed: false,
      reason: expect.stringContaining('needs role deployer or higher'),
    });

    const prod = await contract.call(app, 'GET', '/api/whoami?environment=prod', { token });
    expect(prod.body.environment).toBe('prod');
    const run = allowed(prod.body, 'POST /api/environments/{env}/runs');
    expect(run.allowed).toBe(false);
    expect(run.reason).toMatch(/may act on environments dev_\*, not "prod"/);
    expect(prod.body.permissions.read.allowed).toBe(true);
    expect(prod.body.permissions.operate.allowed).toBe(false);
    const forced = await contract.call(app, 'POST', '/api/environments/prod/runs', { token, body: {} });
    expect(forced.status).toBe(403);
    expect(forced.body.error.message).toBe(run.reason);
    const dev = await contract.call(app, 'GET', '/api/whoami?environment=dev_ana', { token });
    expect(allowed(dev.body, 'POST /api/environments/{env}/runs').allowed).toBe(true);
  });

  it('refuses a route over every environment to a token scoped to some, as the route does', async () => {
    const token = await tokenFor(state.db, 'deployer', ['pr_*'], 'ci');
    const janitor = (body: { actions: Action[] }) =>
      body.actions.find((a) => a.method === 'POST' && a.path === '/api/janitor/runs')!;
    const r = await contract.call(app, 'GET', '/api/whoami?environment=pr_7', { token });
    expect(janitor(r.body)).toMatchObject({ permission: 'deploy', allowed: false });
    expect(janitor(r.body).reason).toMatch(/the janitor acts on every environment/);
    const refused = await contract.call(app, 'POST', '/api/janitor/runs', { token, body: { dryRun: true } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe(janitor(r.body).reason);
    const everywhere = await tokenFor(state.db, 'deployer', ['*'], 'deploy-all');
    const all = await contract.call(app, 'GET', '/api/whoami', { token: everywhere });
    expect(janitor(all.body)).toMatchObject({ allowed: true, reason: null });
  });

  it('refuses a malformed environment and a missing token', async () => {
    const token = await tokenFor(state.db, 'admin');
    const bad = await contract.call(app, 'GET', '/api/whoami?environment=Not-A-Name', { token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('query.environment');
    expect((await contract.call(app, 'GET', '/api/whoami')).status).toBe(401);
  });

  it('is the local admin, allowed everything, with authentication off', async () => {
    const open = testApp({ db: state.db, client: temporal.client, now: () => NOW, auth: 'off' });
    const r = await contract.call(open, 'GET', '/api/whoami?environment=prod');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'local',
      tokenId: null,
      role: 'admin',
      auth: 'off',
      environments: ['*'],
    });
    expect(Object.values(r.body.permissions).every((p) => (p as Action).allowed)).toBe(true);
    expect(r.body.actions.every((a: Action) => a.allowed && a.reason === null)).toBe(true);
  });
});
