/**
 * The scheduler worker: runs every sluice workflow (workflows/index.ts) and the scheduler
 * activities (state database, Temporal client) on `sluice-scheduler`. It holds no warehouse
 * credentials: SQL runs on the executors.
 *
 * Workflow code is bundled for Temporal's sandbox when the worker starts; processes that start
 * several scheduler workers (tests, `sluice dev` restarts) bundle once with `bundleWorkflows()` and
 * pass the bundle in.
 */

import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import {
  type ActivityInterceptorsFactory,
  bundleWorkflowCode,
  type NativeConnection,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { createNotificationActivities } from '../activities/notifications/index.ts';
import { createSchedulerActivities } from '../activities/scheduler/index.ts';
import type { ArtifactStore } from '../artifacts/store.ts';
import type { LinkBases } from '../core/notifications/links.ts';
import { dataConverterOf } from '../crypto/payload-codec.ts';
import type { StateDb } from '../db/client.ts';
import { statePayloadStore } from '../state/stored-payloads.ts';
import { livenessHeartbeats } from './activity-liveness.ts';
import { startNotifier, workflowStateReader } from './notifier.ts';
import { MODULE_EXTENSION } from './package-root.ts';
import { type RunningWorker, runWorker, shutdownTimes } from './running-worker.ts';
import { bundlerLogger } from './runtime.ts';

/** The workflows' entry point: the TypeScript source, or its compiled twin when the CLI runs from `dist/`. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${MODULE_EXTENSION}`, import.meta.url),
);

/** Node modules the workflow bundle must leave out (they are only reached from activity code). */
const IGNORED_MODULES = ['fs', 'fs/promises'];

export type WorkflowBundle = WorkflowBundleWithSourceMap;

/**
 * Bundles the workflows once, for workers that should not each bundle them again. Workflow code
 * takes its failure converter from the bundle: pass the workers' data converter so failures
 * raised in workflows are encoded the way the workers encode the rest (payload-codec.ts).
 */
export function bundleWorkflows(dataConverter?: DataConverter): Promise<WorkflowBundle> {
  const failureConverterPath = dataConverter?.failureConverterPath;
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ignoreModules: IGNORED_MODULES,
    logger: bundlerLogger(),
    ...(failureConverterPath === undefined ? {} : { failureConverterPath }),
  });
}

export interface SchedulerWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  db: StateDb;
  /** the Temporal client the scheduler activities use (to look up runs). */
  client: Client;
  identity: string;
  /** a bundle made by `bundleWorkflows()`; the worker bundles the workflows itself when absent. */
  workflowBundle?: WorkflowBundle;
  shutdownGraceMs?: number;
  /**
   * the payload codecs as `dataConverterOf()` gives them (SLUICE_PAYLOAD_KEY, large payloads kept in
   * the state database); by default, large payloads kept in `db` and nothing encrypted.
   */
  dataConverter?: DataConverter;
  /** the bases of the links in notifications (SLUICE_PUBLIC_API_URL, SLUICE_TEMPORAL_UI_URL). */
  notificationLinks?: LinkBases;
  /** start the notifier (`sluice-notifier`) unless it runs already; true by default. */
  startNotifier?: boolean;
  /** where runs and plans leave their artifacts (SLUICE_ARTIFACTS); none are written without it. */
  artifacts?: ArtifactStore;
  /** SLUICE_ARTIFACT_RETENTION in ms; null: kept forever. */
  artifactRetentionMs?: number | null;
  /** SLUICE_JANITOR_GRACE in ms. */
  janitorGraceMs?: number;
  /** activity interceptors run inside the liveness heartbeats (benchmarks simulate a dead worker). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

/** Starts the scheduler worker; stopping it leaves the state database open (its owner closes it). */
export async function startSchedulerWorker(options: SchedulerWorkerOptions): Promise<RunningWorker> {
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: TASK_QUEUES.scheduler,
    identity: options.identity,
    ...(options.workflowBundle === undefined
      ? { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { ignoreModules: IGNORED_MODULES } }
      : { workflowBundle: options.workflowBundle }),
    activities: {
      ...createSchedulerActivities({
        db: options.db,
        temporal: options.client,
        ...(options.artifacts === undefined ? {} : { artifacts: options.artifacts }),
        artifactRetentionMs: options.artifactRetentionMs ?? null,
        ...(options.janitorGraceMs === undefined ? {} : { janitorGraceMs: options.janitorGraceMs }),
      }),
      ...createNotificationActivities({
        db: options.db,
        links: { namespace: options.namespace ?? 'default', ...options.notificationLinks },
        environmentState: workflowStateReader(options.client),
      }),
    },
    dataConverter: options.dataConverter ?? dataConverterOf(undefined, statePayloadStore(options.db)),
    interceptors: { activity: [livenessHeartbeats, ...(options.activityInterceptors ?? [])] },
    ...shutdownTimes(options.shutdownGraceMs),
    // A workflow task waits this long for the worker that has the workflow cached before any
    // scheduler worker takes it: a killed worker holds its environments' next steps no longer.
    stickyQueueScheduleToStartTimeout: '2 seconds',
  });
  const running = runWorker(worker, options.identity);
  if (options.startNotifier ?? true) await startNotifier(options.client);
  return running;
}
