/**
 * Everything sluice needs, in one process, for `sluice dev`: a Temporal dev server with its Web UI
 * (unless TEMPORAL_ADDRESS names a running server), the state database, the scheduler worker, one
 * run and one apply executor with the project's gateways, and the project applied to `prod`.
 *
 * State lives under `<SLUICE_HOME or <project>/.sluice>`: the dev server's `temporal.db` and, without
 * SLUICE_DATABASE_URL, the PGlite state database in `state/`. Stopping and starting again resumes
 * the same environment workflow and its schedules; a plan is submitted only when the project's
 * models differ from what prod runs and no earlier plan is still queued or applying.
 *
 * With SLUICE_PAYLOAD_KEY, the workers and clients encrypt every Temporal payload, and the dev
 * server's Web UI is started with its codec endpoint at the API's `/api/codec`, so it shows them
 * decoded (when the API runs with authentication off, as it does on loopback without tokens).
 */

import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { TASK_QUEUES } from '../activities/contracts.ts';
import { connectionOptionsOf } from '../api/connection-options.ts';
import { ensureEnvironmentWorkflow, planChangesSomething, queuePlan } from '../api/environment-commands.ts';
import { apiServerSettings, startApiServer } from '../api/server.ts';
import { artifactStoreOf } from '../artifacts/from-config.ts';
import { type ConfigOf, readConfig } from '../config/read.ts';
import { PROD_ENVIRONMENT } from '../core/naming.ts';
import { formatPlanDiff } from '../core/plan/format.ts';
import type { Env } from '../core/project/env-overrides.ts';
import { loadProject } from '../core/project/load.ts';
import { environmentWorkflowId } from '../core/workflow-ids.ts';
import { dataConverterOf, EncryptionCodec } from '../crypto/payload-codec.ts';
import { createStateDb, type StateConnection } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { computePlan } from '../state/plan/compute.ts';
import { createPlanRecord } from '../state/plan/record.ts';
import { statePayloadStore } from '../state/stored-payloads.ts';
import type { EnvironmentState } from '../workflows/environment.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';
import { stateQuery } from '../workflows/signals.ts';
import { ensureArtifactSweep } from './artifact-sweep.ts';
import { connectTemporal } from './connection.ts';
import { type DevActivityOptions, watchDevActivity } from './dev-activity.ts';
import { type DevServer, startDevServer } from './dev-server.ts';
import { startExecutorWorker } from './executor-worker.ts';
import { ensureJanitor } from './janitor.ts';
import type { RunningWorker } from './running-worker.ts';
import { bundleWorkflows, startSchedulerWorker, type WorkflowBundle } from './scheduler-worker.ts';
import { type TemporalConfig, temporalConfig } from './temporal-config.ts';

export const DEV_SUBMITTER = 'sluice dev';

export interface DevStackOptions {
  /** the project folder. */
  project: string;
  /**
   * the environment: the project's gateway variables and where the Temporal binary is; the process
   * environment by default.
   */
  env?: Env;
  /** the settings (config/variables.ts, read by `sluice dev`); read from `env` when omitted. */
  config?: ConfigOf<'dev'>;
  /** one line per step, for the person watching. */
  log?: (line: string) => void;
  /** a bundle from `bundleWorkflows()`, for callers that start the stack more than once. */
  workflowBundle?: WorkflowBundle;
  /** also serve the HTTP API in this process (SLUICE_API_HOST / SLUICE_API_PORT); off unless given. */
  api?: { port?: number };
  /** told of each run and plan step while the stack runs (workers/dev-activity.ts); nothing is watched unless given. */
  activity?: Omit<DevActivityOptions, 'db'>;
}

export interface DevStack {
  client: Client;
  namespace: string;
  urls: { temporal: string; ui: string | null; api: string | null };
  /** the API's codec endpoint the Web UI was pointed at (SLUICE_PAYLOAD_KEY with the API); null otherwise. */
  codecEndpoint: string | null;
  /** where the dev server and the embedded state database keep their files. */
  home: string;
  environmentWorkflowId: string;
  /** true when the environment workflow was already running (a restart), false when this start created it. */
  resumed: boolean;
  /** the plan this start submitted; null when prod already matched the project or a plan was in progress. */
  plan: { planId: string; position: number } | null;
  workers: RunningWorker[];
  graceMs: number;
  /** settles when a worker or the dev server stops on its own. */
  done: Promise<void>;
  /** drains the workers, closes the state database and connections, then stops the dev server. */
  stop(): Promise<void>;
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  // every setting is checked before anything is created
  const config = options.config ?? readConfig('dev', env);
  const root = resolve(options.project);
  const project = loadProject(root, { env });
  const home = config.SLUICE_HOME === undefined ? join(root, '.sluice') : resolve(config.SLUICE_HOME);
  const graceMs = config.SLUICE_SHUTDOWN_GRACE;
  const external = config.TEMPORAL_ADDRESS === undefined ? undefined : temporalConfig(config);
  const local =
    external === undefined
      ? {
          port: config.SLUICE_TEMPORAL_PORT,
          uiPort: config.SLUICE_TEMPORAL_UI_PORT,
          namespace: config.TEMPORAL_NAMESPACE,
        }
      : undefined;
  const codec = codecSettings(config, external, local?.uiPort);
  // SLUICE_ENCRYPTION_KEY: the API seals scheduler-managed connections, the executors open them
  const connectionOptions = connectionOptionsOf(config);
  // with the payload key, the dev server's Web UI decodes through the API, which must listen where the UI is told
  const apiListen =
    codec !== undefined && options.api && local !== undefined
      ? await apiListenAddress(config, options.api.port)
      : undefined;
  const codecEndpoint =
    apiListen === undefined ? null : `${browserUrl(apiListen.host, apiListen.port)}/api/codec`;
  mkdirSync(home, { recursive: true });
  const artifacts = artifactStoreOf(config, home, root);

  // everything opened so far, closed in reverse order on failure or stop
  const opened: Array<{ name: string; close: () => Promise<void> }> = [];
  const closeAll = async () => {
    const errors: string[] = [];
    for (const { name, close } of opened.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (errors.length > 0) throw new Error(`sluice dev did not stop cleanly: ${errors.join('; ')}`);
  };

  try {
    let temporal: TemporalConfig;
    let server: DevServer | undefined;
    let ui: string | null = null;
    if (local === undefined) {
      temporal = external!;
      log(`Using the Temporal server at ${temporal.address} (TEMPORAL_ADDRESS)`);
    } else {
      const { port, uiPort, namespace } = local;
      log(`Starting the Temporal dev server on 127.0.0.1:${port} (state in ${join(home, 'temporal.db')})`);
      server = await startDevServer({
        namespace,
        port,
        uiPort,
        dbFile: join(home, 'temporal.db'),
        logFile: join(home, 'temporal.log'),
        env,
        ...(codecEndpoint === null ? {} : { uiCodecEndpoint: codecEndpoint }),
      });
      opened.push({ name: 'Temporal dev server', close: () => server!.stop() });
      temporal = {
        address: server.address,
        namespace,
        ...(codec === undefined ? {} : { payloadCodec: codec.codec }),
      };
      ui = server.uiUrl;
    }
    const { namespace } = temporal;
    if (codec !== undefined) {
      log(
        `Payloads: encrypted with SLUICE_PAYLOAD_KEY${codec.keyId === undefined ? '' : ` (key "${codec.keyId}")`}`,
      );
    }

    const state: StateConnection = createStateDb(
      config.SLUICE_DATABASE_URL === undefined
        ? { dataDir: join(home, 'state') }
        : { url: config.SLUICE_DATABASE_URL },
    );
    opened.push({ name: 'state database', close: () => state.close() });
    await migrate(state.db);
    log(
      state.driver === 'pglite'
        ? `State database: PGlite in ${join(home, 'state')}`
        : 'State database: PostgreSQL (SLUICE_DATABASE_URL)',
    );
    const payloadStore = statePayloadStore(state.db);
    const dataConverter = dataConverterOf(temporal.payloadCodec, payloadStore);

    const workerConnection: NativeConnection = await connectTemporal(temporal, 'worker');
    opened.push({ name: 'Temporal worker connection', close: () => workerConnection.close() });
    const { connection, client } = await connectTemporal(temporal, 'client', payloadStore);
    opened.push({ name: 'Temporal client connection', close: () => connection.close() });
    await checkNamespace(client, namespace);

    if (options.workflowBundle === undefined) log('Bundling the workflows');
    const workflowBundle = options.workflowBundle ?? (await bundleWorkflows(dataConverter));
    const host = `${hostname()}:${process.pid}`;
    const workers: RunningWorker[] = [];
    const keep = (worker: RunningWorker) => {
      workers.push(worker);
      opened.push({ name: `${worker.taskQueue} worker`, close: () => worker.stop() });
      return worker;
    };
    keep(
      await startSchedulerWorker({
        connection: workerConnection,
        namespace,
        db: state.db,
        client,
        identity: `scheduler@${host}`,
        workflowBundle,
        shutdownGraceMs: graceMs,
        dataConverter,
        notificationLinks: {
          ...(config.SLUICE_PUBLIC_API_URL === undefined ? {} : { api: config.SLUICE_PUBLIC_API_URL }),
          ...((config.SLUICE_TEMPORAL_UI_URL ?? ui)
            ? { temporalUi: config.SLUICE_TEMPORAL_UI_URL ?? ui! }
            : {}),
        },
        artifacts,
        artifactRetentionMs: config.SLUICE_ARTIFACT_RETENTION,
        janitorGraceMs: config.SLUICE_JANITOR_GRACE,
      }),
    );
    await ensureArtifactSweep(client);
    await ensureJanitor(client);
    log(`Artifacts: ${artifacts.location} (${describeRetention(config.SLUICE_ARTIFACT_RETENTION)})`);
    const gatewayNames = Object.keys(project.config.gateways).sort();
    for (const role of ['run', 'apply'] as const) {
      keep(
        await startExecutorWorker({
          connection: workerConnection,
          namespace,
          role,
          gateways: project.config.gateways,
          baseDir: project.root,
          identity: `${role}@${host}`,
          shutdownGraceMs: graceMs,
          presenceIntervalMs: config.SLUICE_PRESENCE_INTERVAL,
          // as in production, executors store no payload and refuse stored ones
          dataConverter: dataConverterOf(temporal.payloadCodec),
          ...(connectionOptions.encryption === undefined ? {} : { encryption: connectionOptions.encryption }),
        }),
      );
    }
    log(
      `Workers: ${TASK_QUEUES.scheduler} (workflows, state), ${TASK_QUEUES.run} and ${TASK_QUEUES.apply} ` +
        `(gateways: ${gatewayNames.join(', ')})`,
    );

    const environment = PROD_ENVIRONMENT;
    const workflowId = environmentWorkflowId(environment);
    const searchAttributes = server !== undefined || (await searchAttributesRegistered(client, namespace));
    const resumed = await isRunning(client, workflowId);
    await ensureEnvironmentWorkflow(client, environment, { searchAttributes });
    log(
      resumed
        ? `Environment ${environment}: workflow ${workflowId} is already running; its schedules carry on`
        : `Environment ${environment}: started workflow ${workflowId}`,
    );

    let plan: DevStack['plan'] = null;
    const current = await queryState(client, workflowId);
    const inProgress = current.applyingPlan ?? current.plansQueued[0]?.planId;
    if (inProgress !== undefined) {
      log(`Plan ${inProgress} is still being applied to ${environment}; not submitting another`);
    } else {
      // the diff decides first, so a start without changes leaves no plan behind in the state database
      const now = Date.now();
      const preview = await computePlan({ db: state.db, project, environment, now });
      if (!planChangesSomething(preview)) {
        log(`No changes: the project matches what ${environment} runs`);
      } else {
        const { planId, diff } = await createPlanRecord({
          db: state.db,
          project,
          environment,
          submittedBy: DEV_SUBMITTER,
          now,
        });
        for (const line of formatPlanDiff(diff).trimEnd().split('\n')) log(`  ${line}`);
        const accepted = await queuePlan({
          db: state.db,
          client,
          planId,
          environment,
          submittedBy: DEV_SUBMITTER,
          options: { searchAttributes },
        });
        plan = { planId, position: accepted.position };
        log(`Submitted plan ${planId} to ${environment} (position ${accepted.position} in its queue)`);
      }
    }

    let api: string | null = null;
    if (options.api) {
      const server = await startApiServer({
        db: state.db,
        client,
        ...apiServerSettings(config),
        log,
        ...(options.api.port === undefined ? {} : { port: options.api.port }),
        ...(apiListen === undefined ? {} : apiListen),
        ...(codec === undefined
          ? {}
          : { payloadCodec: { codec: codec.codec, corsOrigins: codec.corsOrigins } }),
        ...connectionOptions,
        artifacts,
        ...((config.SLUICE_TEMPORAL_UI_URL ?? ui)
          ? { temporalUiUrl: config.SLUICE_TEMPORAL_UI_URL ?? ui! }
          : {}),
      });
      opened.push({ name: 'API server', close: () => server.close() });
      api = server.url;
      log(`Dashboard: ${api}/`);
      log(`API: ${api}/api (docs at ${api}/api/docs)`);
      if (codec !== undefined) {
        const endpoint = codecEndpoint ?? `${api}/api/codec`;
        log(
          server.auth === 'tokens'
            ? `Codec endpoint: ${endpoint} needs an API token, which the Web UI cannot send; ` +
                "run `sluice codec-server` and set the UI's codec endpoint to it to read payloads there"
            : codecEndpoint !== null
              ? `Codec endpoint: ${endpoint} (the Web UI decodes payloads through it)`
              : `Codec endpoint: ${endpoint} (set it as the Web UI's codec endpoint to read payloads there)`,
        );
      }
    }
    if (codec !== undefined && api === null) {
      log(
        "Payloads are encrypted: run `sluice codec-server` and set the Web UI's codec endpoint to read them there",
      );
    }
    const urls = { temporal: temporal.address, ui, api };
    log(
      ui === null
        ? `Temporal: ${temporal.address}, namespace ${namespace}`
        : `Temporal Web UI: ${ui}/namespaces/${namespace}/workflows (namespace ${namespace})`,
    );
    if (options.activity !== undefined) {
      // closed before the state database it reads
      const watch = watchDevActivity({ ...options.activity, db: state.db });
      opened.push({ name: 'activity watch', close: () => watch.stop() });
    }
    log('sluice dev is running; press Ctrl-C to stop');

    const done = Promise.race([
      ...workers.map((worker) => worker.done),
      ...(server === undefined ? [] : [server.exited.then(() => {})]),
    ]);
    done.catch(() => {});
    let stopping: Promise<void> | undefined;
    return {
      client,
      namespace,
      urls,
      codecEndpoint,
      home,
      environmentWorkflowId: workflowId,
      resumed,
      plan,
      workers,
      graceMs,
      done,
      stop: () => {
        stopping ??= stopStack(workers, closeAll);
        return stopping;
      },
    };
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }
}

/** Workers drain together first, then the rest closes in reverse order of opening. */
async function stopStack(workers: RunningWorker[], closeAll: () => Promise<void>): Promise<void> {
  await Promise.allSettled(workers.map((worker) => worker.stop()));
  await closeAll();
}

interface CodecSettings {
  codec: PayloadCodec;
  keyId: string | undefined;
  /** SLUICE_CODEC_CORS_ORIGINS and this stack's own Web UI. */
  corsOrigins: string[];
}

/** The payload codec SLUICE_PAYLOAD_KEY describes, and the browser origins allowed to use its endpoint. */
function codecSettings(
  config: ConfigOf<'dev'>,
  external: TemporalConfig | undefined,
  uiPort: number | undefined,
): CodecSettings | undefined {
  // without TEMPORAL_ADDRESS the dev server is local: only the payload keys of the Temporal settings apply
  const codec = (
    external ??
    temporalConfig({
      TEMPORAL_ADDRESS: undefined,
      TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
      TEMPORAL_TLS_CERT: undefined,
      TEMPORAL_TLS_KEY: undefined,
      TEMPORAL_TLS_CA: undefined,
      TEMPORAL_TLS_SERVER_NAME: undefined,
      TEMPORAL_API_KEY: undefined,
      SLUICE_PAYLOAD_KEY: config.SLUICE_PAYLOAD_KEY,
      SLUICE_PAYLOAD_KEY_PREVIOUS: config.SLUICE_PAYLOAD_KEY_PREVIOUS,
    })
  ).payloadCodec;
  if (codec === undefined) return undefined;
  const own = uiPort === undefined ? [] : [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
  return {
    codec,
    keyId: codec instanceof EncryptionCodec ? codec.keyId : undefined,
    corsOrigins: [...new Set([...config.SLUICE_CODEC_CORS_ORIGINS, ...own])],
  };
}

/** Where the API will listen (SLUICE_API_HOST, SLUICE_API_PORT), known before it starts; port 0 picks one now. */
async function apiListenAddress(
  config: ConfigOf<'dev'>,
  explicitPort: number | undefined,
): Promise<{ host: string; port: number }> {
  const host = config.SLUICE_API_HOST;
  const port = explicitPort ?? config.SLUICE_API_PORT;
  return { host, port: port === 0 ? await freePort(host) : port };
}

/** The URL a browser on this machine reaches `host:port` at. */
function browserUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function checkNamespace(client: Client, namespace: string): Promise<void> {
  try {
    await client.workflowService.describeNamespace({ namespace });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Temporal namespace ${namespace} is not available (TEMPORAL_NAMESPACE): ${reason}`);
  }
}

async function searchAttributesRegistered(client: Client, namespace: string): Promise<boolean> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const custom = Object.keys(customAttributes ?? {});
  return SLUICE_SEARCH_ATTRIBUTES.every((key) => custom.includes(key.name));
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** The environment's state; retried while its first workflow task has not completed yet. */
async function queryState(client: Client, workflowId: string): Promise<EnvironmentState> {
  const handle = client.workflow.getHandle(workflowId);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await handle.query(stateQuery);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function describeRetention(ms: number | null): string {
  if (ms === null) return 'kept forever';
  return ms % 86_400_000 === 0 ? `kept ${ms / 86_400_000} days` : `kept ${Math.round(ms / 60_000)} minutes`;
}
