/**
 * Payload encryption on the real stack: a Temporal dev server, and sluice's scheduler, apply executor
 * and run executor started the way `sluice worker` starts them (configured from the environment,
 * SLUICE_PAYLOAD_KEY included). A plan is applied and a run restated; then the raw histories, read
 * with a client that has no codec, hold only `binary/encrypted` payloads and none of the project's
 * SQL, while a client configured like the processes reads the results, and the codec endpoint
 * decodes what the Web UI would send it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodecApp } from '../../../api/codec-server.ts';
import { environmentState, restate, submitPlan } from '../../../api/environment-commands.ts';
import { loadProject } from '../../../core/project/load.ts';
import { environmentWorkflowId, planWorkflowId } from '../../../core/workflow-ids.ts';
import { ENCRYPTED_ENCODING } from '../../../crypto/payload-codec.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { queryRows } from '../../../db/query-rows.ts';
import { getPlan } from '../../../state/plans.ts';
import { readWorkerConfig } from '../../../workers/config.ts';
import { connectTemporal, type TemporalClientConnection } from '../../../workers/connection.ts';
import { readTemporalConfig } from '../../../workers/temporal-config.ts';
import { type StartedWorkerProcess, startWorkerProcess } from '../../../workers/worker-process.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes.ts';
import { startDevServer } from '../../support/temporal.ts';
import { waitFor } from '../../support/waiting.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';

const HOUR = 3_600_000;
const MODEL = 'codec_it.secret_orders';
/** text only the model's SQL holds. */
const SQL_MARKER = 'tulip_marker_7731';
/**
 * Temporal never runs these through a codec: search attributes and headers are indexed or read by
 * the server, and a patch marker's data (`patched()`: the patch id written in the workflow's code,
 * never user data) is written by the SDK's core as plain JSON.
 */
const NOT_ENCODED = new Set(['searchAttributes', 'header', 'patch-data']);

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function isPayload(value: Record<string, unknown>): value is Payload & Record<string, unknown> {
  const { metadata, data } = value;
  return (
    metadata !== null &&
    typeof metadata === 'object' &&
    !Array.isArray(metadata) &&
    Object.values(metadata).every(isBytes) &&
    (data === undefined || data === null || isBytes(data))
  );
}

/** Every payload in `value` (outside what Temporal never encodes), with where it is. */
function payloadsIn(value: unknown, path: string, out: Array<{ path: string; payload: Payload }>): void {
  if (value === null || typeof value !== 'object' || isBytes(value)) return;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) payloadsIn(item, `${path}[${index}]`, out);
    return;
  }
  const record = value as Record<string, unknown>;
  if (isPayload(record)) {
    out.push({ path, payload: record });
    return;
  }
  for (const [key, item] of Object.entries(record)) {
    if (!NOT_ENCODED.has(key)) payloadsIn(item, `${path}.${key}`, out);
  }
}

/** Every string in `value`, bytes read as UTF-8: what anyone with the raw history can read. */
function textOf(value: unknown, skip: ReadonlySet<string> = new Set()): string {
  const out: string[] = [];
  const walk = (item: unknown) => {
    if (typeof item === 'string') out.push(item);
    else if (isBytes(item)) out.push(Buffer.from(item).toString('utf8'));
    else if (Array.isArray(item)) for (const child of item) walk(child);
    else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) if (!skip.has(key)) walk(child);
    }
  };
  walk(value);
  return out.join('\n');
}

describe('payload encryption through sluice worker processes', () => {
  let temporal: TestWorkflowEnvironment;
  let stateDb: ScratchDatabase;
  let state: StateConnection;
  let dir: string;
  let processEnv: Record<string, string>;
  let codecClient: TemporalClientConnection;
  const processes: StartedWorkerProcess[] = [];

  beforeAll(async () => {
    temporal = await startDevServer(SLUICE_SEARCH_ATTRIBUTES);
    stateDb = await createScratchDatabase('codec_state');
    dir = mkdtempSync(join(tmpdir(), 'sluice-codec-'));
    mkdirSync(join(dir, 'models'));
    const start = new Date(Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR).toISOString();
    writeFileSync(
      join(dir, 'config.yaml'),
      `gateways:\n  warehouse:\n    connection:\n      type: duckdb\n      database: warehouse.duckdb\ndefault_gateway: warehouse\nmodel_defaults:\n  dialect: duckdb\n  start: '${start}'\n`,
    );
    writeFileSync(
      join(dir, 'models', 'secret_orders.sql'),
      `MODEL (\n  name ${MODEL},\n  kind FULL,\n  cron '@hourly'\n);\nSELECT 1 AS order_id, '${SQL_MARKER}' AS note\n`,
    );

    processEnv = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      SLUICE_PAYLOAD_KEY: `it-2026:${randomBytes(32).toString('base64')}`,
      SLUICE_DATABASE_URL: stateDb.url,
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'duckdb',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE: 'warehouse.duckdb',
      SLUICE_SHUTDOWN_GRACE: '2s',
    };
    for (const role of ['scheduler', 'apply', 'run'] as const) {
      const config = readWorkerConfig(
        role,
        { ...processEnv, SLUICE_EXECUTOR_IDENTITY: `${role}@codec-test` },
        { cwd: dir },
      );
      const started = await startWorkerProcess(config);
      processes.push(started);
      expect(started.description).toContain('payloads encrypted (SLUICE_PAYLOAD_KEY)');
    }
    // the client a sluice process makes from the same environment
    codecClient = await connectTemporal(readTemporalConfig(processEnv), 'client');
    state = createStateDb({ url: stateDb.url });
  }, 180_000);

  afterAll(async () => {
    for (const { running, resources } of processes) {
      await running.stop().catch(() => {});
      for (const resource of resources) await resource.close().catch(() => {});
    }
    await codecClient?.connection.close();
    await state?.close();
    await temporal?.teardown();
    await stateDb?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function history(client: Client, workflowId: string): Promise<History> {
    return client.workflow.getHandle(workflowId).fetchHistory();
  }

  it('applies a plan and runs a restatement with every payload encrypted, readable only with the key', async () => {
    const project = loadProject(dir, { env: {} });
    const submitted = await submitPlan({
      db: state.db,
      client: codecClient.client,
      project,
      environment: 'prod',
      submittedBy: 'codec-test',
    });
    await waitFor(
      'the plan to apply',
      async () => {
        const plan = await getPlan(state.db, submitted.planId);
        if (plan?.status === 'failed') throw new Error(`plan failed: ${plan.error}`);
        return plan?.status === 'applied' ? plan : undefined;
      },
      120_000,
    );
    await waitFor(
      'prod to schedule the model',
      async () => {
        const current = await environmentState(codecClient.client, 'prod');
        return current.applyingPlan === null && current.models.some((m) => m.name === MODEL)
          ? true
          : undefined;
      },
      30_000,
    );
    const lastHour = Math.floor(Date.now() / HOUR) * HOUR;
    const runId = await restate(codecClient.client, 'prod', {
      models: [MODEL],
      start: lastHour - 2 * HOUR,
      end: lastHour,
      requestedBy: 'codec-test',
    });
    const runResult = await waitFor(
      'the restatement to finish',
      async () => {
        try {
          return (await codecClient.client.workflow.getHandle(runId).result()) as unknown;
        } catch (error) {
          if (error instanceof WorkflowNotFoundError) return undefined;
          throw error;
        }
      },
      120_000,
    );
    expect(runResult).toBeDefined();
    const executions = await queryRows<{ executor: string; status: string }>(
      state.db,
      sql`select executor, status from sluice.model_executions where run_id = ${runId} and model = ${MODEL}`,
    );
    expect(executions).toContainEqual({ executor: 'run@codec-test', status: 'succeeded' });

    // The raw histories, as the Temporal server (and its Web UI without a codec endpoint) sees them.
    const raw = temporal.client;
    const workflowIds = [environmentWorkflowId('prod'), planWorkflowId(submitted.planId), runId];
    let payloadCount = 0;
    for (const workflowId of workflowIds) {
      const events = await history(raw, workflowId);
      const found: Array<{ path: string; payload: Payload }> = [];
      payloadsIn(events, workflowId, found);
      expect(found.length, workflowId).toBeGreaterThan(0);
      payloadCount += found.length;
      for (const { path, payload } of found) {
        expect(Buffer.from(payload.metadata!.encoding ?? []).toString(), path).toBe(ENCRYPTED_ENCODING);
        expect(Buffer.from(payload.metadata!['encryption-key-id'] ?? []).toString(), path).toBe('it-2026');
      }
      const everything = textOf(events);
      // the scan reads the history: its workflow id is there in the clear
      expect(everything).toContain(workflowId);
      expect(everything, workflowId).not.toContain(SQL_MARKER);
      expect(everything, workflowId).not.toContain('SELECT 1 AS order_id');
      // the model's name is only in the search attributes, which the Web UI filters by
      expect(textOf(events, NOT_ENCODED), workflowId).not.toContain('secret_orders');
      // the same history, decoded with the key, does hold the SQL
      if (workflowId === planWorkflowId(submitted.planId)) {
        const codec = readTemporalConfig(processEnv).payloadCodec!;
        const decoded = await codec.decode(found.map((f) => f.payload));
        expect(textOf(decoded)).toContain(SQL_MARKER);
      }
    }
    expect(payloadCount).toBeGreaterThan(10);

    // A client without the key cannot read results or query state; one configured like the processes can.
    await expect(raw.workflow.getHandle(planWorkflowId(submitted.planId)).result()).rejects.toThrow(
      /binary\/encrypted/,
    );
    await expect(environmentState(raw, 'prod')).rejects.toThrow();
    const planResult = await codecClient.client.workflow.getHandle(planWorkflowId(submitted.planId)).result();
    expect(planResult).toEqual([
      expect.objectContaining({ name: MODEL, kind: 'FULL', gateway: 'warehouse' }),
    ]);
    const current = await environmentState(codecClient.client, 'prod');
    expect(current.models.map((m) => m.name)).toEqual([MODEL]);
  }, 300_000);

  it('decodes payloads from the raw history through the codec endpoint, as the Web UI sends them', async () => {
    const events = await history(temporal.client, environmentWorkflowId('prod'));
    const found: Array<{ path: string; payload: Payload }> = [];
    payloadsIn(events, 'history', found);
    const Proto = proto.temporal.api.common.v1.Payload;
    // proto3 JSON, as the Web UI posts it: base64 metadata values and data
    const payloads = found
      .slice(0, 5)
      .map(({ payload }) => Proto.toObject(Proto.create(payload), { bytes: String }));
    const codec = readTemporalConfig(processEnv).payloadCodec!;
    const app = createCodecApp({ codec, corsOrigins: ['http://localhost:8233'] });
    const response = await app.request('/decode', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-namespace': 'default',
        origin: 'http://localhost:8233',
      },
      body: JSON.stringify({ payloads }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    const decoded = (
      (await response.json()) as { payloads: Array<{ metadata: Record<string, string>; data?: string }> }
    ).payloads;
    expect(decoded).toHaveLength(payloads.length);
    for (const payload of decoded) {
      const encoding = Buffer.from(payload.metadata.encoding!, 'base64').toString();
      expect(encoding).not.toBe(ENCRYPTED_ENCODING);
      expect(['json/plain', 'binary/null']).toContain(encoding);
    }
    // every one converts back to its value: the workflow's summary and input, the plan it was sent
    const values = decoded.map((payload) =>
      defaultPayloadConverter.fromPayload({
        metadata: Object.fromEntries(
          Object.entries(payload.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
        ),
        ...(payload.data === undefined ? {} : { data: Buffer.from(payload.data, 'base64') }),
      }),
    );
    expect(values).toContainEqual(expect.objectContaining({ submittedBy: 'codec-test' }));
    expect(values).toContain('environment prod');
  });
});
