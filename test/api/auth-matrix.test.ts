/**
 * Every role against every mutating route, on an environment its patterns match and on one they do
 * not. A refused request is a 403 that says why and writes nothing; an allowed one gets past
 * authorization (with Temporal down, routes that signal a workflow then answer 503). Requests
 * without a valid token are 401s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulerActivities } from '../../activities/scheduler/index.ts';
import type { SluiceApp } from '../../api/app.ts';
import { createApiToken, revokeApiToken } from '../../api/auth/tokens.ts';
import { FolderArtifactStore } from '../../artifacts/folder-store.ts';
import type { ApiRole } from '../../db/schema.ts';
import { environmentSnapshotMap, promoteEnvironment } from '../../state/environments.ts';
import { createWebhook } from '../../state/notifications/webhooks.ts';
import { createPlanRecord } from '../../state/plan/record.ts';
import { createRun, updateRunStatus } from '../../state/runs.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, seedShop, shopProject } from './support/seed.ts';
import { openTestState, type TestState, tableCounts } from './support/state.ts';

const ROLES: ApiRole[] = ['viewer', 'operator', 'deployer', 'admin'];
const INSIDE = 'dev_team';
const OUTSIDE = 'prod';

interface MutatingRoute {
  name: string;
  needs: ApiRole;
  /** the request against `env`; `ids` holds what the route needs (plans, tokens). */
  request(env: string, ids: Ids): { method: string; path: string; body?: unknown };
  /** the status of an allowed request (Temporal is down). */
  allowed: number;
  /** the status of an allowed request after a lower role's did it already (what it removed is gone). */
  repeated?: number;
}

interface Ids {
  plans: Record<string, string>;
  tokens: Record<string, string>;
  webhooks: Record<string, string>;
}

const ROUTES: MutatingRoute[] = [
  {
    name: 'pause environment',
    needs: 'operator',
    request: (env) => ({
      method: 'POST',
      path: `/api/environments/${env}/pause`,
      body: { reason: 'maintenance' },
    }),
    allowed: 503,
  },
  {
    name: 'resume environment',
    needs: 'operator',
    request: (env) => ({ method: 'POST', path: `/api/environments/${env}/resume` }),
    allowed: 503,
  },
  {
    name: 'pause model',
    needs: 'operator',
    request: (env) => ({
      method: 'POST',
      path: `/api/environments/${env}/pauses`,
      body: { model: 'staging.stg_orders', reason: 'late source' },
    }),
    allowed: 503,
  },
  {
    name: 'resume model',
    needs: 'operator',
    request: (env) => ({ method: 'DELETE', path: `/api/environments/${env}/pauses/staging.stg_orders` }),
    allowed: 503,
  },
  {
    name: 'trigger run',
    needs: 'operator',
    request: (env) => ({
      method: 'POST',
      path: `/api/environments/${env}/runs`,
      body: { models: ['marts.customer_orders'] },
    }),
    allowed: 503,
  },
  {
    name: 'query environment',
    needs: 'operator',
    request: (env) => ({
      method: 'POST',
      path: `/api/environments/${env}/query`,
      body: { sql: 'SELECT 1 AS one', gateway: 'local' },
    }),
    allowed: 503,
  },
  {
    name: 'delete environment',
    needs: 'deployer',
    request: (env) => ({ method: 'DELETE', path: `/api/environments/${env}` }),
    allowed: 503,
  },
  {
    name: 'create plan',
    needs: 'deployer',
    request: (env) => ({
      method: 'POST',
      path: '/api/plans',
      body: { environment: env, project: changedProject() },
    }),
    allowed: 201,
  },
  {
    name: 'apply plan',
    needs: 'deployer',
    request: (env, ids) => ({ method: 'POST', path: `/api/plans/${ids.plans[env]}/apply` }),
    allowed: 503,
  },
  {
    name: 'create token',
    needs: 'admin',
    request: (env) => ({
      method: 'POST',
      path: '/api/tokens',
      body: { name: `for-${env}`, role: 'viewer', environments: [env] },
    }),
    allowed: 201,
  },
  {
    name: 'revoke token',
    needs: 'admin',
    request: (env, ids) => ({ method: 'DELETE', path: `/api/tokens/${ids.tokens[env]}` }),
    allowed: 200,
  },
  {
    name: 'add notification webhook',
    needs: 'operator',
    request: (env) => ({
      method: 'POST',
      path: '/api/notifications',
      body: { environment: env, url: 'https://hooks.example.com/sluice', events: ['run.failed'] },
    }),
    allowed: 201,
  },
  {
    name: 'remove notification webhook',
    needs: 'operator',
    request: (env, ids) => ({ method: 'DELETE', path: `/api/notifications/${ids.webhooks[env]}` }),
    allowed: 200,
    repeated: 404,
  },
  {
    name: 'test notification webhook',
    needs: 'operator',
    request: (env, ids) => ({ method: 'POST', path: `/api/notifications/${ids.webhooks[env]}/test` }),
    allowed: 503,
  },
];

function changedProject() {
  const project = shopProject();
  const model = project.models.find((m) => m.name === 'marts.customer_orders')!;
  model.query = `${model.query}\nWHERE 1 = 1`;
  return project;
}

describe.each(DRIVERS)('authorization matrix on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  /** role → token whose only pattern matches INSIDE. */
  const scoped: Record<string, string> = {};
  /** where the runs' artifacts are written and served from. */
  let artifactDir: string;
  let artifacts: FolderArtifactStore;

  beforeAll(async () => {
    state = await openTestState(driver, 'api_matrix');
    temporal = unreachableTemporal();
    artifactDir = mkdtempSync(join(tmpdir(), 'sluice-matrix-artifacts-'));
    artifacts = new FolderArtifactStore(artifactDir);
    app = testApp({
      db: state.db,
      client: temporal.client,
      now: () => NOW,
      temporalTimeoutMs: 300,
      artifacts,
    });
    contract = await Contract.of(app);
    await seedShop(state.db);
    await promoteEnvironment(state.db, INSIDE, await environmentSnapshotMap(state.db, 'prod'), null);
    for (const role of ROLES) {
      scoped[role] = (
        await createApiToken(state.db, {
          name: `${role}-dev`,
          role,
          environments: ['dev_*'],
          createdBy: 'tests',
        })
      ).token;
    }
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
    rmSync(artifactDir, { recursive: true, force: true });
  });

  /** A pending plan with changes for each environment, and a token per environment to revoke. */
  async function targets(): Promise<Ids> {
    const ids: Ids = { plans: {}, tokens: {}, webhooks: {} };
    for (const env of [INSIDE, OUTSIDE]) {
      ids.plans[env] = (
        await createPlanRecord({
          db: state.db,
          project: changedProject(),
          environment: env,
          submittedBy: 'tests',
          now: NOW,
        })
      ).planId;
      ids.tokens[env] = (
        await createApiToken(state.db, {
          name: `target-${env}`,
          role: 'viewer',
          environments: [env],
          createdBy: 'tests',
        })
      ).record.id;
      ids.webhooks[env] = (
        await createWebhook(state.db, {
          environment: env,
          url: 'https://hooks.example.com/target',
          events: ['run.failed'],
          format: 'json',
          secret: 'whsec_target',
          createdBy: 'tests',
        })
      ).id;
    }
    return ids;
  }

  for (const route of ROUTES) {
    it(`${route.name}: allowed from role ${route.needs} up, only inside the token's environments`, async () => {
      const ids = await targets();
      for (const role of ROLES) {
        const enough = ROLES.indexOf(role) >= ROLES.indexOf(route.needs);
        for (const env of [INSIDE, OUTSIDE]) {
          const { method, path, body } = route.request(env, ids);
          const before = await tableCounts(state.db);
          const r = await contract.call(app, method, path, { token: scoped[role], body });
          const label = `${role} ${method} ${path}`;
          if (!enough) {
            expect(r.status, label).toBe(403);
            expect(r.body.error.message, label).toContain(`has role ${role}; to `);
            expect(r.body.error.message, label).toContain(`it needs role ${route.needs} or higher`);
          } else if (env === OUTSIDE) {
            expect(r.status, label).toBe(403);
            expect(r.body.error.code, label).toBe('forbidden');
            expect(r.body.error.message, label).toMatch(/dev_\*/);
          } else {
            const again = role !== route.needs && route.repeated !== undefined;
            expect(r.status, `${label}: ${JSON.stringify(r.body)}`).toBe(
              again ? route.repeated : route.allowed,
            );
            continue;
          }
          const after = await tableCounts(state.db);
          // a refused request writes nothing
          expect(after, label).toEqual(before);
        }
      }
    });
  }

  it('pull request routes: plan and close from role deployer up, only with a token whose patterns match pr_<n>', async () => {
    const prScoped: Record<string, string> = {};
    for (const role of ROLES) {
      prScoped[role] = (
        await createApiToken(state.db, {
          name: `${role}-pr`,
          role,
          environments: ['pr_*'],
          createdBy: 'tests',
        })
      ).token;
    }
    const routes = [
      {
        name: 'plan pull request',
        method: 'POST',
        path: '/api/ci/pull-requests/7/plan',
        body: { project: changedProject() } as unknown,
        // the plan is stored, then queueing it finds Temporal down
        allowed: 503,
      },
      { name: 'close pull request', method: 'DELETE', path: '/api/ci/pull-requests/7', allowed: 503 },
    ];
    for (const route of routes) {
      for (const role of ROLES) {
        const enough = ROLES.indexOf(role) >= ROLES.indexOf('deployer');
        for (const [token, inside] of [
          [prScoped[role], true],
          [scoped[role], false],
        ] as const) {
          const label = `${route.name}: ${role} ${inside ? 'pr_*' : 'dev_*'}`;
          const before = await tableCounts(state.db);
          const r = await contract.call(app, route.method, route.path, { token, body: route.body });
          if (enough && inside) {
            expect(r.status, `${label}: ${JSON.stringify(r.body)}`).toBe(route.allowed);
            continue;
          }
          expect(r.status, label).toBe(403);
          expect(r.body.error.message, label).toMatch(
            enough ? /dev_\*.*not "pr_7"/ : /it needs role deployer/,
          );
          expect(await tableCounts(state.db), label).toEqual(before);
        }
      }
    }
  });

  it('answers 401 without a token, with a malformed header, and with unknown, revoked or expired tokens', async () => {
    const revoked = await createApiToken(state.db, {
      name: 'gone',
      role: 'admin',
      environments: ['*'],
      createdBy: 'tests',
    });
    await revokeApiToken(state.db, revoked.record.id, 'tests');
    const expired = await createApiToken(state.db, {
      name: 'old',
      role: 'admin',
      environments: ['*'],
      createdBy: 'tests',
      expiresAt: new Date(NOW - 1_000),
    });
    const before = await tableCounts(state.db);
    const cases: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['basic auth', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
      ['unknown', { authorization: 'Bearer sluice_notatoken' }],
      ['revoked', { authorization: `Bearer ${revoked.token}` }],
      ['expired', { authorization: `Bearer ${expired.token}` }],
    ];
    for (const [label, headers] of cases) {
      for (const route of ROUTES) {
        const { method, path, body } = route.request(INSIDE, {
          plans: { [INSIDE]: 'p' },
          tokens: { [INSIDE]: 't' },
          webhooks: { [INSIDE]: 'w' },
        });
        const r = await contract.call(app, method, path, { headers, body });
        expect(r.status, `${label} ${method} ${path}`).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Bearer realm="sluice"');
      }
      expect((await contract.call(app, 'GET', '/api/runs', { headers })).status).toBe(401);
    }
    expect(await tableCounts(state.db)).toEqual(before);
    // health's liveness and the reference need no token; the metrics do
    expect((await contract.call(app, 'GET', '/api/health')).status).toBe(503);
    expect((await contract.call(app, 'GET', '/metrics')).status).toBe(401);
    expect((await contract.call(app, 'GET', '/api/openapi.json')).status).toBe(200);
  });

  it("serves a run's and a plan's artifacts to every role, only inside the token's environments", async () => {
    const scheduler = createSchedulerActivities({ db: state.db, now: () => NOW, artifacts });
    const paths: Record<string, string[]> = {};
    for (const env of [INSIDE, OUTSIDE]) {
      const runId = `sluice-run-${env}-manual-artifacts`;
      await createRun(state.db, {
        id: runId,
        environment: env,
        trigger: 'manual',
        scheduledAt: NOW,
        status: 'running',
      });
      await updateRunStatus(state.db, runId, 'succeeded', { at: NOW });
      await scheduler.writeRunArtifacts({ runId });
      const { planId } = await createPlanRecord({
        db: state.db,
        project: changedProject(),
        environment: env,
        submittedBy: 'tests',
        now: NOW,
      });
      await scheduler.writePlanArtifacts({ planId });
      paths[env] = [
        `/api/runs/${runId}/artifacts`,
        `/api/runs/${runId}/artifacts/run_results.json`,
        `/api/plans/${planId}/artifacts`,
        `/api/plans/${planId}/artifacts/plan.txt`,
      ];
    }
    for (const role of ROLES) {
      for (const path of paths[INSIDE]!) {
        expect(
          (await contract.call(app, 'GET', path, { token: scoped[role] })).status,
          `${role} ${path}`,
        ).toBe(200);
      }
      for (const path of paths[OUTSIDE]!) {
        const r = await contract.call(app, 'GET', path, { token: scoped[role] });
        expect(r.status, `${role} ${path}`).toBe(403);
        expect(r.body.error.message).toMatch(/dev_\*/);
      }
    }
    for (const path of paths[INSIDE]!) expect((await contract.call(app, 'GET', path)).status).toBe(401);
  });

  it('lets POST /api/janitor/runs only to deployers and up whose token is for every environment', async () => {
    for (const role of ROLES) {
      const enough = ROLES.indexOf(role) >= ROLES.indexOf('deployer');
      const before = await tableCounts(state.db);
      const scopedRun = await contract.call(app, 'POST', '/api/janitor/runs', {
        token: scoped[role],
        body: { dryRun: false },
      });
      expect(scopedRun.status, role).toBe(403);
      expect(scopedRun.body.error.message, role).toMatch(
        enough ? /the janitor acts on every environment/ : `has role ${role}; to `,
      );
      const everywhere = (
        await createApiToken(state.db, { name: `all-${role}`, role, environments: ['*'], createdBy: 'tests' })
      ).token;
      const allowed = await contract.call(app, 'POST', '/api/janitor/runs', {
        token: everywhere,
        body: { dryRun: true },
      });
      // Temporal is down here: an allowed request gets as far as asking it
      expect(allowed.status, role).toBe(enough ? 503 : 403);
      await contract.call(app, 'GET', '/api/janitor/drops', { token: scoped[role] }).then((r) => {
        expect(r.status, role).toBe(200);
      });
      const after = await tableCounts(state.db);
      expect(after.audit_log, role).toBe(before.audit_log);
    }
  });

  it('lets every role read, whatever its environments', async () => {
    for (const role of ROLES) {
      expect((await contract.call(app, 'GET', '/api/runs', { token: scoped[role] })).status).toBe(200);
      expect((await contract.call(app, 'GET', '/api/audit', { token: scoped[role] })).status).toBe(200);
    }
    // notification webhooks (their URLs may be secrets) and their deliveries: operators and up
    for (const role of ROLES) {
      const webhooks = await contract.call(app, 'GET', '/api/notifications', { token: scoped[role] });
      expect(webhooks.status, role).toBe(role === 'viewer' ? 403 : 200);
    }
    const hidden = await createWebhook(state.db, {
      environment: OUTSIDE,
      url: 'https://hooks.example.com/hidden',
      events: ['run.failed'],
      format: 'json',
      secret: 'whsec_hidden',
      createdBy: 'tests',
    });
    const listed = await contract.call(app, 'GET', '/api/notifications', { token: scoped.admin });
    expect(listed.body.items.map((w: { id: string }) => w.id)).not.toContain(hidden.id);
    const deliveries = `/api/notifications/${hidden.id}/deliveries`;
    expect((await contract.call(app, 'GET', deliveries, { token: scoped.admin })).status).toBe(403);
    expect((await contract.call(app, 'GET', deliveries, { token: scoped.viewer })).status).toBe(403);
    const tokens = await contract.call(app, 'GET', '/api/tokens', { token: scoped.operator });
    expect(tokens.status).toBe(403);
    expect((await contract.call(app, 'GET', '/api/tokens', { token: scoped.admin })).status).toBe(200);
  });
});
