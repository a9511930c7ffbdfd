/**
 * Connection permissions follow environments, against a real stack (Temporal dev server, scheduler
 * worker, an apply executor that tests connections, the state database on the test Postgres): an
 * admin scoped to `dev_*` sees and changes only the connections of gateways every environment using
 * them matches (dev's own, and ones nobody uses), never prod's or one dev shares with prod, nor one
 * a plan for prod is about to use; re-sealing every connection needs a `*` admin. A refusal is a 403
 * naming the gateway, the environments and the patterns, and stores and audits nothing.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import type { Project } from '../../core/project/types.ts';
import { connections } from '../../db/schema.ts';
import { listAudit } from '../../state/index.ts';
import { finalizePlan } from '../../state/plan/finalize.ts';
import { createPlanRecord } from '../../state/plan/record.ts';
import { storePlanSnapshots } from '../../state/plan/store-snapshots.ts';
import { updatePlan } from '../../state/plans.ts';
import {
  type ConnectionStack,
  keyring,
  startConnectionStack,
  warehouseYaml,
} from '../integration/connections/support.ts';
import { testApp, tokenFor } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, shopProject } from './support/seed.ts';

let stack: ConnectionStack;
let app: SluiceApp;
let contract: Contract;
/** an admin whose only pattern is `dev_*`, and one with `*`. */
let devAdmin: string;
let root: string;

/**
 * prod runs the shop project: its models on `warehouse`, `marts.orders_view` on `local`. dev_team
 * runs it with every model that names no gateway moved to `dev_wh`, so `local` is shared by both.
 */
function devProject(): Project {
  const project = shopProject();
  project.config.gateways.dev_wh = project.config.gateways.warehouse!;
  for (const model of project.models) model.gateway ??= 'dev_wh';
  return project;
}

/** A prod project that moves `marts.daily_revenue` to gateway `next_wh`. */
function nextProject(): Project {
  const project = shopProject();
  project.config.gateways.next_wh = project.config.gateways.warehouse!;
  project.models.find((model) => model.name === 'marts.daily_revenue')!.gateway = 'next_wh';
  return project;
}

/** Applies `project` to `environment` through the plan's state steps; returns the plan's id. */
async function promote(environment: string, project: Project): Promise<string> {
  const db = stack.state.db;
  const { planId, diff } = await createPlanRecord({
    db,
    project,
    environment,
    submittedBy: 'seed',
    now: NOW,
  });
  await storePlanSnapshots({ db, project, diff });
  await updatePlan(db, planId, { status: 'applying' });
  await finalizePlan({ db, diff, planId });
  return planId;
}

function add(gateway: string, token: string) {
  return contract.call(app, 'POST', '/api/connections', { token, body: { gateway, yaml: warehouseYaml() } });
}

async function gatewaysListed(token: string): Promise<string[]> {
  const listed = await contract.call(app, 'GET', '/api/connections', { token });
  expect(listed.status).toBe(200);
  return listed.body.items.map((item: { gateway: string }) => item.gateway);
}

/** What a refusal must leave as it was: the stored connections and the audit log. */
async function written() {
  return {
    rows: await stack.state.db.select().from(connections).orderBy(connections.gateway),
    audit: (await listAudit(stack.state.db)).items,
  };
}

beforeAll(async () => {
  stack = await startConnectionStack('conn_scope', { executorKeys: keyring('k1') });
  app = testApp({
    db: stack.state.db,
    client: stack.env.client,
    temporalTimeoutMs: 10_000,
    connectionTestTimeoutMs: 20_000,
    encryption: keyring('k1'),
  });
  contract = await Contract.of(app);
  await promote('prod', shopProject());
  await promote('dev_team', devProject());
  devAdmin = await tokenFor(stack.state.db, 'admin', ['dev_*'], 'admin-dev');
  root = await tokenFor(stack.state.db, 'admin', ['*'], 'root');
});

afterAll(async () => {
  await stack?.dispose();
});

beforeEach(async () => {
  await stack.state.db.execute(sql`truncate sluice.connections, sluice.audit_log`);
  for (const gateway of ['warehouse', 'local', 'dev_wh']) expect((await add(gateway, root)).status).toBe(201);
});

describe('a dev_*-scoped admin', () => {
  it("lists only dev's gateways, and cannot show, replace, remove or re-seal prod's", async () => {
    expect(await gatewaysListed(devAdmin)).toEqual(['dev_wh']);
    const before = await written();

    const replaced = await add('warehouse', devAdmin);
    expect(replaced.status).toBe(403);
    expect(replaced.body.error.code).toBe('forbidden');
    expect(replaced.body.error.message).toMatch(
      /^admin-dev \(\S+\) may act on environments dev_\*, not on "prod", which uses gateway "warehouse": only a token whose patterns match every environment using a gateway may manage its connection$/,
    );
    expect(replaced.body.error.details).toEqual({
      gateway: 'warehouse',
      environments: ['prod'],
      allowed: ['dev_*'],
    });
    for (const [method, path] of [
      ['GET', '/api/connections/warehouse'],
      ['DELETE', '/api/connections/warehouse'],
    ] as const) {
      const refused = await contract.call(app, method, path, { token: devAdmin });
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.body.error.details).toEqual(replaced.body.error.details);
    }

    const rotation = await contract.call(app, 'POST', '/api/connections/rotate-key', { token: devAdmin });
    expect(rotation.status).toBe(403);
    expect(rotation.body.error.message).toMatch(
      /^admin-dev \(\S+\) may act on environments dev_\*; re-sealing every connection \(rotate-key\) needs a token whose environment patterns include \*$/,
    );
    expect(rotation.body.error.details).toEqual({ allowed: ['dev_*'], needed: ['*'] });

    // nothing stored, removed, re-sealed or audited
    expect(await written()).toEqual(before);
  });

  it('cannot touch a gateway dev shares with prod', async () => {
    const before = await written();
    for (const [method, path, body] of [
      ['POST', '/api/connections', { gateway: 'LOCAL', yaml: warehouseYaml() }],
      ['GET', '/api/connections/local', undefined],
      ['DELETE', '/api/connections/local', undefined],
    ] as const) {
      const refused = await contract.call(app, method, path, {
        token: devAdmin,
        ...(body === undefined ? {} : { body }),
      });
      expect(refused.status, `${method} ${path}`).toBe(403);
      // dev_team, which the token matches, is not named
      expect(refused.body.error.details).toEqual({
        gateway: 'local',
        environments: ['prod'],
        allowed: ['dev_*'],
      });
    }
    expect(await written()).toEqual(before);
  });

  it("manages dev's own gateways and gateways no environment uses", async () => {
    const replaced = await add('dev_wh', devAdmin);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ gateway: 'dev_wh', created: false });
    expect(replaced.body.updatedBy).toMatch(/^admin-dev /);
    const spare = await add('spare', devAdmin);
    expect(spare.status).toBe(201);
    expect(await gatewaysListed(devAdmin)).toEqual(['dev_wh', 'spare']);
    expect((await contract.call(app, 'GET', '/api/connections/spare', { token: devAdmin })).status).toBe(200);
    const removed = await contract.call(app, 'DELETE', '/api/connections/spare', { token: devAdmin });
    expect(removed.status).toBe(200);
    const audited = (await listAudit(stack.state.db)).items.filter((entry) =>
      entry.actor.startsWith('admin-dev '),
    );
    expect(audited.map((entry) => entry.action).sort()).toEqual([
      'connection.create',
      'connection.delete',
      'connection.replace',
    ]);
  });

  it('loses a gateway once a plan for prod that puts a model there is submitted, until it finishes', async () => {
    // nobody uses next_wh yet: in scope
    expect((await add('next_wh', devAdmin)).status).toBe(201);
    expect(await gatewaysListed(devAdmin)).toEqual(['dev_wh', 'next_wh']);

    const { planId } = await createPlanRecord({
      db: stack.state.db,
      project: nextProject(),
      environment: 'prod',
      submittedBy: 'ci',
      now: NOW,
    });
    // stored for review, not yet queued: prod's already
    const shown = await contract.call(app, 'GET', '/api/connections/next_wh', { token: devAdmin });
    expect(shown.status).toBe(403);
    expect(shown.body.error.message).toContain(`not on "prod" (plan ${planId}, pending)`);

    await updatePlan(stack.state.db, planId, { status: 'queued' });
    const before = await written();
    const refused = await add('next_wh', devAdmin);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain(
      `not on "prod" (plan ${planId}, queued), which uses gateway "next_wh"`,
    );
    expect(refused.body.error.details).toEqual({
      gateway: 'next_wh',
      environments: ['prod'],
      allowed: ['dev_*'],
    });
    const removal = await contract.call(app, 'DELETE', '/api/connections/next_wh', { token: devAdmin });
    expect(removal.status).toBe(403);
    expect(await gatewaysListed(devAdmin)).toEqual(['dev_wh']);
    expect(await written()).toEqual(before);

    // a cancelled plan puts nothing anywhere
    await updatePlan(stack.state.db, planId, { status: 'cancelled' });
    expect(await gatewaysListed(devAdmin)).toEqual(['dev_wh', 'next_wh']);
  });
});

describe('an admin whose patterns include *', () => {
  it('lists, shows, replaces, re-seals and removes every connection', async () => {
    expect(await gatewaysListed(root)).toEqual(['dev_wh', 'local', 'warehouse']);
    expect((await contract.call(app, 'GET', '/api/connections/warehouse', { token: root })).status).toBe(200);
    const replaced = await add('warehouse', root);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ gateway: 'warehouse', created: false });
    const rotation = await contract.call(app, 'POST', '/api/connections/rotate-key', { token: root });
    expect(rotation.status).toBe(200);
    expect(rotation.body).toMatchObject({ keyId: 'k1', resealed: {}, unchanged: 3 });
    for (const gateway of ['warehouse', 'local']) {
      const removed = await contract.call(app, 'DELETE', `/api/connections/${gateway}`, { token: root });
      expect(removed.status, gateway).toBe(200);
    }
    expect(await gatewaysListed(root)).toEqual(['dev_wh']);
  });
});
