/**
 * The janitor on the real stack (dev server, scheduler worker, apply executor), asked through the
 * API as `sluice janitor run` asks it: an expired environment is deleted and the tables no one uses
 * any more are dropped, recorded and listed; every table prod, another environment or an open plan
 * uses stays; a pass that died between recording its drops and finishing them is finished by the
 * next without dropping anything twice or anything in use again, and an apply executor killed with
 * SIGKILL in the middle of a drop leaves it to another; a table only a plan queued behind a long one
 * will map stays, and that plan applies with it. On DuckDB and on PostgreSQL, which refuses
 * to drop a table a view still reads.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPhysicalTables } from '../../../activities/execution/create-physical-tables.ts';
import { createSchedulerActivities } from '../../../activities/scheduler/index.ts';
import { cancelPlan } from '../../../api/environment-commands.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import { physicalTable } from '../../../core/naming.ts';
import { fingerprintOf } from '../../../core/plan/requests.ts';
import { loadProject } from '../../../core/project/load.ts';
import type { Project } from '../../../core/project/types.ts';
import { STORED_PAYLOAD_MARGIN_MS } from '../../../core/stored-payload-cutoff.ts';
import { environmentWorkflowId } from '../../../core/workflow-ids.ts';
import { storedPayloads } from '../../../db/schema.ts';
import type { Engine } from '../../../engines/engine.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { dropPhysicalTables } from '../../../engines/views.ts';
import { listAudit } from '../../../state/audit-log.ts';
import { environmentSnapshotMap, getEnvironment, promoteEnvironment } from '../../../state/environments.ts';
import { listDrops } from '../../../state/janitor-drops.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { getPlan } from '../../../state/plans.ts';
import { getSnapshots } from '../../../state/snapshots.ts';
import { statePayloadStore } from '../../../state/stored-payloads.ts';
import type { JanitorPassResult } from '../../../workflows/janitor.ts';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';
import { postgresConfig } from '../../support/project-config.ts';
import { SluiceProcesses } from '../../support/sluice-process.ts';
import { waitFor } from '../../support/waiting.ts';
import { createTestProject, NOW, poison, type TestProject } from '../plan/project.ts';
import { type PlanStack, startPlanStack } from '../plan/stack.ts';
import { enginesFor, openState, readRelation } from '../plan/support.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';

/** Whether the physical table (or view) of `snapshotId` exists. */
async function physicalExists(engine: Engine, snapshotId: string): Promise<boolean> {
  const model = snapshotId.slice(0, snapshotId.lastIndexOf('@'));
  const { schema, table } = physicalTable(model, fingerprintOf(snapshotId));
  return (await engine.columns(schema, table)).length > 0;
}

const embedded = (id: string) => id.startsWith('mart.constants@');

/** `sluice janitor run [--dry-run]`, through the API. */
async function runJanitor(stack: PlanStack, dryRun: boolean): Promise<JanitorPassResult> {
  const app = testApp({ db: stack.db, client: stack.temporal.client, temporalTimeoutMs: 60_000 });
  const token = await tokenFor(stack.db, 'deployer', ['*'], `janitor-${Math.random()}`);
  const response = await app.request('/api/janitor/runs', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ dryRun }),
  });
  const body = (await response.json()) as JanitorPassResult;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('janitor on a DuckDB warehouse', { timeout: 240_000 }, () => {
  let state: Awaited<ReturnType<typeof openState>>;
  let project: TestProject;
  let engines: EnginePool;
  let engine: Engine;
  let stack: PlanStack;

  beforeEach(async () => {
    state = await openState('pglite', 'janitor_duckdb');
    project = createTestProject();
    engines = enginesFor(project.load());
    engine = engines.get('local');
    await poison(engine, []);
    stack = await startPlanStack({ db: state.db, project: project.load(), janitorGraceMs: 1 });
  });

  afterEach(async () => {
    await stack?.stop();
    await engines?.closeAll();
    project?.dispose();
    await state?.dispose();
  });

  const apply = (environment: string) =>
    stack.planAndApply({ project: project.load(), environment, now: NOW });

  /**
   * Applies the project to prod and to `others`, then a new prod without mart.latest and with a new
   * mart.totals: the old two are then used only by `others`.
   */
  const supersede = async (others: string[]) => {
    const first = await apply('prod');
    for (const environment of others) await apply(environment);
    project.remove('models/latest.sql');
    project.write(
      'models/totals.sql',
      'MODEL (name mart.totals, kind FULL);\nSELECT count(*) AS days FROM src.events\n',
    );
    await apply('prod');
    return {
      oldTotals: first.diff.snapshotMap['mart.totals']!,
      oldLatest: first.diff.snapshotMap['mart.latest']!,
    };
  };

  it('deletes an expired environment and drops the tables no one uses; keeps what prod, another environment or an open plan uses', async () => {
    const { oldTotals, oldLatest } = await supersede(['dev', 'staging']);

    // dev and staging still map the old snapshots: nothing goes
    const idle = await runJanitor(stack, false);
    expect(idle).toMatchObject({ environments: [], dropped: [], failures: [] });

    // dev expires; staging still maps them
    const devMap = await environmentSnapshotMap(state.db, 'dev');
    await promoteEnvironment(state.db, 'dev', devMap, null, { expiresAt: Date.now() - 1_000 });
    const afterDev = await runJanitor(stack, false);
    expect(afterDev).toMatchObject({ environments: ['dev'], dropped: [], failures: [] });
    expect(await getEnvironment(state.db, 'dev')).toBeNull();
    expect(await engine.columns('mart__dev', 'latest')).toEqual([]);
    expect(await physicalExists(engine, oldTotals)).toBe(true);
    expect((await readRelation(engine, 'mart__staging', 'latest')).rows).toEqual([['2024-01-05', '150']]);
    const audit = await listAudit(state.db, { environment: 'dev', action: 'environment.delete' });
    expect(audit.items.map((e) => [e.actor, e.reason])).toEqual([['janitor', 'its expiry passed']]);

    // a plan being applied to prod, whose new snapshots no environment maps yet
    project.write('models/extra.sql', 'MODEL (name mart.extra, kind FULL);\nSELECT 1 AS one\n');
    const open = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'prod',
      submittedBy: 'tests',
      now: NOW,
    });
    const scheduler = createSchedulerActivities({ db: state.db });
    const work = await scheduler.beginPlan({ planId: open.planId, environment: 'prod' });
    for (const { gateway, models } of work.tables) {
      const requests = await scheduler.tableRequests({
        planId: open.planId,
        environment: 'prod',
        gateway,
        models,
      });
      await createPhysicalTables(engines.get(gateway), requests as ExecutionRequest[]);
    }
    const extra = open.diff.snapshotMap['mart.extra']!;
    expect(await physicalExists(engine, extra)).toBe(true);

    // staging expires too: a dry run says what would go and changes nothing
    const stagingMap = await environmentSnapshotMap(state.db, 'staging');
    await promoteEnvironment(state.db, 'staging', stagingMap, null, { expiresAt: Date.now() - 1_000 });
    const dry = await runJanitor(stack, true);
    expect(dry).toMatchObject({ dryRun: true, environments: ['staging'], dropped: [] });
    expect(await getEnvironment(state.db, 'staging')).not.toBeNull();
    expect((await listDrops(state.db)).items).toEqual([]);

    const pass = await runJanitor(stack, false);
    expect(pass.environments).toEqual(['staging']);
    expect(pass.failures).toEqual([]);
    expect(pass.dropped.map((d) => d.snapshotId).sort()).toEqual([oldLatest, oldTotals].sort());
    expect(pass.kept).toContainEqual({ snapshotId: extra, reason: 'an open plan maps it' });
    expect(await physicalExists(engine, oldTotals)).toBe(false);
    expect(await physicalExists(engine, oldLatest)).toBe(false);
    expect(await physicalExists(engine, extra)).toBe(true);
    expect(await getSnapshots(state.db, [oldTotals, oldLatest])).toEqual([]);

    // what prod maps is untouched
    for (const id of Object.values(await environmentSnapshotMap(state.db, 'prod'))) {
      if (!embedded(id)) expect(await physicalExists(engine, id), id).toBe(true);
    }
    expect((await readRelation(engine, 'mart', 'totals')).rows).toEqual([['5']]);

    // every drop is recorded, and listed by the history
    const history = (await listDrops(state.db)).items;
    expect(history.map((d) => [d.snapshotId, d.status, d.executor]).sort()).toEqual(
      [
        [oldLatest, 'dropped', 'apply@test'],
        [oldTotals, 'dropped', 'apply@test'],
      ].sort(),
    );

    // a second pass finds nothing more to do
    expect(await runJanitor(stack, false)).toMatchObject({ environments: [], dropped: [], failures: [] });
  });

  it('deletes the stored payloads no history names any more, and keeps the rest', async () => {
    await apply('prod');
    const store = statePayloadStore(state.db);
    const day = 86_400_000;
    await store.put([
      { key: 'old', data: new Uint8Array(1_000) },
      { key: 'recent', data: new Uint8Array(2_000) },
    ]);
    await state.db
      .update(storedPayloads)
      .set({ storedAt: new Date(Date.now() - 30 * day) })
      .where(eq(storedPayloads.key, 'old'));

    const dry = await runJanitor(stack, true);
    expect(dry.storedPayloads).toMatchObject({ payloads: 1, bytes: 1_000 });
    expect([...(await store.get(['old', 'recent'])).keys()].sort()).toEqual(['old', 'recent']);

    const pass = await runJanitor(stack, false);
    expect(pass.failures).toEqual([]);
    expect(pass.storedPayloads).toMatchObject({ payloads: 1, bytes: 1_000 });
    // before the namespace's retention and before the environment's workflow began, less an hour
    const before = Date.parse(String(pass.storedPayloads!.before));
    const prod = await stack.temporal.client.workflow.getHandle(environmentWorkflowId('prod')).describe();
    expect(before).toBeLessThanOrEqual(prod.startTime.getTime() - STORED_PAYLOAD_MARGIN_MS);
    expect([...(await store.get(['old', 'recent'])).keys()]).toEqual(['recent']);
  });

  it('finishes a pass that died after recording its drops, without dropping anything twice or in use again', async () => {
    const { oldTotals, oldLatest } = await supersede([]);

    // a pass chose and recorded its drops (`dropping`, readers first), its executor dropped the
    // first one, and both died before the drop was recorded done
    const scheduler = createSchedulerActivities({ db: state.db, janitorGraceMs: 1 });
    const died = await scheduler.chooseDrops({ pass: 'died', dryRun: false });
    expect(died.groups.flatMap((g) => g.tables.map((t) => t.snapshotId))).toEqual([oldLatest, oldTotals]);
    await dropPhysicalTables(engine, [died.groups[0]!.tables[0]!.physicalTable!]);
    expect((await listDrops(state.db)).items.map((d) => d.status)).toEqual(['dropping', 'dropping']);

    // before the next pass, the old totals come back into use: dev maps them again
    await promoteEnvironment(state.db, 'dev', { 'mart.totals': oldTotals }, null);
    const resumed = await runJanitor(stack, false);
    expect(resumed.failures).toEqual([]);
    expect(resumed.dropped.map((d) => d.snapshotId)).toEqual([oldLatest]);
    expect(await physicalExists(engine, oldTotals)).toBe(true);
    expect((await listDrops(state.db)).items.map((d) => [d.snapshotId, d.status])).toEqual([
      [oldLatest, 'dropped'],
    ]);

    // dev expires: the next pass drops the old totals, once
    await promoteEnvironment(state.db, 'dev', { 'mart.totals': oldTotals }, null, {
      expiresAt: Date.now() - 1_000,
    });
    const pass = await runJanitor(stack, false);
    expect(pass).toMatchObject({ environments: ['dev'], failures: [] });
    expect(pass.dropped.map((d) => d.snapshotId)).toEqual([oldTotals]);
    expect(await physicalExists(engine, oldTotals)).toBe(false);
    const history = (await listDrops(state.db)).items.map((d) => [d.snapshotId, d.status]);
    expect(history.sort()).toEqual(
      [
        [oldLatest, 'dropped'],
        [oldTotals, 'dropped'],
      ].sort(),
    );
    expect(await runJanitor(stack, false)).toMatchObject({ dropped: [], failures: [] });
  });
});

describe('janitor on a PostgreSQL warehouse', { timeout: 180_000 }, () => {
  let state: Awaited<ReturnType<typeof openState>>;
  let warehouse: ScratchDatabase;
  let dir: string;
  let engines: EnginePool | undefined;
  let stack: PlanStack | undefined;

  beforeAll(async () => {
    state = await openState('pglite', 'janitor_pg');
    warehouse = await createScratchDatabase('janitor_wh');
    dir = mkdtempSync(join(tmpdir(), 'sluice-janitor-'));
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'config.yaml'), postgresConfig('warehouse', warehouse.name));
  });

  afterAll(async () => {
    await stack?.stop();
    await engines?.closeAll();
    await state?.dispose();
    await warehouse?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (base: string) => {
    writeFileSync(join(dir, 'models/base.sql'), `MODEL (name j.base, kind FULL);\n${base}\n`);
    writeFileSync(
      join(dir, 'models/reader.sql'),
      'MODEL (name j.reader, kind VIEW);\nSELECT id FROM j.base\n',
    );
  };

  it('drops a superseded view before the table it reads, which PostgreSQL insists on', async () => {
    const password = new URL(TEST_DATABASE_URL).password;
    const env = password
      ? { SQLMESH__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD: decodeURIComponent(password) }
      : {};
    write('SELECT 1 AS id');
    const first = loadProject(dir, { now: NOW, env });
    engines = enginesFor(first);
    stack = await startPlanStack({ db: state.db, project: first, janitorGraceMs: 1 });
    const before = await stack.planAndApply({ project: first, environment: 'prod', now: NOW });
    await stack.planAndApply({ project: first, environment: 'dev', now: NOW });
    write('SELECT 2 AS id');
    const second = loadProject(dir, { now: NOW, env });
    await stack.planAndApply({ project: second, environment: 'prod', now: NOW });

    const devMap = await environmentSnapshotMap(state.db, 'dev');
    await promoteEnvironment(state.db, 'dev', devMap, null, { expiresAt: Date.now() - 1_000 });
    const result = await runJanitor(stack, false);
    expect(result.failures).toEqual([]);
    expect(result.environments).toEqual(['dev']);
    expect(result.dropped.map((d) => d.snapshotId)).toEqual([
      before.diff.snapshotMap['j.reader'],
      before.diff.snapshotMap['j.base'],
    ]);
    const engine = engines.get('warehouse');
    for (const id of Object.values(before.diff.snapshotMap))
      expect(await physicalExists(engine, id)).toBe(false);
    expect((await readRelation(engine, 'j', 'reader')).rows).toEqual([['2']]);
    expect(await engine.columns('j__dev', 'reader')).toEqual([]);
  });
});

/** What one test on a PostgreSQL warehouse of its own holds (see onPostgresWarehouse). */
interface PostgresWarehouse {
  state: Awaited<ReturnType<typeof openState>>;
  warehouse: ScratchDatabase;
  /** the project's folder, with its config.yaml written and an empty models/. */
  dir: string;
  /** a client of the warehouse, for what the test reads or holds there itself. */
  wh: postgres.Sql;
  load(): Project;
  /** starts the plan stack on the state database, with engines for `project`'s gateways. */
  start(project: Project): Promise<{ stack: PlanStack; engines: EnginePool }>;
}

/**
 * Runs `body` with a state database, a PostgreSQL warehouse and a project folder of its own, and
 * removes them all (stopping the stack it started) whatever happens.
 */
async function onPostgresWarehouse(tag: string, body: (w: PostgresWarehouse) => Promise<void>) {
  const state = await openState('pglite', `janitor_${tag}`);
  const warehouse = await createScratchDatabase(`janitor_${tag}_wh`);
  const dir = mkdtempSync(join(tmpdir(), `sluice-janitor-${tag}-`));
  const wh = postgres(warehouse.url, { max: 2, onnotice: () => {} });
  let engines: EnginePool | undefined;
  let stack: PlanStack | undefined;
  try {
    mkdirSync(join(dir, 'models'));
    writeFileSync(join(dir, 'config.yaml'), postgresConfig('warehouse', warehouse.name));
    await body({
      state,
      warehouse,
      dir,
      wh,
      load: () => loadProject(dir, { now: NOW, env: process.env }),
      async start(project) {
        engines = enginesFor(project);
        stack = await startPlanStack({ db: state.db, project, janitorGraceMs: 1 });
        return { stack, engines };
      },
    });
  } finally {
    await stack?.stop();
    await engines?.closeAll();
    await wh.end();
    await state.dispose();
    await warehouse.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('janitor whose apply executor is killed mid-drop', { timeout: 240_000 }, () => {
  it('finishes on another executor: the table dropped once, recorded once, nothing in use touched', async () => {
    await onPostgresWarehouse('kill', async ({ state, warehouse, dir, wh, load, start }) => {
      const processes = new SluiceProcesses();
      try {
        const write = (id: number) =>
          writeFileSync(
            join(dir, 'models/base.sql'),
            `MODEL (name k.base, kind FULL);\nSELECT ${id} AS id\n`,
          );
        write(1);
        const first = load();
        const { stack, engines } = await start(first);
        const old = await stack.planAndApply({ project: first, environment: 'prod', now: NOW });
        write(2);
        await stack.planAndApply({ project: load(), environment: 'prod', now: NOW });
        const oldBase = old.diff.snapshotMap['k.base']!;
        const { schema, table } = physicalTable('k.base', fingerprintOf(oldBase));

        // the janitor's drops go to an apply executor in its own process, which is killed mid-drop
        await stack.stopApplyExecutor();
        const url = new URL(TEST_DATABASE_URL);
        const executorEnv = (identity: string) => ({
          TEMPORAL_ADDRESS: stack!.temporal.address,
          SLUICE_EXECUTOR_IDENTITY: identity,
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'postgres',
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: url.hostname,
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: url.port || '5432',
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER: decodeURIComponent(url.username || 'postgres'),
          ...(url.password
            ? { SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD: decodeURIComponent(url.password) }
            : {}),
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE: warehouse.name,
          SLUICE__DEFAULT_GATEWAY: 'warehouse',
          SLUICE_SHUTDOWN_GRACE: '2s',
        });
        const doomed = await processes.start(
          'apply-1',
          ['worker', '--role', 'apply'],
          executorEnv('apply-1@test'),
          /serving task queue sluice-apply/,
        );

        // a reader holds the old table, so the executor's DROP waits on its lock
        const reader = await wh.reserve();
        await reader`begin`;
        await reader.unsafe(`select * from "${schema}"."${table}"`);
        const pass = runJanitor(stack, false);
        await waitFor(
          'the drop to wait on the lock',
          async () => {
            const [row] = await wh`select count(*)::int as n from pg_stat_activity
            where query like 'DROP TABLE%' and wait_event_type = 'Lock'`;
            return row!.n > 0 ? true : undefined;
          },
          60_000,
        );
        await doomed.stop('SIGKILL');
        await reader`rollback`;
        reader.release();
        expect((await listDrops(state.db)).items.map((d) => [d.snapshotId, d.status])).toEqual([
          [oldBase, 'dropping'],
        ]);

        // another executor takes the retried drop once the killed one's heartbeat has timed out
        await processes.start(
          'apply-2',
          ['worker', '--role', 'apply'],
          executorEnv('apply-2@test'),
          /serving task queue sluice-apply/,
        );
        const result = await pass;
        expect(result.failures).toEqual([]);
        expect(result.dropped.map((d) => d.snapshotId)).toEqual([oldBase]);
        expect((await listDrops(state.db)).items.map((d) => [d.snapshotId, d.status, d.executor])).toEqual([
          [oldBase, 'dropped', 'apply-2@test'],
        ]);
        const engine = engines.get('warehouse');
        expect(await engine.tableExists(schema, table)).toBe(false);
        expect((await readRelation(engine, 'k', 'base')).rows).toEqual([['2']]);
        expect(await runJanitor(stack, false)).toMatchObject({ dropped: [], failures: [] });
      } finally {
        await processes.stopAll();
      }
    });
  });
});

describe('janitor with a plan queued behind a long one', { timeout: 240_000 }, () => {
  it('keeps the table a queued plan will map, though the environment that built it expired, and the plan applies with it', async () => {
    await onPostgresWarehouse('queued', async ({ state, dir, wh, load, start }) => {
      const write = (base: number, slowSeconds: number) => {
        writeFileSync(
          join(dir, 'models/base.sql'),
          `MODEL (name q.base, kind FULL);\nSELECT ${base} AS id\n`,
        );
        writeFileSync(
          join(dir, 'models/slow.sql'),
          `MODEL (name q.slow, kind FULL);\nSELECT ${slowSeconds} AS slept FROM (SELECT pg_sleep(${slowSeconds})) AS s\n`,
        );
      };
      write(1, 0);
      const { stack, engines } = await start(load());
      const engine = engines.get('warehouse');
      await stack.planAndApply({ project: load(), environment: 'prod', now: NOW });

      // dev builds a new q.base, then is left to expire
      write(2, 0);
      const dev = await stack.planAndApply({ project: load(), environment: 'dev', now: NOW });
      const newBase = dev.diff.snapshotMap['q.base']!;
      expect(await physicalExists(engine, newBase)).toBe(true);

      // prod applies a plan whose backfill takes a long time, and dev's q.base is queued behind it
      write(1, 120);
      const long = await stack.submit({ project: load(), environment: 'prod', now: NOW });
      await waitFor(
        "the long plan's backfill to reach the warehouse",
        async () => {
          const [row] = await wh`select count(*)::int as n from pg_stat_activity
            where query like '%pg_sleep(120)%' and state = 'active' and pid <> pg_backend_pid()`;
          return row!.n > 0 ? true : undefined;
        },
        60_000,
      );
      write(2, 0);
      const queued = await stack.submit({ project: load(), environment: 'prod', now: NOW });
      expect((await getPlan(state.db, long.planId))?.status).toBe('applying');
      expect(queued.diff.snapshotMap['q.base']).toBe(newBase);
      expect((await getPlan(state.db, queued.planId))?.status).toBe('queued');

      const devMap = await environmentSnapshotMap(state.db, 'dev');
      await promoteEnvironment(state.db, 'dev', devMap, null, { expiresAt: Date.now() - 1_000 });
      const pass = await runJanitor(stack, false);
      expect(pass.failures).toEqual([]);
      expect(pass.environments).toEqual(['dev']);
      expect(pass.dropped.map((d) => d.snapshotId)).not.toContain(newBase);
      expect(pass.kept).toContainEqual({ snapshotId: newBase, reason: 'an open plan maps it' });
      expect(await getEnvironment(state.db, 'dev')).toBeNull();
      expect(await physicalExists(engine, newBase)).toBe(true);

      // the long plan is cancelled; the queued one applies with dev's table, built once
      await cancelPlan(stack.temporal.client, 'prod', long.planId, 'tests');
      expect((await stack.settle(long.planId)).plan.status).toBe('cancelled');
      const applied = await stack.settle(queued.planId);
      expect(applied.plan.status).toBe('applied');
      expect(applied.executions.filter((e) => e.model === 'q.base')).toEqual([]);
      expect((await readRelation(engine, 'q', 'base')).rows).toEqual([['2']]);
      expect(await runJanitor(stack, false)).toMatchObject({ failures: [] });
      expect(await physicalExists(engine, newBase)).toBe(true);
    });
  });
});
