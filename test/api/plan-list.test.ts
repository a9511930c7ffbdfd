/**
 * `GET /api/plans`: plans newest first, filtered by environment and status, a page at a time, each
 * with its diff counted and how far its backfill got; the same progress on `GET /api/plans/{id}`.
 * On a real state database, Temporal unreachable, as a viewer.
 */

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import { plans } from '../../db/schema.ts';
import {
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../../state/executions.ts';
import { createPlanRecord } from '../../state/plan/record.ts';
import { getPlan, rejectPendingPlan } from '../../state/plans.ts';
import { createRun } from '../../state/runs.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, type Seeded, seedShop, shopProject } from './support/seed.ts';
import { openTestState, type TestState } from './support/state.ts';

describe.each(DRIVERS)('plan list on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let seeded: Seeded;
  let token: string;
  let pending: string;
  let rejected: string;
  const get = (path: string) => contract.call(app, 'GET', path, { token });
  const ids = (body: { items: Array<{ id: string }> }) => body.items.map((p) => p.id);

  beforeAll(async () => {
    state = await openTestState(driver, 'api_plan_list');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW, temporalTimeoutMs: 300 });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    seeded = await seedShop(state.db);
    token = await tokenFor(state.db, 'viewer', ['dev_*']);
    const changed = shopProject();
    const orders = changed.models.find((m) => m.name === 'marts.customer_orders')!;
    orders.query = `${orders.query}\nWHERE 1 = 1`;
    pending = (
      await createPlanRecord({
        db: state.db,
        project: changed,
        environment: 'prod',
        submittedBy: 'ana',
        now: NOW - 60_000,
      })
    ).planId;
    rejected = (
      await createPlanRecord({
        db: state.db,
        project: shopProject(),
        environment: 'dev_x',
        submittedBy: 'bob',
        now: NOW,
      })
    ).planId;
    await rejectPendingPlan(state.db, rejected, 'plan p0 is already queued', NOW);
    // plans are stamped with the clock when stored: pinned here so the order is the test's
    const submitted = (id: string, at: number) =>
      state.db
        .update(plans)
        .set({ submittedAt: new Date(at) })
        .where(eq(plans.id, id));
    await submitted(seeded.planId, NOW - 48 * 3_600_000);
    await submitted(pending, NOW - 3_600_000);
    await submitted(rejected, NOW);
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it('lists plans newest first with their diff counted, filtered by environment and status, a page at a time', async () => {
    const all = await get('/api/plans');
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual([rejected, pending, seeded.planId]);
    const [rejectedItem, pendingItem, appliedItem] = all.body.items;
    expect(rejectedItem).toMatchObject({
      environment: 'dev_x',
      status: 'rejected',
      submittedBy: 'bob',
      error: 'plan p0 is already queued',
      finishedAt: new Date(NOW).toISOString(),
    });
    expect(pendingItem).toMatchObject({
      environment: 'prod',
      status: 'pending',
      submittedBy: 'ana',
      startedAt: null,
      counts: { added: 0, removed: 0, directlyModified: 1, indirectlyModified: 0, metadataOnly: 0 },
    });
    const diff = (await getPlan(state.db, seeded.planId))!.diff as PlanDiff;
    expect(appliedItem).toMatchObject({
      status: 'applied',
      counts: { added: 6, removed: 0, directlyModified: 0, indirectlyModified: 0, metadataOnly: 0 },
      backfillProgress: {
        models: { done: 0, total: diff.backfill.length },
        batches: {
          done: 0,
          total: diff.backfill.reduce((n, b) => n + (b.execution === 'single' ? 1 : b.intervals.length), 0),
        },
      },
    });
    expect(appliedItem).not.toHaveProperty('diff');

    expect(ids((await get('/api/plans?environment=prod')).body)).toEqual([pending, seeded.planId]);
    expect(ids((await get('/api/plans?status=applied,rejected')).body)).toEqual([rejected, seeded.planId]);
    expect(ids((await get('/api/plans?environment=prod&status=rejected')).body)).toEqual([]);
    const halfHourAgo = encodeURIComponent(new Date(NOW - 30 * 60_000).toISOString());
    expect(ids((await get(`/api/plans?until=${halfHourAgo}`)).body)).toEqual([pending, seeded.planId]);
    expect(ids((await get(`/api/plans?since=${halfHourAgo}`)).body)).toEqual([rejected]);

    const first = await get('/api/plans?limit=2');
    expect(ids(first.body)).toEqual([rejected, pending]);
    const second = await get(`/api/plans?limit=2&cursor=${first.body.nextCursor}`);
    expect(ids(second.body)).toEqual([seeded.planId]);
    expect(second.body.nextCursor).toBeNull();
  });

  it("counts the backfill done from the executions of the plan's runs, in the list and on the plan", async () => {
    const diff = (await getPlan(state.db, seeded.planId))!.diff as PlanDiff;
    const seed = diff.backfill.find((b) => b.model === 'staging.stg_customers')!;
    const orders = diff.backfill.find((b) => b.model === 'staging.stg_orders')!;
    const runId = 'sluice-plan-run-1';
    await createRun(state.db, {
      id: runId,
      environment: 'prod',
      trigger: 'plan',
      scheduledAt: NOW,
      planId: seeded.planId,
      status: 'running',
    });
    const batches: Array<[string, string, [number, number] | null, 'succeeded' | 'failed']> = [
      ['b1', seed.model, null, 'succeeded'],
      ['b2', orders.model, orders.intervals[0]! as [number, number], 'succeeded'],
      ['b3', orders.model, orders.intervals[1]! as [number, number], 'failed'],
    ];
    for (const [id, model, interval, status] of batches) {
      await recordExecutionQueued(state.db, {
        id,
        runId,
        model,
        snapshotId: diff.snapshotMap[model]!,
        interval,
        queuedAt: NOW,
      });
      await recordExecutionStarted(state.db, id, { attempt: 1, executor: 'apply@test', at: NOW });
      await recordExecutionFinished(state.db, id, { status, at: NOW + 1_000 });
    }
    const listed = (await get('/api/plans?environment=prod&status=applied')).body.items[0];
    expect(listed.backfillProgress.models.done).toBe(1);
    expect(listed.backfillProgress.batches.done).toBe(2);
    const shown = await get(`/api/plans/${seeded.planId}`);
    expect(shown.status).toBe(200);
    expect(shown.body.backfillProgress).toEqual(listed.backfillProgress);
  });

  it('refuses bad filters naming them, and names an unknown environment', async () => {
    const status = await get('/api/plans?status=done');
    expect(status.status).toBe(400);
    expect(status.body.error.message).toContain('query.status: unknown status "done"');
    const env = await get('/api/plans?environment=Prod');
    expect(env.status).toBe(400);
    expect(env.body.error.message).toContain('query.environment');
    const cursor = await get('/api/plans?cursor=nope');
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.message).toMatch(/^cursor is not one this list returned/);
    const since = await get('/api/plans?since=soon');
    expect(since.status).toBe(400);
    expect(since.body.error.message).toMatch(/^since "soon" is not a time/);
    expect((await get('/api/plans?limit=0')).status).toBe(400);
    const unknown = await get('/api/plans?environment=staging');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('"staging"');
    // without a token, nothing
    expect((await contract.call(app, 'GET', '/api/plans')).status).toBe(401);
  });
});
