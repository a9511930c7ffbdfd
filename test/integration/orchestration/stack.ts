/**
 * The real stack the orchestration tests run on: a Temporal dev server with sluice's search
 * attributes registered and its default limits, a scratch PostgreSQL state database, the scheduler
 * worker, a scratch PostgreSQL warehouse with a project written against it, an apply executor in this
 * process, and run executors as separate `sluice worker --role run` processes configured by
 * environment only, as in production. `stop()` undoes all of it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import postgres from 'postgres';
import { afterAll, beforeAll } from 'vitest';
import {
  type EnvironmentOptions,
  environmentState,
  type SubmittedPlan,
  submitPlan,
} from '../../../api/environment-commands.ts';
import type { ArtifactStore } from '../../../artifacts/store.ts';
import { loadProject } from '../../../core/project/load.ts';
import type { Project } from '../../../core/project/types.ts';
import { dataConverterOf } from '../../../crypto/payload-codec.ts';
import { createStateDb, type StateConnection, type StateDb } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { getPlan } from '../../../state/plans.ts';
import { getRun } from '../../../state/runs.ts';
import { statePayloadStore } from '../../../state/stored-payloads.ts';
import { startDevServer as startPersistentDevServer } from '../../../workers/dev-server.ts';
import { startExecutorWorker } from '../../../workers/executor-worker.ts';
import type { RunningWorker } from '../../../workers/running-worker.ts';
import { bundleWorkflows, startSchedulerWorker } from '../../../workers/scheduler-worker.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes.ts';
import { freePort } from '../../support/ports.ts';
import { type SluiceProcess, SluiceProcesses } from '../../support/sluice-process.ts';
import { startDevServer } from '../../support/temporal.ts';
import { waitFor } from '../../support/waiting.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';

export const MINUTE = 60_000;

/** `ms` rounded down to its minute. */
export function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE) * MINUTE;
}

/** A `MODEL (...)` file: its header properties, one a line, then its query. */
export function modelFile(properties: string[], query: string): string {
  return `MODEL (\n  ${properties.join(',\n  ')}\n);\n${query}\n`;
}

/** An INCREMENTAL_BY_TIME_RANGE model on a minute cron, one batch a minute. */
export const minuteModel = (name: string, query: string) =>
  modelFile(
    [`name ${name}`, 'kind INCREMENTAL_BY_TIME_RANGE (time_column minute, batch_size 1)', "cron '* * * * *'"],
    query,
  );

/** A project's `config.yaml`: one PostgreSQL gateway, `warehouse`, on the test server. */
export function projectConfig(database: string, start: number): string {
  return [
    'gateways:',
    '  warehouse:',
    '    connection:',
    '      type: postgres',
    '      host: 127.0.0.1',
    '      port: 5432',
    '      user: postgres',
    `      database: ${database}`,
    'default_gateway: warehouse',
    'model_defaults:',
    '  dialect: postgres',
    `  start: '${new Date(start).toISOString()}'`,
    '',
  ].join('\n');
}

/** The Temporal server the stack runs on, as its parts reach it. */
export type StackTemporal = Pick<TestWorkflowEnvironment, 'address' | 'nativeConnection' | 'client'>;

export interface OrchestrationStack {
  temporal: StackTemporal;
  client: Client;
  /** the state database the scheduler worker writes. */
  db: StateDb;
  warehouse: ScratchDatabase;
  /** a connection to the warehouse, for the test's own reads and writes. */
  wh: postgres.Sql;
  projectDir: string;
  /** writes (or overwrites) `models/<file>`. */
  writeModel(file: string, text: string): void;
  /** the project as it is on disk now. */
  project(): Project;
  /** starts a `sluice worker --role run` process serving the warehouse; resolves once it polls. */
  startRunExecutor(identity: string): Promise<SluiceProcess>;
  /** the run executor processes started so far, in order. */
  runExecutors: SluiceProcess[];
  /** stops the scheduler worker (as a shutdown does) and starts a new one in its place. */
  restartSchedulerWorker(): Promise<void>;
  /** stops the Temporal server and starts it again on its state file (only with `persistentTemporal`). */
  restartTemporal(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** names the scratch databases and the project folder. */
  tag: string;
  /** `model_defaults.start` of the project. */
  start: number;
  /** model files by file name. */
  models: Record<string, string>;
  /** identity of a run executor process to start with the stack. */
  runExecutor?: string;
  /** where the scheduler writes the artifacts of runs and plans; none are written without it. */
  artifacts?: ArtifactStore;
  /**
   * run on the Temporal CLI's dev server keeping its state in a SQLite file (as `sluice dev` does),
   * so the server can be restarted; the test server's in-memory one otherwise.
   */
  persistentTemporal?: boolean;
}

/** A dev server on a state file, restartable on the same address; its connections survive restarts. */
async function persistentTemporal(
  cleanups: Array<() => Promise<unknown> | unknown>,
): Promise<{ temporal: StackTemporal; restart: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-temporal-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const options = {
    port: await freePort(),
    uiPort: await freePort(),
    dbFile: join(dir, 'temporal.db'),
    logFile: join(dir, 'temporal.log'),
  };
  let server = await startPersistentDevServer(options);
  cleanups.push(() => server.stop());
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  cleanups.push(() => nativeConnection.close());
  const connection = await Connection.connect({ address: server.address });
  cleanups.push(() => connection.close());
  return {
    temporal: { address: server.address, nativeConnection, client: new Client({ connection }) },
    restart: async () => {
      await server.stop();
      server = await startPersistentDevServer(options);
    },
  };
}

export async function startOrchestrationStack(options: StackOptions): Promise<OrchestrationStack> {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  };
  try {
    let temporal: StackTemporal;
    let restartTemporal: () => Promise<void> = async () => {
      throw new Error('the stack runs on an in-memory Temporal server: start it with persistentTemporal');
    };
    if (options.persistentTemporal) {
      const persistent = await persistentTemporal(cleanups);
      temporal = persistent.temporal;
      restartTemporal = persistent.restart;
    } else {
      const env = await startDevServer(SLUICE_SEARCH_ATTRIBUTES);
      cleanups.push(() => env.teardown());
      temporal = env;
    }
    const warehouse = await createScratchDatabase(`${options.tag}_wh`);
    cleanups.push(() => warehouse.drop());
    const stateDb = await createScratchDatabase(`${options.tag}_state`);
    cleanups.push(() => stateDb.drop());
    const state: StateConnection = createStateDb({ url: stateDb.url });
    cleanups.push(() => state.close());
    await migrate(state.db);
    // as in production, the client keeps and reads large payloads in the state database
    temporal = {
      ...temporal,
      client: new Client({
        connection: temporal.client.connection,
        namespace: temporal.client.options.namespace,
        dataConverter: dataConverterOf(undefined, statePayloadStore(state.db)),
      }),
    };
    const wh = postgres(warehouse.url, { max: 2, onnotice: () => {} });
    cleanups.push(() => wh.end());

    const projectDir = mkdtempSync(join(tmpdir(), `sluice-${options.tag}-`));
    cleanups.push(() => rmSync(projectDir, { recursive: true, force: true }));
    mkdirSync(join(projectDir, 'models'));
    writeFileSync(join(projectDir, 'config.yaml'), projectConfig(warehouse.name, options.start));
    const writeModel = (file: string, text: string) => writeFileSync(join(projectDir, 'models', file), text);
    for (const [file, text] of Object.entries(options.models)) writeModel(file, text);
    const project = () => loadProject(projectDir, { env: process.env });

    const workers: RunningWorker[] = [];
    cleanups.push(async () => {
      for (const worker of workers) await worker.stop().catch(() => {});
    });
    const workflowBundle = await bundleWorkflows();
    const startScheduler = (identity: string) =>
      startSchedulerWorker({
        connection: temporal.nativeConnection,
        db: state.db,
        client: temporal.client,
        identity,
        workflowBundle,
        ...(options.artifacts === undefined ? {} : { artifacts: options.artifacts }),
      });
    let scheduler = await startScheduler('scheduler@test');
    workers.push(scheduler);
    let schedulers = 1;
    const restartSchedulerWorker = async () => {
      await scheduler.stop();
      scheduler = await startScheduler(`scheduler-${++schedulers}@test`);
      workers.push(scheduler);
    };
    workers.push(
      await startExecutorWorker({
        connection: temporal.nativeConnection,
        role: 'apply',
        gateways: project().config.gateways,
        baseDir: projectDir,
        identity: 'apply@test',
      }),
    );

    const processes = new SluiceProcesses();
    cleanups.push(() => processes.stopAll());
    const runExecutors: SluiceProcess[] = [];
    const startRunExecutor = async (identity: string) => {
      const started = await processes.start(
        identity,
        ['worker', '--role', 'run'],
        {
          TEMPORAL_ADDRESS: temporal.address,
          SLUICE_EXECUTOR_IDENTITY: identity,
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'postgres',
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: '127.0.0.1',
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT: '5432',
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER: 'postgres',
          SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE: warehouse.name,
          SLUICE__DEFAULT_GATEWAY: 'warehouse',
          SLUICE_SHUTDOWN_GRACE: '2s',
        },
        /serving task queue sluice-run/,
      );
      runExecutors.push(started);
      return started;
    };
    if (options.runExecutor) await startRunExecutor(options.runExecutor);

    return {
      temporal,
      client: temporal.client,
      db: state.db,
      warehouse,
      wh,
      projectDir,
      writeModel,
      project,
      startRunExecutor,
      runExecutors,
      restartSchedulerWorker,
      restartTemporal,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Waits until the plan is applied; fails at once with its error when it failed. */
export function waitForPlanApplied(db: StateDb, planId: string, timeoutMs = 120_000) {
  return waitFor(
    `plan ${planId} to apply`,
    async () => {
      const plan = await getPlan(db, planId);
      if (plan?.status === 'failed' || plan?.status === 'cancelled') {
        throw new Error(`plan ${planId} ${plan.status}: ${plan.error}`);
      }
      return plan?.status === 'applied' ? plan : undefined;
    },
    timeoutMs,
  );
}

/** Waits until the run's record is final (its workflow may still be reporting). */
export function waitForRunEnded(db: StateDb, runId: string, timeoutMs: number) {
  return waitFor(
    `run ${runId} to end`,
    async () => {
      const run = await getRun(db, runId);
      return run && run.finishedAt !== null ? run : undefined;
    },
    timeoutMs,
  );
}

/**
 * Starts the stack around the tests of the enclosing describe block (stopped after them); the
 * returned function gives it to the tests.
 */
export function useOrchestrationStack(options: () => StackOptions): () => OrchestrationStack {
  let stack: OrchestrationStack | undefined;
  beforeAll(async () => {
    stack = await startOrchestrationStack(options());
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  });
  return () => {
    if (!stack) throw new Error('the orchestration stack is not started yet');
    return stack;
  };
}

/**
 * Submits a plan of the project on disk to prod, waits until it is applied and the environment
 * workflow schedules the project's models.
 */
export async function applyPlan(
  stack: OrchestrationStack,
  args: { now?: number; options?: EnvironmentOptions; timeoutMs?: number } = {},
): Promise<SubmittedPlan> {
  const project = stack.project();
  const submitted = await submitPlan({
    db: stack.db,
    client: stack.client,
    project,
    environment: 'prod',
    submittedBy: 'ci',
    ...(args.now === undefined ? {} : { now: args.now }),
    ...(args.options === undefined ? {} : { options: args.options }),
  });
  await waitForPlanApplied(stack.db, submitted.planId, args.timeoutMs);
  await waitFor(
    'the environment to schedule the plan',
    async () => {
      const state = await environmentState(stack.client, 'prod');
      return state.applyingPlan === null && state.models.length === project.models.length ? true : undefined;
    },
    30_000,
  );
  return submitted;
}
