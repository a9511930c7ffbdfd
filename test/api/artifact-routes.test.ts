/**
 * The artifact routes on a real state database, with artifacts written by the scheduler's own
 * activities into a folder store: the list, each file with its content type, a failed model's error
 * in run_results.json, a plan's summary, paths that would leave the run's folder refused, and
 * tokens whose environments do not match the run's refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulerActivities } from '../../activities/scheduler/index.ts';
import type { SluiceApp } from '../../api/app.ts';
import { FolderArtifactStore } from '../../artifacts/folder-store.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, type Seeded, seedShop } from './support/seed.ts';
import { openTestState, type TestState } from './support/state.ts';

describe('artifact routes', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let seeded: Seeded;
  let dir: string;
  let prodViewer: string;
  let devViewer: string;
  const get = (path: string, token = prodViewer) => contract.call(app, 'GET', path, { token });

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_artifacts');
    temporal = unreachableTemporal();
    dir = mkdtempSync(join(tmpdir(), 'sluice-artifact-routes-'));
    const artifacts = new FolderArtifactStore(dir);
    app = testApp({
      db: state.db,
      client: temporal.client,
      now: () => NOW,
      temporalTimeoutMs: 300,
      artifacts,
    });
    contract = await Contract.of(app);
    seeded = await seedShop(state.db);
    const scheduler = createSchedulerActivities({ db: state.db, now: () => NOW, artifacts });
    await scheduler.writeRunArtifacts({ runId: seeded.runs.succeeded });
    await scheduler.writeRunArtifacts({ runId: seeded.runs.failed });
    await scheduler.writePlanArtifacts({ planId: seeded.planId });
    prodViewer = await tokenFor(state.db, 'viewer', ['prod']);
    devViewer = await tokenFor(state.db, 'admin', ['dev_*']);
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists a run's artifacts and serves run_results.json naming the failed model and its error", async () => {
    const list = await get(`/api/runs/${seeded.runs.failed}/artifacts`);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: 'run', id: seeded.runs.failed, environment: 'prod' });
    expect(list.body.items.map((i: { path: string }) => i.path)).toEqual(['run_results.json']);
    const file = await get(`/api/runs/${seeded.runs.failed}/artifacts/run_results.json`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/json');
    expect(file.body.metadata.invocation_id).toBe(seeded.runs.failed);
    expect(file.body.results).toEqual([
      expect.objectContaining({
        unique_id: 'model.marts.daily_revenue',
        status: 'error',
        error: 'relation "raw.orders" does not exist',
        executors: ['run@test'],
        attempts: 1,
      }),
    ]);
  });

  it("serves each batch's SQL, its path's slashes sent encoded", async () => {
    const list = await get(`/api/runs/${seeded.runs.succeeded}/artifacts`);
    const sql = list.body.items.find((i: { path: string }) => i.path.startsWith('compiled/'));
    expect(sql).toMatchObject({
      path: 'compiled/staging.stg_orders/20261124T0000Z_20261125T0000Z.sql',
      contentType: 'application/sql; charset=utf-8',
    });
    const file = await get(`/api/runs/${seeded.runs.succeeded}/artifacts/${encodeURIComponent(sql.path)}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/sql; charset=utf-8');
    expect(file.text).toContain('INSERT INTO t SELECT 1;');
  });

  it("serves a plan's summary as sluice plan prints it, and as JSON", async () => {
    const list = await get(`/api/plans/${seeded.planId}/artifacts`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { path: string }) => i.path)).toEqual([
      'plan.json',
      'plan.txt',
      'run_results.json',
    ]);
    const text = await get(`/api/plans/${seeded.planId}/artifacts/plan.txt`);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(text.text).toContain('`prod` environment will be initialized');
    expect(text.text).toMatch(/MODEL\s+CHANGE\s+BACKFILL BATCHES/);
    const json = await get(`/api/plans/${seeded.planId}/artifacts/plan.json`);
    expect(json.body).toMatchObject({ id: seeded.planId, environment: 'prod', status: 'applied' });
  });

  it('refuses paths that would leave the folder with 400, and answers 404 for what is not there', async () => {
    const run = seeded.runs.failed;
    for (const path of [
      '..%2F..%2Fplans%2Fx%2Fplan.txt',
      'compiled%2F..%2F..%2Fx',
      '%2Fetc%2Fpasswd',
      'a%5C..%5Cb',
    ]) {
      const r = await get(`/api/runs/${run}/artifacts/${path}`);
      expect(r.status, path).toBe(400);
      expect(r.body.error.message, path).toMatch(/artifact path/);
    }
    // a "." or ".." segment, encoded or not, is resolved by the URL before routing: it names
    // another route, never a file
    for (const path of ['%2E%2E', '.', '..']) {
      const r = await app.request(`/api/runs/${run}/artifacts/${path}`, {
        headers: { authorization: `Bearer ${prodViewer}` },
      });
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type'), path).toBe('application/json');
    }
    // and that route checks its own environment
    const resolved = await app.request(
      `/api/runs/${run}/artifacts/../../../plans/${seeded.planId}/artifacts/plan.txt`,
      {
        headers: { authorization: `Bearer ${devViewer}` },
      },
    );
    expect(resolved.status).toBe(403);
    expect((await get(`/api/runs/${run}/artifacts/nothing.json`)).status).toBe(404);
    const unknown = await get('/api/runs/sluice-run-nope/artifacts');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('unknown run "sluice-run-nope"');
  });

  it('refuses tokens whose environments do not match the run or plan with 403, whatever their role', async () => {
    for (const path of [
      `/api/runs/${seeded.runs.failed}/artifacts`,
      `/api/runs/${seeded.runs.failed}/artifacts/run_results.json`,
      `/api/plans/${seeded.planId}/artifacts`,
      `/api/plans/${seeded.planId}/artifacts/plan.txt`,
    ]) {
      const r = await get(path, devViewer);
      expect(r.status, path).toBe(403);
      expect(r.body.error.message).toContain('may act on environments dev_*, not "prod"');
    }
  });
});
