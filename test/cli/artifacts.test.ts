/**
 * `sluice artifacts`, run as a `bin/sluice.js` process against a listening API whose artifacts the
 * scheduler's activities wrote: the list, one file on stdout, a plan's summary, every file
 * downloaded with `--out`, and one-line refusals (a path leaving the run, a token outside the
 * environment, an unknown run) with exit code 2.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchedulerActivities } from '../../activities/scheduler/index.ts';
import { type ApiServer, startApiServer } from '../../api/server.ts';
import { FolderArtifactStore } from '../../artifacts/folder-store.ts';
import { tokenFor, unreachableTemporal } from '../api/support/app.ts';
import { NOW, type Seeded, seedShop } from '../api/support/seed.ts';
import { openTestState, type TestState } from '../api/support/state.ts';
import { runSluice } from '../support/sluice-process.ts';

type Result = Awaited<ReturnType<typeof runSluice>>;

describe('sluice artifacts', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let server: ApiServer;
  let seeded: Seeded;
  let dir: string;
  let prodToken: string;
  let devToken: string;

  function sluice(args: string[], token = prodToken): Promise<Result> {
    return runSluice(['artifacts', ...args], { SLUICE_API_URL: server.url, SLUICE_TOKEN: token });
  }

  beforeAll(async () => {
    state = await openTestState('pglite', 'cli_artifacts');
    temporal = unreachableTemporal();
    dir = mkdtempSync(join(tmpdir(), 'sluice-cli-artifacts-'));
    const artifacts = new FolderArtifactStore(join(dir, 'store'));
    seeded = await seedShop(state.db);
    const scheduler = createSchedulerActivities({ db: state.db, now: () => NOW, artifacts });
    await scheduler.writeRunArtifacts({ runId: seeded.runs.succeeded });
    await scheduler.writeRunArtifacts({ runId: seeded.runs.failed });
    await scheduler.writePlanArtifacts({ planId: seeded.planId });
    prodToken = await tokenFor(state.db, 'viewer', ['prod']);
    devToken = await tokenFor(state.db, 'viewer', ['dev_*']);
    server = await startApiServer({
      db: state.db,
      client: temporal.client,
      port: 0,
      auth: 'tokens',
      artifacts,
      log: () => {},
    });
  });
  afterAll(async () => {
    await server?.close();
    await temporal.close();
    await state.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists a run's artifacts, as a table and as JSON", async () => {
    const table = await sluice([seeded.runs.succeeded]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PATH\s+SIZE\s+WRITTEN \(UTC\)$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      'compiled/staging.stg_orders/20261124T0000Z_20261125T0000Z.sql',
      'run_results.json',
    ]);
    const json = await sluice([seeded.runs.succeeded, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'run',
      id: seeded.runs.succeeded,
      environment: 'prod',
    });
  });

  it('prints one artifact to stdout: run_results.json naming the failed model, a batch SQL, a plan summary', async () => {
    const results = await sluice([seeded.runs.failed, 'run_results.json']);
    expect(results.code).toBe(0);
    expect(JSON.parse(results.stdout).results).toEqual([
      expect.objectContaining({
        model: 'marts.daily_revenue',
        status: 'error',
        error: 'relation "raw.orders" does not exist',
      }),
    ]);
    const sql = await sluice([
      seeded.runs.succeeded,
      'compiled/staging.stg_orders/20261124T0000Z_20261125T0000Z.sql',
    ]);
    expect(sql.stdout).toContain('INSERT INTO t SELECT 1;');
    const summary = await sluice(['--plan', seeded.planId, 'plan.txt']);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toContain('`prod` environment will be initialized');
  });

  it('downloads every artifact with --out', async () => {
    const out = join(dir, 'download');
    const r = await sluice([seeded.runs.succeeded, '--out', out]);
    expect(r).toMatchObject({
      code: 0,
      stdout: `2 artifacts of run ${seeded.runs.succeeded} written to ${out}\n`,
    });
    const results = JSON.parse(readFileSync(join(out, 'run_results.json'), 'utf8'));
    expect(results.metadata.invocation_id).toBe(seeded.runs.succeeded);
    expect(
      readFileSync(join(out, 'compiled/staging.stg_orders/20261124T0000Z_20261125T0000Z.sql'), 'utf8'),
    ).toContain('-- model: staging.stg_orders');
  });

  it('refuses with one line and exit code 2: a path leaving the run, a token outside prod, an unknown run', async () => {
    const leaving = await sluice([seeded.runs.failed, '../../plans/x/plan.txt']);
    expect(leaving).toMatchObject({ code: 2, stdout: '' });
    expect(leaving.stderr).toContain('has a ".." segment; artifact paths cannot leave their folder');
    const outside = await sluice([seeded.runs.failed, 'run_results.json'], devToken);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('may act on environments dev_*, not "prod"');
    const unknown = await sluice(['sluice-run-nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown run "sluice-run-nope"');
    const missing = await sluice([seeded.runs.failed, 'compiled/nothing.sql']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no artifact "compiled/nothing.sql"');
  });
});
