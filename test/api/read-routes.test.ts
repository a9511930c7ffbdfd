/**
 * The read routes against a real state database (PostgreSQL and PGlite) with Temporal unreachable:
 * what they show comes from the state DB, the workflow's part says why it is missing, and every
 * response matches the OpenAPI document.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { environmentSnapshotMap } from '../../state/environments.ts';
import {
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../../state/executions.ts';
import { pause } from '../../state/pauses.ts';
import { createRun } from '../../state/runs.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, type Seeded, seedShop } from './support/seed.ts';
import { openTestState, type TestState } from './support/state.ts';

describe.each(DRIVERS)('read routes on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let seeded: Seeded;
  let token: string;
  const get = (path: string) => contract.call(app, 'GET', path, { token });

  beforeAll(async () => {
    state = await openTestState(driver, 'api_read');
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

  it('lists environments with their model count and pauses', async () => {
    await pause(state.db, {
      environment: 'prod',
      model: 'staging.stg_orders',
      reason: 'late',
      pausedBy: 'bob',
    });
    const r = await get('/api/environments');
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items[0]).toMatchObject({
      name: 'prod',
      planId: seeded.planId,
      modelCount: 6,
      paused: false,
      pausedModels: ['staging.stg_orders'],
    });
  });

  it("shows an environment's models with cron, time zone, next run and last execution, from the DB when the workflow cannot be asked", async () => {
    await pause(state.db, {
      environment: 'prod',
      model: 'staging.stg_orders',
      reason: 'late data',
      pausedBy: 'bob',
    });
    const r = await get('/api/environments/prod');
    expect(r.status).toBe(200);
    expect(r.body.workflow.running).toBe(false);
    expect(r.body.workflow.error).toMatch(/Temporal|no answer/);
    const byName = Object.fromEntries(r.body.models.map((m: { name: string }) => [m.name, m]));
    expect(Object.keys(byName).sort()).toEqual([
      'ephemeral.order_lines',
      'marts.customer_orders',
      'marts.daily_revenue',
      'marts.orders_view',
      'staging.stg_customers',
      'staging.stg_orders',
    ]);
    expect(byName['marts.daily_revenue']).toMatchObject({
      kind: 'INCREMENTAL_BY_UNIQUE_KEY',
      cron: '0 6 * * *',
      cronTz: 'America/New_York',
      scheduled: true,
      // 06:00 in New York on 2026-11-26 (EST, UTC-5)
      nextRun: '2026-11-26T11:00:00.000Z',
      lastExecution: {
        executionId: 'exec-bad',
        status: 'failed',
        error: 'relation "raw.orders" does not exist',
      },
    });
    expect(byName['staging.stg_orders'].paused).toMatchObject({ reason: 'late data', actor: 'bob' });
    expect(byName['staging.stg_orders'].lastExecution).toMatchObject({
      executionId: 'exec-busy',
      status: 'running',
    });
    expect(byName['marts.customer_orders'].blockedReason).toBe('upstream staging.stg_orders is paused');
    expect(byName['staging.stg_customers']).toMatchObject({ kind: 'SEED', scheduled: false, nextRun: null });
  });

  it('names the unknown environment in a 404', async () => {
    const r = await get('/api/environments/staging');
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({
      code: 'not_found',
      message: 'unknown environment "staging"; plan a project into it first (sluice plan staging)',
      details: { environment: 'staging' },
    });
  });

  it('lists runs newest first with filters and a keyset cursor', async () => {
    const all = await get('/api/runs');
    expect(all.status).toBe(200);
    expect(all.body.items.map((run: { id: string }) => run.id)).toEqual([
      seeded.runs.running,
      seeded.runs.failed,
      seeded.runs.succeeded,
    ]);
    const failed = await get('/api/runs?status=failed,cancelled&environment=prod');
    expect(failed.body.items.map((run: { id: string }) => run.id)).toEqual([seeded.runs.failed]);
    const manual = await get('/api/runs?trigger=manual');
    expect(manual.body.items).toHaveLength(1);
    const since = await get(
      `/api/runs?since=${encodeURIComponent(new Date(NOW - 4 * 3_600_000).toISOString())}`,
    );
    expect(since.body.items.map((run: { id: string }) => run.id)).toEqual([
      seeded.runs.running,
      seeded.runs.failed,
    ]);

    const first = await get('/api/runs?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/api/runs?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((run: { id: string }) => run.id)).toEqual([seeded.runs.succeeded]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('rejects bad list parameters with 400 naming the parameter', async () => {
    const status = await get('/api/runs?status=done');
    expect(status.status).toBe(400);
    expect(status.body.error.code).toBe('validation_failed');
    expect(status.body.error.message).toContain('query.status: unknown status "done"');
    const cursor = await get('/api/runs?cursor=not-a-cursor');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.message).toMatch(/^cursor is not one this list returned/);
    const since = await get('/api/runs?since=soon');
    expect(since.status).toBe(400);
    expect(since.body.error.message).toMatch(/^since "soon" is not a time/);
    const limit = await get('/api/runs?limit=501');
    expect(limit.status).toBe(400);
    // an unknown environment is named as unknown, not answered with an empty list
    const unknown = await get('/api/runs?environment=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('nope');
  });

  it('shows a run with its executions, and an execution log', async () => {
    const r = await get(`/api/runs/${seeded.runs.succeeded}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: seeded.runs.succeeded, status: 'succeeded', trigger: 'schedule' });
    expect(r.body.executions.map((e: { id: string }) => e.id)).toEqual(['exec-ok', 'exec-full']);
    expect(r.body.executions[0]).toMatchObject({
      model: 'staging.stg_orders',
      interval: { start: '2026-11-24T00:00:00.000Z', end: '2026-11-25T00:00:00.000Z' },
      waitMs: 2_000,
      durationMs: 10_000,
      rowsAffected: 42,
      hasLog: true,
    });
    expect(r.body.executions[0]).not.toHaveProperty('log');
    expect(r.body.executions[1]).toMatchObject({ interval: null, hasLog: false });

    const log = await get(`/api/runs/${seeded.runs.succeeded}/executions/exec-ok/log`);
    expect(log.status).toBe(200);
    expect(log.body).toEqual({
      executionId: 'exec-ok',
      runId: seeded.runs.succeeded,
      model: 'staging.stg_orders',
      status: 'succeeded',
      error: null,
      skipReason: null,
      renderedSql: 'SELECT * FROM raw.orders WHERE order_date BETWEEN 1 AND 2',
      statements: [{ sql: 'INSERT INTO t SELECT 1', durationMs: 9_500, rowsAffected: 42 }],
      notices: ['analyzed'],
    });
    const wrongRun = await get(`/api/runs/${seeded.runs.failed}/executions/exec-ok/log`);
    expect(wrongRun.status).toBe(404);
    expect((await get('/api/runs/nope')).status).toBe(404);
  });

  it("lists a model's executions and 404s an unknown model or environment", async () => {
    const r = await get('/api/models/staging.stg_orders/executions?environment=prod');
    expect(r.status).toBe(200);
    expect(r.body.items.map((e: { id: string }) => e.id)).toEqual(['exec-busy', 'exec-ok']);
    const running = await get('/api/models/staging.stg_orders/executions?status=running');
    expect(running.body.items.map((e: { id: string }) => e.id)).toEqual(['exec-busy']);
    const unknown = await get('/api/models/sales.nothing/executions');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('"sales.nothing"');
    const env = await get('/api/models/staging.stg_orders/executions?environment=dev');
    expect(env.status).toBe(404);
    expect(env.body.error.message).toContain('"dev"');
  });

  it("lists every model's schedule", async () => {
    await pause(state.db, { environment: 'prod', reason: 'freeze', pausedBy: 'carol' });
    const r = await get('/api/schedules?environment=prod');
    expect(r.status).toBe(200);
    const orders = r.body.items.find((s: { model: string }) => s.model === 'staging.stg_orders');
    expect(orders).toMatchObject({
      environment: 'prod',
      cron: '@daily',
      cronTz: 'UTC',
      intervalUnit: 'day',
      nextRun: '2026-11-26T00:00:00.000Z',
      enabled: true,
      paused: true,
      blockedReason: 'environment paused: freeze',
      lastStatus: 'running',
    });
    // a SEED is enabled, yet runs only when a plan applies: no next run
    expect(r.body.items.find((s: { model: string }) => s.model === 'staging.stg_customers')).toMatchObject({
      kind: 'SEED',
      enabled: true,
      scheduled: false,
      nextRun: null,
    });
    expect((await get('/api/schedules')).body.items).toHaveLength(6);
    expect((await get('/api/schedules?environment=qa')).status).toBe(404);
  });

  it('lists the audit log with filters', async () => {
    const r = await get('/api/audit?environment=prod&action=run.trigger');
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([
      expect.objectContaining({ actor: 'alice', action: 'run.trigger', target: seeded.runs.failed }),
    ]);
    expect((await get('/api/audit?actor=nobody')).body.items).toEqual([]);
    expect((await get('/api/audit?cursor=xyz')).status).toBe(400);
  });

  it('shows a stored plan with its diff as text', async () => {
    const r = await get(`/api/plans/${seeded.planId}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: seeded.planId,
      environment: 'prod',
      status: 'applied',
      changes: true,
    });
    expect(r.body.text).toContain('`prod` environment will be initialized');
    expect(r.body.diff.added).toContain('marts.daily_revenue');
    expect((await get('/api/plans/unknown')).status).toBe(404);
  });

  it('reports health as degraded when Temporal does not answer, with success rates from the DB', async () => {
    const r = await contract.call(app, 'GET', '/api/health', { token });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({
      status: 'degraded',
      auth: 'tokens',
      temporal: { reachable: false },
      database: { reachable: true },
      runs: { queued: 0, running: 1 },
    });
    // the seeded executions finished 3 and 6 hours before NOW
    expect(r.body.executions.last24h).toEqual({ finished: 3, succeeded: 2, failed: 1, successRate: 2 / 3 });
    expect(r.body.executions.last100).toEqual({ finished: 3, succeeded: 2, failed: 1, successRate: 2 / 3 });
  });

  it('serves Prometheus metrics from the DB', async () => {
    const r = await contract.call(app, 'GET', '/metrics', { token });
    expect(r.status).toBe(200);
    expect(r.text).toContain('sluice_runs{environment="prod",status="failed"} 1');
    expect(r.text).toContain('sluice_model_executions{environment="prod",status="succeeded"} 2');
    expect(r.text).toContain('sluice_over_scheduled_models{environment="prod"} 0');
    expect(r.text).not.toContain('sluice_model_over_scheduled_ratio{');
    // waits: 2 s, 0.5 s, 1 s, 30 s; durations: 10 s, 6.5 s, 3 s
    expect(r.text).toContain('sluice_model_execution_wait_seconds_bucket{environment="prod",le="1"} 2');
    expect(r.text).toContain('sluice_model_execution_wait_seconds_bucket{environment="prod",le="5"} 3');
    expect(r.text).toContain('sluice_model_execution_wait_seconds_bucket{environment="prod",le="+Inf"} 4');
    expect(r.text).toContain('sluice_model_execution_wait_seconds_sum{environment="prod"} 33.5');
    expect(r.text).toContain('sluice_model_execution_duration_seconds_count{environment="prod"} 3');
    expect(r.text).toContain('sluice_model_execution_duration_seconds_bucket{environment="prod",le="5"} 1');
    // runs: waits 2 s and 0 s, preps 1 s and 0.5 s, run times 18 s and 4.5 s
    expect(r.text).toContain('sluice_run_wait_seconds_count{environment="prod"} 2');
    expect(r.text).toContain('sluice_run_wait_seconds_sum{environment="prod"} 2');
    expect(r.text).toContain('sluice_run_prep_seconds_bucket{environment="prod",le="0.5"} 1');
    expect(r.text).toContain('sluice_run_prep_seconds_sum{environment="prod"} 1.5');
    expect(r.text).toContain('sluice_run_duration_seconds_bucket{environment="prod",le="5"} 1');
    expect(r.text).toContain('sluice_run_duration_seconds_sum{environment="prod"} 22.5');
    expect(r.text).toContain(
      'sluice_api_requests_total{method="GET",route="/api/openapi.json",status="200"} 1',
    );
  });

  it('flags an over-scheduled model on the environment, on the model and in the metrics', async () => {
    // staging.stg_orders (daily) took 40 hours in four more scheduled runs: with its 10 s one, 32 h on average.
    const HOUR = 3_600_000;
    for (const i of [1, 2, 3, 4]) {
      const runId = `sluice-run-prod-slow-${i}`;
      const at = NOW - (10 - 2 * i) * 24 * HOUR;
      await createRun(state.db, {
        id: runId,
        environment: 'prod',
        trigger: 'schedule',
        scheduledAt: at,
        models: ['staging.stg_orders'],
      });
      const id = `${runId}:staging.stg_orders`;
      const snapshotId = (await environmentSnapshotMap(state.db, 'prod'))['staging.stg_orders']!;
      await recordExecutionQueued(state.db, {
        id,
        runId,
        model: 'staging.stg_orders',
        snapshotId,
        interval: null,
        queuedAt: at,
      });
      await recordExecutionStarted(state.db, id, { attempt: 1, executor: 'run@test', at });
      await recordExecutionFinished(state.db, id, { status: 'succeeded', at: at + 40 * HOUR });
    }
    const message =
      'over-scheduled: its last 5 executions took 32 h on average, longer than its cron period of 24 h ' +
      '(@daily); give it a longer cron or larger batches (batch_size)';
    const env = await get('/api/environments/prod');
    expect(env.status).toBe(200);
    const flagged = env.body.models.filter((m: { overScheduled: unknown }) => m.overScheduled !== null);
    expect(flagged).toEqual([
      expect.objectContaining({
        name: 'staging.stg_orders',
        overScheduled: { executions: 5, averageMs: 32 * HOUR + 2_000, periodMs: 24 * HOUR, message },
      }),
    ]);
    const model = await get('/api/environments/prod/models/staging.stg_orders');
    expect(model.body.overScheduled).toMatchObject({ executions: 5, message });
    expect((await get('/api/environments/prod/models/marts.customer_orders')).body.overScheduled).toBeNull();
    const metrics = await contract.call(app, 'GET', '/metrics', { token });
    expect(metrics.text).toContain('sluice_over_scheduled_models{environment="prod"} 1');
    expect(metrics.text).toMatch(
      /sluice_model_over_scheduled_ratio\{environment="prod",model="staging\.stg_orders"\} 1\.33/,
    );
  });
});
