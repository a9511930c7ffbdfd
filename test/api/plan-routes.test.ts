/**
 * Computing plans through the API: the project arrives as JSON, is checked for shape and consistency
 * (422 with file:line issues), and the plan is stored pending without anything applied. A request
 * the user can fix (start or end on prod, a range ending before it starts) is a 400 naming the field
 * and stores nothing. Applying is refused with 404 or 409 for plans that cannot be queued, before
 * Temporal is asked, and a pending plan refused that way is marked rejected with the reason; with
 * Temporal down a queueable plan gets a 503 and stays pending.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import type { Project } from '../../core/project/types.ts';
import { queryRows } from '../../db/query-rows.ts';
import { listAudit } from '../../state/audit-log.ts';
import { promoteEnvironment } from '../../state/environments.ts';
import { getPlan } from '../../state/plans.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, seedShop, shopProject } from './support/seed.ts';
import { openTestState, type TestState, tableCounts } from './support/state.ts';

function withModel(
  project: Project,
  name: string,
  change: (model: Project['models'][number]) => void,
): Project {
  const copy = structuredClone(project);
  const model = copy.models.find((m) => m.name === name);
  if (!model) throw new Error(`no model ${name}`);
  change(model);
  return copy;
}

describe.each(DRIVERS)('plan routes on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let token: string;
  const post = (path: string, body: unknown) => contract.call(app, 'POST', path, { token, body });

  beforeAll(async () => {
    state = await openTestState(driver, 'api_plans');
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

  it('computes and stores a pending plan, returns its diff and text, and audits it', async () => {
    const r = await post('/api/plans', { environment: 'prod', project: shopProject() });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      environment: 'prod',
      status: 'pending',
      changes: true,
      queuePosition: null,
    });
    expect(r.body.submittedBy).toMatch(/^ci \(tok_[0-9a-f]{12}\)$/);
    expect(r.body.text).toContain('`prod` environment will be initialized');
    expect(r.body.text).toContain('Summary of differences from `prod`:\nAdded Models:\n');
    expect(r.body.text).toContain('\n- marts.daily_revenue\n');
    expect(r.body.diff.added).toHaveLength(6);
    const stored = await getPlan(state.db, r.body.id);
    expect(stored?.status).toBe('pending');
    const audit = await listAudit(state.db, { action: 'plan.create' });
    expect(audit.items).toEqual([
      expect.objectContaining({ actor: r.body.submittedBy, target: r.body.id, environment: 'prod' }),
    ]);
    expect((await tableCounts(state.db)).environments).toBe(0);
    // the shop's gateway settings (host db.internal) never reach the state database
    const rows = JSON.stringify(await queryRows(state.db, sql`select * from sluice.plans`));
    expect(rows).toContain('"warehouse"');
    expect(rows).not.toContain('db.internal');
  });

  it('plans a development environment from prod as a virtual update, with a narrowed range', async () => {
    await seedShop(state.db);
    const r = await post('/api/plans', {
      environment: 'dev_alice',
      project: shopProject(),
      start: '2026-11-20',
      end: '2026-11-21',
    });
    expect(r.status).toBe(201);
    expect(r.body.diff).toMatchObject({
      environment: 'dev_alice',
      base: 'prod',
      start: Date.UTC(2026, 10, 20),
      end: Date.UTC(2026, 10, 22),
      added: [],
    });
    expect(r.body.text).toContain('New environment `dev_alice` will be created from `prod`');
    expect(r.body.changes).toBe(true);
  });

  it('rejects a project of the wrong shape with 422, each issue at the model file it concerns, and writes nothing', async () => {
    const before = await tableCounts(state.db);
    const project = withModel(shopProject(), 'marts.daily_revenue', (m) => {
      (m.kind as { name: string }).name = 'INCREMENTAL_BY_MAGIC';
      (m as { cron: unknown }).cron = 5;
    });
    const r = await post('/api/plans', { environment: 'prod', project });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('invalid_project');
    const issues = r.body.error.details.issues as Array<{ file: string; line: number; message: string }>;
    expect(issues.map((i) => i.file)).toEqual([
      'models/marts/daily_revenue.sql',
      'models/marts/daily_revenue.sql',
    ]);
    expect(issues.every((i) => i.line === 2)).toBe(true);
    expect(issues.map((i) => i.message.split(':')[0]).sort()).toEqual(['cron', 'kind.name']);
    expect(r.body.error.message).toMatch(
      /^project is not valid: 2 problems, first models\/marts\/daily_revenue\.sql:2: /,
    );
    expect(await tableCounts(state.db)).toEqual(before);

    const notAProject = await post('/api/plans', { environment: 'prod', project: { models: 'all of them' } });
    expect(notAProject.status).toBe(422);
    expect(notAProject.body.error.details.issues).toContainEqual(
      expect.objectContaining({ file: 'project', path: 'project.models' }),
    );
  });

  it('rejects an inconsistent project with the loader-style file:line issues', async () => {
    const base = shopProject();
    const project = withModel(base, 'staging.stg_orders', (m) => {
      m.cron = 'every day';
      m.cronTz = 'Mars/Olympus';
      m.gateway = 'nowhere';
      m.dependsOn = [...m.dependsOn, 'marts.customer_orders'];
    });
    const r = await post('/api/plans', { environment: 'prod', project });
    expect(r.status).toBe(422);
    const issues = r.body.error.details.issues as Array<{ file: string; line: number; message: string }>;
    const file = base.models.find((m) => m.name === 'staging.stg_orders')!.location.file;
    const mine = issues.filter((i) => i.file === file).map((i) => i.message);
    expect(mine).toContain("unknown time zone 'Mars/Olympus'");
    expect(mine).toContain("unknown gateway 'nowhere'");
    expect(mine.some((m) => m.startsWith('invalid cron "every day"'))).toBe(true);
    expect(issues.some((i) => i.message.startsWith('dependency cycle:'))).toBe(true);
    expect(await tableCounts(state.db)).toMatchObject({ plans: 0, audit_log: 0 });
  });

  it('rejects a bad environment name, bad times and bad JSON with 400, a backwards range with 422, and a non-JSON body with 415', async () => {
    const project = shopProject();
    const name = await post('/api/plans', { environment: 'Prod!', project });
    expect(name.status).toBe(400);
    expect(name.body.error.message).toContain('invalid environment name "Prod!"');
    const start = await post('/api/plans', { environment: 'dev', project, start: 'someday' });
    expect(start.status).toBe(400);
    expect(start.body.error.message).toMatch(/^start "someday" is not a time/);
    const order = await post('/api/plans', {
      environment: 'dev',
      project,
      start: '2026-11-21',
      end: '2026-11-20',
    });
    expect(order.status).toBe(422);
    expect(order.body.error.details).toEqual({ field: 'end' });
    const malformed = await contract.call(app, 'POST', '/api/plans', {
      token,
      raw: '{"environment": "prod",',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const text = await contract.call(app, 'POST', '/api/plans', {
      token,
      raw: 'environment=prod',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');
    expect(await tableCounts(state.db)).toMatchObject({ plans: 0, audit_log: 0 });
  });

  it('refuses start and end on prod and a range that ends before it starts with 400 naming the field, and stores nothing', async () => {
    await seedShop(state.db);
    const before = await tableCounts(state.db);
    const project = shopProject();
    const prodMessage =
      "a plan for prod covers every interval from each model's start: start and end may only narrow the plan of a development environment";
    for (const autoApply of [false, true]) {
      const both = await post('/api/plans', {
        environment: 'prod',
        project,
        start: '2026-11-01',
        end: '2026-11-02',
        autoApply,
      });
      expect(both.status).toBe(400);
      expect(both.body.error).toEqual({
        code: 'bad_request',
        message: prodMessage,
        details: { field: 'start' },
      });
      const end = await post('/api/plans', { environment: 'prod', project, end: '2026-11-02', autoApply });
      expect(end.status).toBe(400);
      expect(end.body.error).toEqual({
        code: 'bad_request',
        message: prodMessage,
        details: { field: 'end' },
      });
    }
    const backwards = await post('/api/plans', {
      environment: 'dev',
      project,
      start: '2026-11-21',
      end: '2026-11-19',
    });
    expect(backwards.status).toBe(422);
    expect(backwards.body.error).toEqual({
      code: 'invalid_range',
      message:
        'end "2026-11-19" must be after start "2026-11-21" (the range is [2026-11-21T00:00:00.000Z, 2026-11-20T00:00:00.000Z))',
      details: { field: 'end' },
    });
    // epoch milliseconds far outside any model's life are refused by the shared range check
    const ancient = await post('/api/plans', { environment: 'dev', project, start: -99999999999999 });
    expect(ancient.status).toBe(422);
    expect(ancient.body.error).toMatchObject({ code: 'invalid_range', details: { field: 'start' } });
    expect(ancient.body.error.message).toMatch(
      /^start \(-99999999999999\) is out of range: give a time from 1900/,
    );
    const unreadable = await post('/api/plans', { environment: 'dev', project, end: 'the day after' });
    expect(unreadable.status).toBe(400);
    expect(unreadable.body.error.message).toMatch(/^end "the day after" is not a time: use /);
    expect(unreadable.body.error.details).toEqual({ field: 'end' });
    for (const r of [backwards, unreadable]) expect(r.body.error.message).not.toContain('\n');
    expect(await tableCounts(state.db)).toEqual(before);
  });

  it('refuses a body over the limit with 413 and stores nothing', async () => {
    const small = testApp({ db: state.db, client: temporal.client, now: () => NOW, maxPlanBodyBytes: 2_000 });
    const r = await contract.call(small, 'POST', '/api/plans', {
      token,
      body: { environment: 'prod', project: shopProject() },
    });
    expect(r.status).toBe(413);
    expect(r.body.error).toEqual({
      code: 'payload_too_large',
      message: 'request body is larger than 2000 bytes',
      details: { limit: 2000 },
    });
    const pause = await contract.call(small, 'POST', '/api/environments/prod/pause', {
      token,
      body: { reason: 'x'.repeat(2_000_000) },
    });
    expect(pause.status).toBe(413);
    expect(await tableCounts(state.db)).toMatchObject({ plans: 0 });
  });

  it('refuses to apply an unknown, applied, empty or stale plan, marks the refused ones rejected, and leaves a queueable one pending when Temporal is down', async () => {
    const unknown = await post('/api/plans/nope/apply', undefined);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('unknown plan "nope"');

    const seeded = await seedShop(state.db);
    const applied = await post(`/api/plans/${seeded.planId}/apply`, undefined);
    expect(applied.status).toBe(409);
    expect(applied.body.error.message).toBe(
      `plan ${seeded.planId} is applied; compute a new plan to change environment prod`,
    );

    const same = await post('/api/plans', { environment: 'prod', project: shopProject() });
    expect(same.body.changes).toBe(false);
    const empty = await post(`/api/plans/${same.body.id}/apply`, undefined);
    expect(empty.status).toBe(409);
    expect(empty.body.error.message).toBe(
      `plan ${same.body.id} changes nothing in environment prod; there is nothing to apply`,
    );
    const shown = await contract.call(app, 'GET', `/api/plans/${same.body.id}`, { token });
    expect(shown.body).toMatchObject({ status: 'rejected', error: empty.body.error.message });
    expect(shown.body.finishedAt).not.toBeNull();

    const changed = withModel(shopProject(), 'marts.customer_orders', (m) => {
      m.query = `${m.query}\nWHERE 1 = 1`;
    });
    const modified = await post('/api/plans', { environment: 'prod', project: changed });
    expect(modified.body.diff.directlyModified).toEqual(['marts.customer_orders']);

    const down = await post(`/api/plans/${modified.body.id}/apply`, undefined);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('temporal_unavailable');
    expect((await getPlan(state.db, modified.body.id))?.status).toBe('pending');
    expect((await listAudit(state.db, { action: 'plan.apply' })).items).toEqual([]);

    // another change lands in prod first: the plan no longer applies
    await promoteEnvironment(state.db, 'prod', {}, null);
    const stale = await post(`/api/plans/${modified.body.id}/apply`, undefined);
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toMatch(
      new RegExp(`^plan ${modified.body.id} cannot be applied: environment "prod" changed since plan`),
    );
    const rejected = await getPlan(state.db, modified.body.id);
    expect(rejected).toMatchObject({ status: 'rejected', error: stale.body.error.message });
    const again = await post(`/api/plans/${modified.body.id}/apply`, undefined);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(
      `plan ${modified.body.id} was rejected: ${stale.body.error.message}; compute a new plan to change environment prod`,
    );
    expect((await getPlan(state.db, modified.body.id))?.error).toBe(stale.body.error.message);
    const audit = await listAudit(state.db, { action: 'plan.reject' });
    expect(audit.items.map((a) => [a.target, a.reason])).toEqual([
      [modified.body.id, stale.body.error.message],
      [same.body.id, empty.body.error.message],
    ]);
  });

  it('with autoApply and Temporal down answers 503 and leaves the plan pending, as a reviewed plan is left', async () => {
    await seedShop(state.db);
    const changed = withModel(shopProject(), 'marts.customer_orders', (m) => {
      m.query = `${m.query}\nWHERE 2 = 2`;
    });
    const r = await post('/api/plans', { environment: 'prod', project: changed, autoApply: true });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('temporal_unavailable');
    const plans = await queryRows(
      state.db,
      sql`select id, status, recompute_on_turn from sluice.plans where submitted_by <> 'seed'`,
    );
    expect(plans).toEqual([expect.objectContaining({ status: 'pending', recompute_on_turn: true })]);
    expect((await listAudit(state.db, { action: 'plan.apply' })).items).toEqual([]);
  });
});
