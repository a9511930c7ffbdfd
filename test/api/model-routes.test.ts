/**
 * One model as an environment holds it (`GET /api/environments/{env}/models/{name}`) and each
 * model's missing intervals on the environment page, on a real state database with Temporal
 * unreachable, every response checked against the OpenAPI document.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import type { Project } from '../../core/project/types.ts';
import type { StateDb } from '../../db/client.ts';
import {
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../../state/executions.ts';
import { recordIntervals } from '../../state/intervals.ts';
import { finalizePlan } from '../../state/plan/finalize.ts';
import { createPlanRecord } from '../../state/plan/record.ts';
import { storePlanSnapshots } from '../../state/plan/store-snapshots.ts';
import { updatePlan } from '../../state/plans.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, type Seeded, seedShop, shopProject } from './support/seed.ts';
import { openTestState, type TestState } from './support/state.ts';

const DAY = 86_400_000;
const D = (day: number) => Date.UTC(2026, 10, day);
/** @daily from 2024-01-01 at NOW (12:00 on 2026-11-25): every day up to the 24th is ready. */
const READY_DAYS = (D(25) - Date.UTC(2024, 0, 1)) / DAY;

async function applyTo(db: StateDb, project: Project, environment: string): Promise<string> {
  const { planId, diff } = await createPlanRecord({
    db,
    project,
    environment,
    submittedBy: 'tests',
    now: NOW,
  });
  await storePlanSnapshots({ db, project, diff });
  await updatePlan(db, planId, { status: 'applying' });
  await finalizePlan({ db, diff, planId });
  return planId;
}

describe.each(DRIVERS)('model routes on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let seeded: Seeded;
  let token: string;
  const get = (path: string) => contract.call(app, 'GET', path, { token });

  beforeAll(async () => {
    state = await openTestState(driver, 'api_models');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW, temporalTimeoutMs: 300 });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    seeded = await seedShop(state.db);
    token = await tokenFor(state.db, 'viewer', ['dev_*']);
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  /** stg_orders complete up to half of the 1st and from the 10th to the 20th, failed on the 5th. */
  async function history(): Promise<string> {
    const detail = await get('/api/environments/prod');
    const snapshotId = detail.body.models.find(
      (m: { name: string }) => m.name === 'staging.stg_orders',
    ).snapshotId;
    await recordIntervals(state.db, snapshotId, [
      [Date.UTC(2024, 0, 1), Date.UTC(2025, 6, 1)],
      [Date.UTC(2025, 6, 1), D(1)],
      [Date.UTC(2026, 9, 20), D(1) + DAY / 2],
      [D(10), D(20)],
    ]);
    const failed = await recordExecutionQueued(state.db, {
      id: 'exec-orders-failed',
      runId: seeded.runs.failed,
      model: 'staging.stg_orders',
      snapshotId,
      interval: [D(5), D(6)],
      queuedAt: NOW - 3 * 3_600_000 + 10,
    });
    await recordExecutionStarted(state.db, failed.id, {
      attempt: 2,
      executor: 'run@test',
      at: NOW - 3 * 3_600_000 + 20,
    });
    await recordExecutionFinished(state.db, failed.id, {
      status: 'failed',
      at: NOW - 3 * 3_600_000 + 30,
      error: 'division by zero',
    });
    return snapshotId;
  }

  it('shows the definition, versions, lineage, last batch, coverage and executions of a model', async () => {
    const snapshotId = await history();
    const r = await get('/api/environments/prod/models/staging.stg_orders');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      environment: 'prod',
      name: 'staging.stg_orders',
      snapshotId,
      fingerprint: snapshotId.split('@')[1],
      kind: 'INCREMENTAL_BY_TIME_RANGE',
      cron: '@daily',
      cronTz: 'UTC',
      intervalUnit: 'day',
      start: '2024-01-01T00:00:00.000Z',
      end: null,
      owner: 'data-team',
      enabled: true,
      gateway: 'warehouse',
      scheduled: true,
      nextRun: '2026-11-26T00:00:00.000Z',
      parents: [],
    });
    expect(r.body.definition.header.kind).toMatchObject({
      name: 'INCREMENTAL_BY_TIME_RANGE',
      batchSize: 7,
      lookback: 2,
    });
    expect(r.body.definition.header).not.toHaveProperty('query');
    expect(r.body.definition.query).toContain('FROM raw.orders');
    expect(r.body.definition).toMatchObject({ file: 'models/staging/stg_orders.sql', line: 3 });
    expect(r.body.environments).toEqual([
      { environment: 'prod', snapshotId, fingerprint: snapshotId.split('@')[1], same: true },
    ]);
    expect(r.body.children).toEqual(
      expect.arrayContaining(['ephemeral.order_lines', 'marts.customer_orders', 'marts.orders_view']),
    );
    // the latest execution that left a log is exec-ok (exec-busy is running, the failed one left none)
    expect(r.body.lastBatch).toEqual({
      executionId: 'exec-ok',
      runId: seeded.runs.succeeded,
      status: 'succeeded',
      interval: { start: '2026-11-24T00:00:00.000Z', end: '2026-11-25T00:00:00.000Z' },
      renderedSql: 'SELECT * FROM raw.orders WHERE order_date BETWEEN 1 AND 2',
      statements: [{ sql: 'INSERT INTO t SELECT 1', durationMs: 9_500 }],
    });
    const range = (from: string, to: string, status: string) => ({
      start: `${from}.000Z`,
      end: `${to}.000Z`,
      status,
    });
    expect(r.body.coverage).toEqual({
      start: '2024-01-01T00:00:00.000Z',
      end: '2026-11-25T00:00:00.000Z',
      ranges: [
        // half of the 1st is not the 1st
        range('2024-01-01T00:00:00', '2026-11-01T00:00:00', 'complete'),
        range('2026-11-01T00:00:00', '2026-11-05T00:00:00', 'missing'),
        range('2026-11-05T00:00:00', '2026-11-06T00:00:00', 'failed'),
        range('2026-11-06T00:00:00', '2026-11-10T00:00:00', 'missing'),
        range('2026-11-10T00:00:00', '2026-11-20T00:00:00', 'complete'),
        range('2026-11-20T00:00:00', '2026-11-24T23:00:00', 'missing'),
        // exec-busy runs the last hour of the 24th
        range('2026-11-24T23:00:00', '2026-11-25T00:00:00', 'running'),
      ],
      omitted: 0,
      missingIntervals: 4 + 1 + 4 + 5,
    });
    expect(r.body.executions.items.map((e: { id: string }) => e.id)).toEqual([
      'exec-busy',
      'exec-orders-failed',
      'exec-ok',
    ]);
    expect(r.body.executions.items[1]).toMatchObject({
      status: 'failed',
      error: 'division by zero',
      attempt: 2,
    });
    expect(r.body.executions.nextCursor).toBeNull();
  });

  it('shows where another environment holds another snapshot of the model', async () => {
    const changed = shopProject();
    const orders = changed.models.find((m) => m.name === 'staging.stg_orders')!;
    orders.query = `${orders.query}\nAND 1 = 1`;
    await applyTo(state.db, changed, 'dev_ana');
    await applyTo(state.db, shopProject(), 'dev_bob');
    const r = await get('/api/environments/prod/models/staging.stg_orders');
    expect(r.status).toBe(200);
    const by = Object.fromEntries(
      r.body.environments.map((e: { environment: string }) => [e.environment, e]),
    );
    expect(Object.keys(by)).toEqual(['dev_ana', 'dev_bob', 'prod']);
    expect(by.prod).toMatchObject({ snapshotId: r.body.snapshotId, same: true });
    expect(by.dev_bob).toMatchObject({ snapshotId: r.body.snapshotId, same: true });
    expect(by.dev_ana.same).toBe(false);
    expect(by.dev_ana.snapshotId).not.toBe(r.body.snapshotId);
    const ana = await get('/api/environments/dev_ana/models/staging.stg_orders');
    expect(ana.body.snapshotId).toBe(by.dev_ana.snapshotId);
  });

  it('has no coverage for a kind without intervals, and a model without a logged execution has no last batch', async () => {
    const r = await get('/api/environments/prod/models/staging.stg_customers');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      kind: 'SEED',
      scheduled: false,
      nextRun: null,
      coverage: null,
      lastBatch: null,
    });
    expect(r.body.executions).toEqual({ items: [], nextCursor: null });
    const revenue = await get('/api/environments/prod/models/marts.daily_revenue');
    expect(revenue.body.parents).toEqual([
      'ephemeral.order_lines',
      'staging.stg_customers',
      'staging.stg_orders',
    ]);
    expect(revenue.body.coverage.missingIntervals).toBe(READY_DAYS);
  });

  it('names the unknown environment or model in a 404, and refuses a malformed name', async () => {
    const env = await get('/api/environments/staging/models/staging.stg_orders');
    expect(env.status).toBe(404);
    expect(env.body.error.message).toBe(
      'unknown environment "staging"; plan a project into it first (sluice plan staging)',
    );
    const model = await get('/api/environments/prod/models/staging.nothing');
    expect(model.status).toBe(404);
    expect(model.body.error).toEqual({
      code: 'not_found',
      message: 'environment "prod" has no model "staging.nothing"',
      details: { environment: 'prod', model: 'staging.nothing' },
    });
    const bad = await get('/api/environments/Prod/models/staging.stg_orders');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('env');
    const badModel = await get('/api/environments/prod/models/no-dots');
    expect(badModel.status).toBe(400);
    expect(badModel.body.error.message).toContain('name');
  });

  it("counts each model's missing intervals on the environment page, null for kinds without intervals", async () => {
    await history();
    const r = await get('/api/environments/prod');
    expect(r.status).toBe(200);
    const missing = Object.fromEntries(
      r.body.models.map((m: { name: string; missingIntervals: number | null }) => [
        m.name,
        m.missingIntervals,
      ]),
    );
    expect(missing).toEqual({
      'ephemeral.order_lines': null,
      'marts.customer_orders': READY_DAYS,
      'marts.daily_revenue': READY_DAYS,
      'marts.orders_view': READY_DAYS,
      'staging.stg_customers': null,
      'staging.stg_orders': 4 + 1 + 4 + 5,
    });
  });
});
