/**
 * The local stack the benchmarks measure: a real Temporal dev server, the state database
 * (SLUICE_DATABASE_URL, or PGlite in memory), the scheduler worker and a run and an apply executor in this process, on a DuckDB
 * warehouse in memory. Everything runs on this machine; nothing is mocked.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { submitPlan } from '../../api/environment-commands.ts';
import { readConfig } from '../../config/read.ts';
import type { Project } from '../../core/project/types.ts';
import { dataConverterOf } from '../../crypto/payload-codec.ts';
import { createStateDb, type StateDb } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';
import { getPlanStatus } from '../../state/plans.ts';
import { statePayloadStore } from '../../state/stored-payloads.ts';
import { startExecutorWorker } from '../../workers/executor-worker.ts';
import type { RunningWorker } from '../../workers/running-worker.ts';
import { bundleWorkflows, startSchedulerWorker } from '../../workers/scheduler-worker.ts';
import { withTemporalExecutable } from '../../workers/temporal-binaries.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';

export interface BenchStack {
  client: Client;
  /** the Temporal dev server's address, for workers in other processes. */
  address: string;
  db: StateDb;
  /** a folder for generated projects. */
  dir: string;
  /** submits `project` to `environment` and waits until the plan is applied. */
  apply(project: Project, environment: string): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  /** run the scheduler worker in this process (true): false when other processes run it. */
  schedulerWorker?: boolean;
  /** the state database; SLUICE_DATABASE_URL, or PGlite in memory, when absent. */
  databaseUrl?: string;
}

export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } },
    });
  } catch {
    // installed already
  }
  // SLUICE_DATABASE_URL measures against PostgreSQL; embedded PGlite (in memory) otherwise.
  const state = createStateDb({
    url: options.databaseUrl ?? readConfig('bench', process.env).SLUICE_DATABASE_URL ?? 'memory://',
  });
  await migrate(state.db);
  // as in production: the client and the scheduler keep large payloads in the state database
  const dataConverter = dataConverterOf(undefined, statePayloadStore(state.db));
  const env = await withTemporalExecutable('temporal', (executable) =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        searchAttributes: SLUICE_SEARCH_ATTRIBUTES,
        log: { format: 'pretty', level: 'error' },
      },
      client: { dataConverter },
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const gateways = { warehouse: { connection: { type: 'duckdb' as const, database: ':memory:' } } };
  const workers: RunningWorker[] = [
    ...(options.schedulerWorker === false
      ? []
      : [
          await startSchedulerWorker({
            connection: env.nativeConnection,
            db: state.db,
            client: env.client,
            identity: 'scheduler@bench',
            workflowBundle: await bundleWorkflows(),
            dataConverter,
          }),
        ]),
    await startExecutorWorker({
      connection: env.nativeConnection,
      role: 'run',
      gateways,
      baseDir: dir,
      identity: 'run@bench',
      dataConverter: dataConverterOf(undefined),
    }),
    await startExecutorWorker({
      connection: env.nativeConnection,
      role: 'apply',
      gateways,
      baseDir: dir,
      identity: 'apply@bench',
      dataConverter: dataConverterOf(undefined),
    }),
  ];
  return {
    client: env.client,
    address: env.address,
    db: state.db,
    dir,
    async apply(project, environment) {
      const { planId } = await submitPlan({
        db: state.db,
        client: env.client,
        project,
        environment,
        submittedBy: 'bench',
      });
      for (;;) {
        const plan = await getPlanStatus(state.db, planId);
        if (plan?.status === 'applied') return;
        if (plan?.status === 'failed') throw new Error(`plan for ${environment} failed: ${plan.error}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      for (const w of workers) await w.stop();
      await env.teardown();
      await state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes a project folder with a DuckDB gateway named `warehouse` and the given model files. */
export function writeProject(root: string, models: Record<string, string>, start: string): string {
  mkdirSync(join(root, 'models'), { recursive: true });
  writeFileSync(
    join(root, 'config.yaml'),
    `gateways:\n  warehouse:\n    connection:\n      type: duckdb\n      database: ':memory:'\ndefault_gateway: warehouse\nmodel_defaults:\n  dialect: duckdb\n  start: '${start}'\n`,
  );
  for (const [file, sql] of Object.entries(models)) writeFileSync(join(root, 'models', file), sql);
  return root;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Rows of a raw query on either state driver. */
export async function rows<T>(db: StateDb, sql: string): Promise<T[]> {
  const r = await db.execute(sql);
  return (Array.isArray(r) ? r : (r as unknown as { rows: T[] }).rows) as T[];
}

/** Waits until the workflow `id` exists (runs start a moment after they are asked for). */
export async function waitForWorkflow(client: Client, id: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.workflow.getHandle(id).describe();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
