/**
 * The whole loop on real parts: a Temporal dev server, the scheduler worker with a PostgreSQL state
 * database, an apply executor in this process, and run executors as separate `sluice worker --role run`
 * processes, against a real PostgreSQL warehouse. A plan is applied to prod, then scheduled runs fire on
 * the model's minute cron; then a run executor is killed with SIGKILL in the middle of a statement and
 * another one finishes the batch, with no interval lost and none applied twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPlan } from '../../../activities/state/plans.ts';
import { environmentState, restate, submitPlan } from '../../../api/environment-commands.ts';
import { loadProject } from '../../../core/project/load.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { startExecutorWorker } from '../../../workers/executor-worker.ts';
import type { RunningWorker } from '../../../workers/running-worker.ts';
import { bundleWorkflows, startSchedulerWorker } from '../../../workers/scheduler-worker.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes.ts';
import { startDevServer } from '../../support/temporal.ts';
import { waitFor } from '../../support/waiting.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
const MINUTE = 60_000;

describe('plan, scheduled runs and a killed executor on the real stack', () => {
  let env: TestWorkflowEnvironment;
  let warehouse: ScratchDatabase;
  let stateDb: ScratchDatabase;
  let state: StateConnection;
  let wh: postgres.Sql;
  let projectDir: string;
  const workers: RunningWorker[] = [];
  const executors = new Set<ChildProcess>();

  /** a `sluice worker --role run` process configured by environment only, as in production. */
  function startRunExecutor(identity: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [bin, 'worker', '--role', 'run'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        SLUICE_EXECUTOR_IDENTITY: identity,
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'postgres',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: '127.0.0.1',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: '5432',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER: 'postgres',
        SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE: warehouse.name,
        SLUICE__DEFAULT_GATEWAY: 'warehouse',
        SLUICE_SHUTDOWN_GRACE: '2s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    executors.add(child);
    child.on('exit', () => executors.delete(child));
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('serving task queue sluice-run')) resolve(child);
      });
      child.stderr!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.on('exit', (code) =>
        reject(new Error(`run executor exited with ${code} before serving:\n${out}`)),
      );
    });
  }

  beforeAll(async () => {
    env = await startDevServer(SLUICE_SEARCH_ATTRIBUTES);
    warehouse = await createScratchDatabase('warehouse');
    stateDb = await createScratchDatabase('cycle_state');
    state = createStateDb({ url: stateDb.url });
    await migrate(state.db);
    wh = postgres(warehouse.url, { max: 2, onnotice: () => {} });

    const start = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE).toISOString();
    const hourStart = new Date(
      Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE - 120 * MINUTE,
    ).toISOString();
    projectDir = mkdtempSync(join(tmpdir(), 'sluice-cycle-'));
    mkdirSync(join(projectDir, 'models'));
    writeFileSync(
      join(projectDir, 'config.yaml'),
      `gateways:\n  warehouse:\n    connection:\n      type: postgres\n      host: 127.0.0.1\n      port: 5432\n      user: postgres\n      database: ${warehouse.name}\ndefault_gateway: warehouse\nmodel_defaults:\n  dialect: postgres\n  start: '${start}'\n`,
    );
    writeFileSync(
      join(projectDir, 'models', 'ticks.sql'),
      "MODEL (\n  name cycle.ticks,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column minute, batch_size 1),\n  cron '* * * * *'\n);\nSELECT CAST(@start_ts AS TIMESTAMP) AS minute, 1 AS n\n",
    );
    writeFileSync(
      join(projectDir, 'models', 'tick_count.sql'),
      "MODEL (\n  name cycle.tick_count,\n  kind FULL,\n  cron '* * * * *'\n);\nSELECT COUNT(*) AS minutes FROM cycle.ticks\n",
    );
    writeFileSync(
      join(projectDir, 'models', 'slow.sql'),
      `MODEL (\n  name cycle.slow,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column hour, batch_size 1),\n  cron '@hourly',\n  start '${hourStart}'\n);\nSELECT CAST(@start_ts AS TIMESTAMP) AS hour, (SELECT 1 FROM pg_sleep(6)) AS slept\n`,
    );

    const bundle = await bundleWorkflows();
    workers.push(
      await startSchedulerWorker({
        connection: env.nativeConnection,
        db: state.db,
        client: env.client,
        identity: 'scheduler@test',
        workflowBundle: bundle,
      }),
    );
    const project = loadProject(projectDir, { env: process.env });
    workers.push(
      await startExecutorWorker({
        connection: env.nativeConnection,
        role: 'apply',
        gateways: project.config.gateways,
        baseDir: projectDir,
        identity: 'apply@test',
      }),
    );
    await startRunExecutor('run-1@test');
  }, 180_000);

  afterAll(async () => {
    for (const child of executors) child.kill('SIGKILL');
    for (const w of workers) await w.stop().catch(() => {});
    await env?.teardown();
    await wh?.end();
    await state?.close();
    await warehouse?.drop();
    await stateDb?.drop();
    if (projectDir) rmSync(projectDir, { recursive: true, force: true });
  });

  it('applies a plan to prod, then runs each model on its minute cron', async () => {
    const project = loadProject(projectDir, { env: process.env });
    const submitted = await submitPlan({
      db: state.db,
      client: env.client,
      project,
      environment: 'prod',
      submittedBy: 'ci',
    });
    expect(submitted.position).toBe(1);
    expect(submitted.diff.added.sort()).toEqual(['cycle.slow', 'cycle.tick_count', 'cycle.ticks']);
    const applied = await waitFor(
      'the plan to apply',
      async () => {
        const plan = await getPlan(state.db, submitted.planId);
        if (plan?.status === 'failed') throw new Error(`plan failed: ${plan.error}`);
        return plan?.status === 'applied' ? plan : undefined;
      },
      120_000,
    );
    expect(applied.finishedAt).not.toBeNull();
    // Views exist in the prod schema and read the backfilled physical tables.
    const [afterPlan] = await wh`select count(*)::int as n from cycle.ticks`;
    expect(afterPlan!.n).toBeGreaterThanOrEqual(5);
    const [slowRows] = await wh`select count(*)::int as n from cycle.slow`;
    expect(slowRows!.n).toBeGreaterThanOrEqual(2);

    // The environment workflow takes the new schedule from the apply child a moment after the plan
    // is recorded applied.
    const state1 = await waitFor(
      'the environment to schedule the plan',
      async () => {
        const current = await environmentState(env.client, 'prod');
        return current.models.length === 3 && current.applyingPlan === null ? current : undefined;
      },
      30_000,
    );
    expect(state1.models.map((m) => m.name).sort()).toEqual([
      'cycle.slow',
      'cycle.tick_count',
      'cycle.ticks',
    ]);
    expect(state1.details).toMatch(/sleeping until \d\d:\d\d UTC for cycle\.tick_count, cycle\.ticks/);

    // The next minute tick runs both minute models: one more minute, and the count rebuilt.
    const before = afterPlan!.n as number;
    const tick = await waitFor(
      'a scheduled run',
      async () => {
        const rows = await wh`select count(*)::int as n from cycle.ticks`;
        const [counted] = await wh`select minutes::int as m from cycle.tick_count`;
        return rows[0]!.n > before && counted?.m === rows[0]!.n ? rows[0]!.n : undefined;
      },
      150_000,
    );
    expect(tick).toBeGreaterThan(before);
    const [dupes] =
      await wh`select count(*)::int as n from (select minute from cycle.ticks group by minute having count(*) > 1) d`;
    expect(dupes!.n).toBe(0);
    const executions = await state.db.execute(
      "select status, wait_ms, executor from sluice.model_executions where run_id like 'sluice-run-prod-2%' and model = 'cycle.ticks'",
    );
    const rows = (
      Array.isArray(executions) ? executions : (executions as { rows: unknown[] }).rows
    ) as Array<{
      status: string;
      wait_ms: number;
      executor: string;
    }>;
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0]).toMatchObject({ status: 'succeeded', executor: 'run-1@test' });
    expect(Number(rows[0]!.wait_ms)).toBeLessThan(10_000);
  }, 300_000);

  it('finishes a batch on another executor after one is killed mid-statement, with no interval lost or doubled', async () => {
    const now = Date.now();
    const lastHour = Math.floor(now / (60 * MINUTE)) * 60 * MINUTE;
    const [before] = await wh`select count(*)::int as n from cycle.slow`;
    const runId = await restate(env.client, 'prod', {
      models: ['cycle.slow'],
      start: lastHour - 60 * MINUTE,
      end: lastHour,
      requestedBy: 'ci',
    });
    // Wait until the statement is running on the warehouse, then kill its executor outright.
    await waitFor(
      'the slow statement to run',
      async () => {
        const [r] =
          await wh`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(6)%' and state = 'active' and pid <> pg_backend_pid()`;
        return r!.n > 0 ? true : undefined;
      },
      60_000,
    );
    const [victim] = [...executors];
    victim!.kill('SIGKILL');
    await startRunExecutor('run-2@test');
    const finished = await waitFor(
      'the restatement to finish',
      async () => {
        const r = await state.db.execute(
          `select status, attempt, executor from sluice.model_executions where run_id = '${runId}' and model = 'cycle.slow'`,
        );
        const list = (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows) as Array<{
          status: string;
          attempt: number;
          executor: string;
        }>;
        return list.find((e) => e.status === 'succeeded');
      },
      120_000,
    );
    expect(finished.executor).toBe('run-2@test');
    expect(Number(finished.attempt)).toBeGreaterThanOrEqual(2);
    const [after] = await wh`select count(*)::int as n from cycle.slow`;
    expect(after!.n).toBe(before!.n);
    const [dupes] =
      await wh`select count(*)::int as n from (select hour from cycle.slow group by hour having count(*) > 1) d`;
    expect(dupes!.n).toBe(0);
  }, 300_000);
});
