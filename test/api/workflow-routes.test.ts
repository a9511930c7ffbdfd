/**
 * The routes that act on environment workflows, against a real stack: a Temporal dev server, the
 * scheduler worker, run and apply executors, and prod planned from the quickstart example. Pauses
 * and resumes reach the workflow and the audit log, runs and restatements execute and can be
 * followed as Server-Sent Events through a listening server, plans are stored pending, applied
 * through the queue, and refused (and marked rejected) when stale or behind another plan; plans
 * auto-applied at once all queue, apply in submission order, each computed again on its turn.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { createApiToken } from '../../api/auth/tokens.ts';
import { type ApiServer, startApiServer } from '../../api/server.ts';
import { loadProject } from '../../core/project/load.ts';
import type { Project } from '../../core/project/types.ts';
import { listAudit } from '../../state/audit-log.ts';
import { testApp } from './support/app.ts';
import { type Body, Contract } from './support/contract.ts';
import { eventually, startTestStack, type TestStack } from './support/stack.ts';
import { tableCounts } from './support/state.ts';

let t: TestStack;
let app: SluiceApp;
let contract: Contract;
let server: ApiServer;
let operator: string;
let deployer: string;
let operatorActor: string;

beforeAll(async () => {
  t = await startTestStack('api_workflows');
  const op = await createApiToken(t.state.db, {
    name: 'oncall',
    role: 'operator',
    environments: ['*'],
    createdBy: 'tests',
  });
  operator = op.token;
  operatorActor = `oncall (${op.record.id})`;
  deployer = (
    await createApiToken(t.state.db, {
      name: 'ci',
      role: 'deployer',
      environments: ['*'],
      createdBy: 'tests',
    })
  ).token;
  app = testApp({ db: t.state.db, client: t.stack.client, temporalTimeoutMs: 15_000, eventPollMs: 100 });
  contract = await Contract.of(app);
  server = await startApiServer({
    db: t.state.db,
    client: t.stack.client,
    host: '127.0.0.1',
    port: 0,
    eventPollMs: 100,
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await t?.dispose();
});

const call = (method: string, path: string, token: string, body?: unknown) =>
  contract.call(app, method, path, { token, body });

function quickstart(): Project {
  return loadProject(t.project);
}

describe('with a running stack', () => {
  it('reports health as ok', async () => {
    const r = await contract.call(app, 'GET', '/api/health', { token: operator });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'ok',
      temporal: { reachable: true },
      database: { reachable: true },
    });
  });

  it("shows prod with the workflow's live state", async () => {
    const r = await call('GET', '/api/environments/prod', operator);
    expect(r.status).toBe(200);
    expect(r.body.workflow).toMatchObject({ running: true, error: null, applyingPlan: null });
    expect(r.body.workflow.details).toMatch(/sleeping until|running/);
    const heartbeat = r.body.models.find((m: Body) => m.name === 'shop.minute_heartbeat');
    expect(heartbeat).toMatchObject({ cron: '* * * * *', scheduled: true, paused: null });
    expect(Date.parse(heartbeat.nextRun) - Date.now()).toBeLessThanOrEqual(60_000);
  });

  it('pauses and resumes a model: the workflow shows it, the audit log names the token, repeats are conflicts', async () => {
    const before = await tableCounts(t.state.db);
    const unknown = await call('POST', '/api/environments/prod/pauses', operator, {
      model: 'shop.nothing',
      reason: 'x',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('environment "prod" has no model "shop.nothing"');
    expect((await tableCounts(t.state.db)).audit_log).toBe(before.audit_log);

    const paused = await call('POST', '/api/environments/prod/pauses', operator, {
      model: 'shop.customer_totals',
      reason: 'late source data',
    });
    expect(paused.status).toBe(202);
    expect(paused.body).toEqual({
      environment: 'prod',
      model: 'shop.customer_totals',
      action: 'pause',
      reason: 'late source data',
      actor: operatorActor,
      confirmed: true,
    });
    const pauses = await call('GET', '/api/environments/prod/pauses', operator);
    expect(pauses.body.items).toEqual([
      expect.objectContaining({
        model: 'shop.customer_totals',
        reason: 'late source data',
        pausedBy: operatorActor,
        blocks: ['shop.customer_totals', 'shop.top_customers'],
      }),
    ]);
    const again = await call('POST', '/api/environments/prod/pauses', operator, {
      model: 'shop.customer_totals',
      reason: 'still late',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(
      /^model shop\.customer_totals in environment prod is already paused \(by oncall/,
    );

    const audit = await eventually(
      () => listAudit(t.state.db, { action: 'model.pause' }),
      (page) => page.items.length === 1,
      'the pause in the audit log',
    );
    expect(audit.items[0]).toMatchObject({
      actor: operatorActor,
      target: 'shop.customer_totals',
      environment: 'prod',
      reason: 'late source data',
    });

    const resumed = await call('DELETE', '/api/environments/prod/pauses/shop.customer_totals', operator);
    expect(resumed.status).toBe(202);
    expect(resumed.body).toMatchObject({ action: 'resume', confirmed: true });
    const twice = await call('DELETE', '/api/environments/prod/pauses/shop.customer_totals', operator);
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toBe('model shop.customer_totals in environment prod is not paused');
    await eventually(
      () => listAudit(t.state.db, { action: 'model.resume' }),
      (page) => page.items.length === 1,
      'the resume in the audit log',
    );
  });

  it('pauses and resumes the whole environment', async () => {
    const paused = await call('POST', '/api/environments/prod/pause', operator, {
      reason: 'warehouse upgrade',
    });
    expect(paused.status).toBe(202);
    expect(paused.body.confirmed).toBe(true);
    const detail = await call('GET', '/api/environments/prod', operator);
    expect(detail.body.paused).toBe(true);
    expect(detail.body.pause).toMatchObject({ reason: 'warehouse upgrade', actor: operatorActor });
    expect(
      detail.body.models.every((m: Body) => m.blockedReason === 'environment paused: warehouse upgrade'),
    ).toBe(true);
    const schedules = await call('GET', '/api/schedules?environment=prod', operator);
    expect(schedules.body.items.every((s: Body) => s.paused)).toBe(true);
    expect((await call('POST', '/api/environments/prod/pause', operator, { reason: 'again' })).status).toBe(
      409,
    );
    const resumed = await call('POST', '/api/environments/prod/resume', operator);
    expect(resumed.status).toBe(202);
    expect(resumed.body.confirmed).toBe(true);
    expect((await call('POST', '/api/environments/prod/resume', operator)).status).toBe(409);
  });

  it('restates a range and streams the run as Server-Sent Events until it ends', async () => {
    const unknown = await call('POST', '/api/environments/prod/runs', operator, { models: ['shop.nope'] });
    expect(unknown.status).toBe(404);
    const bad = await call('POST', '/api/environments/prod/runs', operator, {
      models: ['shop.daily_orders'],
      restate: { start: '2026-11-08', end: '2026-11-01' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual({ field: 'restate.end' });

    const r = await call('POST', '/api/environments/prod/runs', operator, {
      models: ['shop.daily_orders'],
      restate: { start: '2026-11-01', end: '2026-11-07' },
    });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      environment: 'prod',
      trigger: 'restatement',
      models: ['shop.daily_orders'],
      restate: { start: '2026-11-01T00:00:00.000Z', end: '2026-11-08T00:00:00.000Z' },
    });
    const runId: string = r.body.runId;
    expect(runId).toMatch(/^sluice-run-prod-restatement-/);
    await eventually(
      () => call('GET', `/api/runs/${runId}`, operator),
      (res) => res.status === 200,
      'the run',
    );

    const response = await fetch(`${server.url}/api/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${operator}` },
    });
    expect(response.status).toBe(200);
    const stream = await contract.read('GET', `/api/runs/${runId}/events`, response);
    const events = stream.text
      .split('\n\n')
      .filter((block: string) => block.includes('data:'))
      .map((block: string) => {
        const lines = block.split('\n');
        return {
          event: lines.find((l) => l.startsWith('event:'))!.slice(7),
          data: JSON.parse(lines.find((l) => l.startsWith('data:'))!.slice(6)),
        };
      });
    expect(events[0]!.event).toBe('run');
    expect(events.at(-1)!.event).toBe('end');
    expect(events.at(-1)!.data).toMatchObject({ id: runId, status: 'succeeded', trigger: 'restatement' });
    const executions = events.filter((e) => e.event === 'execution').map((e) => e.data);
    expect(executions.length).toBeGreaterThan(0);
    expect(executions.at(-1)).toMatchObject({ model: 'shop.daily_orders', status: 'succeeded' });
    for (const e of executions)
      contract.check('GET', `/api/runs/${runId}`, 200, 'application/json', {
        ...events.at(-1)!.data,
        executions: [e],
      });

    const detail = await call('GET', `/api/runs/${runId}`, operator);
    expect(detail.body.executions.every((e: Body) => e.status === 'succeeded')).toBe(true);
    const restated = detail.body.executions.filter((e: Body) => e.model === 'shop.daily_orders');
    expect(restated[0].interval.start).toBe('2026-11-01T00:00:00.000Z');
    const log = await call('GET', `/api/runs/${runId}/executions/${restated[0].id}/log`, operator);
    expect(log.status).toBe(200);
    expect(log.body.renderedSql ?? log.body.statements[0]?.sql).toMatch(/raw_orders/);
    const audit = await listAudit(t.state.db, { action: 'run.restate' });
    expect(audit.items[0]).toMatchObject({ actor: operatorActor, target: runId, environment: 'prod' });
  });

  it('stores a plan pending, applies it through the queue, and refuses a second apply and a plan behind it', async () => {
    const project = quickstart();
    const model = project.models.find((m) => m.name === 'shop.top_customers')!;
    model.query = model.query.replace('LIMIT 5', 'LIMIT 3');
    const created = await call('POST', '/api/plans', deployer, { environment: 'prod', project });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', changes: true });
    expect(created.body.diff.directlyModified).toEqual(['shop.top_customers']);
    const planId: string = created.body.id;

    const rival = await call('POST', '/api/plans', deployer, { environment: 'prod', project: quickstart() });
    expect(rival.body.changes).toBe(false);
    const other = quickstart();
    const otherModel = other.models.find((m) => m.name === 'shop.top_customers')!;
    otherModel.query = otherModel.query.replace('LIMIT 5', 'LIMIT 4');
    const behind = await call('POST', '/api/plans', deployer, { environment: 'prod', project: other });
    expect(behind.body.changes).toBe(true);

    const applied = await call('POST', `/api/plans/${planId}/apply`, deployer);
    expect(applied.status).toBe(202);
    expect(applied.body).toMatchObject({ planId, environment: 'prod', position: 1 });
    expect(['queued', 'applying', 'applied']).toContain(applied.body.status);

    const twice = await call('POST', `/api/plans/${planId}/apply`, deployer);
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toMatch(
      new RegExp(`^plan ${planId} is (already queued|already applying|applied)`),
    );

    const second = await call('POST', `/api/plans/${behind.body.id}/apply`, deployer);
    expect(second.status).toBe(409);
    expect(second.body.error.message).toMatch(
      new RegExp(
        `^plan ${planId} is already queued for environment prod at position 1|^plan ${behind.body.id} cannot be applied: environment "prod" changed`,
      ),
    );
    const refused = await call('GET', `/api/plans/${behind.body.id}`, deployer);
    expect(refused.body).toMatchObject({ status: 'rejected', error: second.body.error.message });

    const done = await eventually(
      () => call('GET', `/api/plans/${planId}`, deployer),
      (res) => res.body.status === 'applied' || res.body.status === 'failed',
      'the plan to be applied',
      120_000,
    );
    expect(done.body).toMatchObject({ status: 'applied', error: null });
    const env = await call('GET', '/api/environments/prod', deployer);
    expect(env.body.planId).toBe(planId);
    const again = await call('POST', `/api/plans/${behind.body.id}/apply`, deployer);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe(
      `plan ${behind.body.id} was rejected: ${second.body.error.message}; compute a new plan to change environment prod`,
    );
    const audit = await listAudit(t.state.db, { action: 'plan.apply' });
    expect(audit.items.map((a) => a.target)).toEqual([planId]);
  });

  it('refuses a reviewed plan whose environment changed since it was computed with 409, and marks it rejected', async () => {
    const reviewed = await call('POST', '/api/plans', deployer, {
      environment: 'prod',
      project: withTopCustomers(8),
    });
    expect(reviewed.body).toMatchObject({ status: 'pending', changes: true, recomputeOnTurn: false });
    const meanwhile = await call('POST', '/api/plans', deployer, {
      environment: 'prod',
      project: withTopCustomers(9),
      autoApply: true,
    });
    expect(meanwhile.status).toBe(202);
    await eventually(
      () => call('GET', `/api/plans/${meanwhile.body.id}`, deployer),
      (res) => res.body.status === 'applied',
      'the auto-applied plan to be applied',
      120_000,
    );
    const stale = await call('POST', `/api/plans/${reviewed.body.id}/apply`, deployer);
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toBe(
      `plan ${reviewed.body.id} cannot be applied: environment "prod" changed since plan "${reviewed.body.id}" ` +
        'was computed (shop.top_customers): compute the plan again',
    );
    const shown = await call('GET', `/api/plans/${reviewed.body.id}`, deployer);
    expect(shown.body).toMatchObject({
      status: 'rejected',
      error: stale.body.error.message,
      diff: reviewed.body.diff,
    });
  });

  it('queues plans auto-applied at once: all accepted, applied in submission order, each computed against the one before', async () => {
    const before = await call('GET', `/api/environments/prod`, deployer);
    const limits = [21, 22, 23, 24, 25];
    const responses = await Promise.all(
      limits.map((limit) =>
        call('POST', '/api/plans', deployer, {
          environment: 'prod',
          project: withTopCustomers(limit),
          autoApply: true,
        }),
      ),
    );
    for (const r of responses) {
      expect(r.status).toBe(202);
      expect(['queued', 'applying', 'applied']).toContain(r.body.status);
      if (r.body.queuePosition > 1) expect(r.body.recomputeOnTurn).toBe(true);
    }
    const ids: string[] = responses.map((r) => r.body.id);
    const plans = await Promise.all(
      ids.map((id) =>
        eventually(
          () => call('GET', `/api/plans/${id}`, deployer),
          (res) => !['pending', 'queued', 'applying'].includes(res.body.status),
          `plan ${id} to be applied`,
          180_000,
        ).then((res) => res.body),
      ),
    );
    expect(plans.map((p) => [p.status, p.error])).toEqual(ids.map(() => ['applied', null]));

    // submission order is the order in which the environment's workflow accepted them
    const submitted = await submissionOrder(ids);
    expect([...submitted].sort()).toEqual([...ids].sort());
    const inOrder = submitted.map((id) => plans.find((p) => p.id === id));
    const started = [...inOrder].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    expect(started.map((p) => p.id)).toEqual(submitted);
    for (let i = 1; i < inOrder.length; i++) {
      expect(Date.parse(inOrder[i].startedAt)).toBeGreaterThanOrEqual(Date.parse(inOrder[i - 1].finishedAt));
    }
    // each diff is relative to the environment the plan before it left
    let previous: Record<string, string> = Object.fromEntries(
      before.body.models.map((m: Body) => [m.name, m.snapshotId]),
    );
    for (const plan of inOrder) {
      expect(plan.diff.previousSnapshotMap).toEqual(previous);
      expect(plan.changes).toBe(true);
      expect(plan.diff.directlyModified).toEqual(['shop.top_customers']);
      previous = plan.diff.snapshotMap;
    }
    // the scenario holds: plans computed against the same prod, the later ones computed again
    const computedAgain = responses.filter(
      (r) => JSON.stringify(r.body.diff) !== JSON.stringify(plans.find((p) => p.id === r.body.id).diff),
    );
    expect(computedAgain.length).toBeGreaterThan(0);
    expect(computedAgain.every((r) => r.body.recomputeOnTurn)).toBe(true);
    const after = await call('GET', '/api/environments/prod', deployer);
    expect(after.body.planId).toBe(submitted.at(-1));
    expect(Object.fromEntries(after.body.models.map((m: Body) => [m.name, m.snapshotId]))).toEqual(previous);
    const audit = await listAudit(t.state.db, { action: 'plan.apply' });
    expect(audit.items.filter((a) => ids.includes(a.target!))).toHaveLength(ids.length);
  });

  it('finishes an auto-applied plan that changes nothing by its turn as applied, with no changes', async () => {
    const first = await call('POST', '/api/plans', deployer, {
      environment: 'prod',
      project: withTopCustomers(31),
      autoApply: true,
    });
    expect(first.status).toBe(202);
    const same = await call('POST', '/api/plans', deployer, {
      environment: 'prod',
      project: withTopCustomers(31),
      autoApply: true,
    });
    expect([201, 202]).toContain(same.status);
    const done = await eventually(
      () => call('GET', `/api/plans/${same.body.id}`, deployer),
      (res) => !['pending', 'queued', 'applying'].includes(res.body.status),
      'the second plan to end',
      120_000,
    );
    expect(done.body).toMatchObject({
      status: 'applied',
      error: null,
      changes: false,
      progress: { step: 'unchanged' },
    });
    expect((await call('GET', `/api/plans/${first.body.id}`, deployer)).body.status).toBe('applied');
    const env = await call('GET', '/api/environments/prod', deployer);
    expect(env.body.planId).toBe(first.body.id);

    // nothing queued and nothing to change: applied as soon as it is stored
    await eventually(
      () => call('GET', '/api/environments/prod', deployer),
      (res) => res.body.workflow.applyingPlan === null && res.body.workflow.plansQueued.length === 0,
      "prod's plan queue to empty",
    );
    const idle = await call('POST', '/api/plans', deployer, {
      environment: 'prod',
      project: withTopCustomers(31),
      autoApply: true,
    });
    expect(idle.status).toBe(201);
    expect(idle.body).toMatchObject({
      status: 'applied',
      changes: false,
      recomputeOnTurn: false,
      queuePosition: null,
    });
  });
});

function withTopCustomers(limit: number): Project {
  const project = quickstart();
  const model = project.models.find((m) => m.name === 'shop.top_customers')!;
  model.query = model.query.replace(/LIMIT \d+/, `LIMIT ${limit}`);
  return project;
}

/** The plans among `ids` in the order prod's workflow accepted their submitPlan updates. */
async function submissionOrder(ids: string[]): Promise<string[]> {
  const history = await t.stack.client.workflow.getHandle('sluice-env-prod').fetchHistory();
  const order: string[] = [];
  for (const event of history.events ?? []) {
    const input = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input;
    if (input?.name !== 'submitPlan') continue;
    const payload = input.args?.payloads?.[0];
    if (!payload) continue;
    const { planId } = defaultPayloadConverter.fromPayload<{ planId: string }>(payload);
    if (ids.includes(planId)) order.push(planId);
  }
  return order;
}
