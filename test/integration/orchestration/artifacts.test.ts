/**
 * Run and plan artifacts on the real stack (dev server, scheduler worker writing to a folder store,
 * an apply executor, a run executor process, a PostgreSQL warehouse). A plan's application leaves
 * its summary and its backfill's results; a restatement run whose model fails (its source table
 * dropped) leaves run_results.json naming the failed model with its error and the skipped one
 * downstream, and the SQL of its batch. The API serves them to a token allowed on the environment
 * and refuses one that is not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { restate } from '../../../api/environment-commands.ts';
import { FolderArtifactStore } from '../../../artifacts/folder-store.ts';
import { getRun } from '../../../state/runs.ts';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { waitFor } from '../../support/waiting.ts';
import { applyPlan, modelFile, useOrchestrationStack } from './stack.ts';

const DAY = 86_400_000;
const dailyModel = (name: string, query: string) =>
  modelFile([`name ${name}`, 'kind INCREMENTAL_BY_TIME_RANGE (time_column day)', "cron '@daily'"], query);

describe('run and plan artifacts, on the real stack', () => {
  const start = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-stack-artifacts-'));
  const artifacts = new FolderArtifactStore(dir);
  const stack = useOrchestrationStack(() => ({
    tag: 'artifacts',
    start,
    models: {
      'counted.sql': dailyModel(
        'e2e.counted',
        'SELECT CAST(@start_ts AS TIMESTAMP) AS day, (SELECT COUNT(*) FROM raw.src)::int AS n',
      ),
      'doubled.sql': dailyModel(
        'e2e.doubled',
        'SELECT day, n * 2 AS n2 FROM e2e.counted WHERE day >= @start_ts AND day < @end_ts',
      ),
    },
    runExecutor: 'run-1@test',
    artifacts,
  }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const text = (bytes: Uint8Array | null) => (bytes === null ? undefined : new TextDecoder().decode(bytes));
  /** the artifact, once it has been written. */
  const written = (key: string) =>
    waitFor(`${key} to be written`, async () => text(await artifacts.get(key)), 60_000);

  it('keeps a plan summary and the results of its backfill', async () => {
    await stack().wh`create schema raw`;
    await stack().wh`create table raw.src as select generate_series(1, 2) as id`;
    const { planId } = await applyPlan(stack());
    const summary = await written(`plans/${planId}/plan.txt`);
    expect(summary).toContain('`prod` environment will be initialized');
    expect(summary).toContain('Models needing backfill:');
    expect(summary).toMatch(/e2e\.counted\s+added\s+1\n/);
    const plan = JSON.parse((await written(`plans/${planId}/plan.json`))!);
    expect(plan).toMatchObject({ id: planId, environment: 'prod', status: 'applied' });
    const results = JSON.parse((await written(`plans/${planId}/run_results.json`))!);
    expect(results.metadata.invocation_id).toBe(planId);
    expect(
      results.results.map((r: { model: string; status: string; batches: number }) => [
        r.model,
        r.status,
        r.batches,
      ]),
    ).toEqual([
      ['e2e.counted', 'success', 1],
      ['e2e.doubled', 'success', 1],
    ]);
    const keys = (await artifacts.list(`plans/${planId}/compiled/`)).map((a) => a.key);
    expect(keys).toHaveLength(2);
  });

  it('keeps run_results.json naming a failed model and its error, served only inside the token environments', async () => {
    const { client, db, wh } = stack();
    await wh`drop table raw.src`;
    const runId = await restate(client, 'prod', {
      models: ['e2e.counted'],
      start,
      end: start + DAY,
      requestedBy: 'tests',
    });
    const run = await waitFor(
      `run ${runId} to end`,
      async () => {
        const record = await getRun(db, runId);
        return record && record.finishedAt !== null ? record : undefined;
      },
      90_000,
    );
    expect(run.status).toBe('failed');
    const results = JSON.parse((await written(`runs/${runId}/run_results.json`))!);
    expect(results.metadata.invocation_id).toBe(runId);
    expect(results.args).toMatchObject({ environment: 'prod', trigger: 'restatement', status: 'failed' });
    const counted = results.results.find((r: { model: string }) => r.model === 'e2e.counted');
    expect(counted).toMatchObject({
      unique_id: 'model.e2e.counted',
      status: 'error',
      executors: ['run-1@test'],
    });
    expect(counted.error).toMatch(/raw\.src.*does not exist/s);
    const doubled = results.results.find((r: { model: string }) => r.model === 'e2e.doubled');
    expect(doubled).toMatchObject({ status: 'skipped', message: 'upstream e2e.counted failed' });
    const sqlPath = counted.batch_results[0].compiled_path;
    expect(sqlPath).toMatch(/^compiled\/e2e\.counted\/\d{8}T0000Z_\d{8}T0000Z\.sql$/);
    expect(await written(`runs/${runId}/${sqlPath}`)).toContain('raw.src');
    expect(await written(`runs/${runId}/${doubled.batch_results[0].compiled_path}`)).toContain(
      '-- status: skipped',
    );

    const app = testApp({ db, client, artifacts });
    const allowed = await tokenFor(db, 'viewer', ['prod']);
    const other = await tokenFor(db, 'admin', ['dev_*']);
    const get = (path: string, token: string) =>
      app.request(path, { headers: { authorization: `Bearer ${token}` } });
    const served = await get(`/api/runs/${runId}/artifacts/run_results.json`, allowed);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('application/json');
    expect(((await served.json()) as typeof results).results).toEqual(results.results);
    const listed = await get(`/api/runs/${runId}/artifacts`, allowed);
    expect(((await listed.json()) as { items: Array<{ path: string }> }).items.map((i) => i.path)).toEqual([
      sqlPath,
      // the skipped batch downstream was prepared, never run: its SQL is kept, its header says so
      doubled.batch_results[0].compiled_path,
      'run_results.json',
    ]);
    for (const path of [`/api/runs/${runId}/artifacts`, `/api/runs/${runId}/artifacts/run_results.json`]) {
      const refused = await get(path, other);
      expect(refused.status, path).toBe(403);
    }
  });
});
