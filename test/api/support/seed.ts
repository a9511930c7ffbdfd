/**
 * History for the read routes: the shop fixture applied to `prod` through the real plan steps
 * (computed, stored, snapshots stored, environment promoted), then runs with executions, pauses
 * and audit entries written through the state functions.
 */
import { fileURLToPath } from 'node:url';
import { loadProject } from '../../../core/project/load.ts';
import type { Project } from '../../../core/project/types.ts';
import type { StateDb } from '../../../db/client.ts';
import { appendAudit } from '../../../state/audit-log.ts';
import {
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../../../state/executions.ts';
import { finalizePlan } from '../../../state/plan/finalize.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { storePlanSnapshots } from '../../../state/plan/store-snapshots.ts';
import { updatePlan } from '../../../state/plans.ts';
import { createRun, updateRunStatus } from '../../../state/runs.ts';

export const SHOP = fileURLToPath(new URL('../../fixtures/projects/shop/', import.meta.url));
export const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const HOUR = 3_600_000;

export function shopProject(): Project {
  return loadProject(SHOP, { now: NOW });
}

export interface Seeded {
  planId: string;
  project: Project;
  runs: { succeeded: string; failed: string; running: string };
  executions: { succeeded: string; failed: string; running: string };
}

/** prod from the shop project, and three runs: one succeeded, one failed, one still running. */
export async function seedShop(db: StateDb): Promise<Seeded> {
  const project = shopProject();
  const { planId, diff } = await createPlanRecord({
    db,
    project,
    environment: 'prod',
    submittedBy: 'seed',
    now: NOW - 48 * HOUR,
  });
  await storePlanSnapshots({ db, project, diff });
  await updatePlan(db, planId, { status: 'applying' });
  await finalizePlan({ db, diff, planId });

  const snapshot = (model: string) => diff.snapshotMap[model]!;
  const day = Date.UTC(2026, 10, 24);
  const succeededRun = 'sluice-run-prod-20261125T0600Z';
  await createRun(db, {
    id: succeededRun,
    environment: 'prod',
    trigger: 'schedule',
    scheduledAt: NOW - 6 * HOUR,
    models: ['staging.stg_orders', 'marts.customer_orders'],
  });
  // It waited 2 s for a run slot, prepared for 1 s, and ran for 18 s.
  await updateRunStatus(db, succeededRun, 'running', { at: NOW - 6 * HOUR, readyAt: NOW - 6 * HOUR + 2_000 });
  const ok = await recordExecutionQueued(db, {
    id: 'exec-ok',
    runId: succeededRun,
    model: 'staging.stg_orders',
    snapshotId: snapshot('staging.stg_orders'),
    interval: [day, day + 24 * HOUR],
    queuedAt: NOW - 6 * HOUR,
  });
  await recordExecutionStarted(db, ok.id, { attempt: 1, executor: 'run@test', at: NOW - 6 * HOUR + 2_000 });
  await recordExecutionFinished(db, ok.id, {
    status: 'succeeded',
    at: NOW - 6 * HOUR + 12_000,
    rowsAffected: 42,
    log: {
      renderedSql: 'SELECT * FROM raw.orders WHERE order_date BETWEEN 1 AND 2',
      statements: [{ sql: 'INSERT INTO t SELECT 1', durationMs: 9_500, rowsAffected: 42 }],
      notices: ['analyzed'],
    },
  });
  const full = await recordExecutionQueued(db, {
    id: 'exec-full',
    runId: succeededRun,
    model: 'marts.customer_orders',
    snapshotId: snapshot('marts.customer_orders'),
    interval: null,
    queuedAt: NOW - 6 * HOUR + 13_000,
  });
  await recordExecutionStarted(db, full.id, {
    attempt: 1,
    executor: 'run@test',
    at: NOW - 6 * HOUR + 13_500,
  });
  await recordExecutionFinished(db, full.id, {
    status: 'succeeded',
    at: NOW - 6 * HOUR + 20_000,
    rowsAffected: 7,
  });
  await updateRunStatus(db, succeededRun, 'succeeded', {
    at: NOW - 6 * HOUR + 21_000,
    firstStatementAt: NOW - 6 * HOUR + 3_000,
  });

  const failedRun = 'sluice-run-prod-manual-20261125T0900Z-1f2e3d4c';
  await createRun(db, {
    id: failedRun,
    environment: 'prod',
    trigger: 'manual',
    scheduledAt: NOW - 3 * HOUR,
    models: ['marts.daily_revenue'],
    triggeredBy: 'alice',
  });
  await updateRunStatus(db, failedRun, 'running', { at: NOW - 3 * HOUR, readyAt: NOW - 3 * HOUR });
  const bad = await recordExecutionQueued(db, {
    id: 'exec-bad',
    runId: failedRun,
    model: 'marts.daily_revenue',
    snapshotId: snapshot('marts.daily_revenue'),
    interval: [day, day + 24 * HOUR],
    queuedAt: NOW - 3 * HOUR,
  });
  await recordExecutionStarted(db, bad.id, { attempt: 1, executor: 'run@test', at: NOW - 3 * HOUR + 1_000 });
  await recordExecutionFinished(db, bad.id, {
    status: 'failed',
    at: NOW - 3 * HOUR + 4_000,
    error: 'relation "raw.orders" does not exist',
  });
  await updateRunStatus(db, failedRun, 'failed', {
    at: NOW - 3 * HOUR + 5_000,
    error: '1 model failed',
    firstStatementAt: NOW - 3 * HOUR + 500,
  });

  const runningRun = 'sluice-run-prod-20261125T1100Z';
  await createRun(db, {
    id: runningRun,
    environment: 'prod',
    trigger: 'schedule',
    scheduledAt: NOW - HOUR,
    models: ['staging.stg_orders'],
  });
  await updateRunStatus(db, runningRun, 'running', { at: NOW - HOUR });
  const busy = await recordExecutionQueued(db, {
    id: 'exec-busy',
    runId: runningRun,
    model: 'staging.stg_orders',
    snapshotId: snapshot('staging.stg_orders'),
    interval: [day + 24 * HOUR - HOUR, day + 24 * HOUR],
    queuedAt: NOW - HOUR,
  });
  await recordExecutionStarted(db, busy.id, { attempt: 1, executor: 'run@test', at: NOW - HOUR + 30_000 });

  await appendAudit(db, {
    actor: 'alice',
    action: 'run.trigger',
    target: failedRun,
    environment: 'prod',
    at: NOW - 3 * HOUR,
  });
  return {
    planId,
    project,
    runs: { succeeded: succeededRun, failed: failedRun, running: runningRun },
    executions: { succeeded: ok.id, failed: bad.id, running: busy.id },
  };
}
