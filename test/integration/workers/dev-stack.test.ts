import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateDb } from '../../../db/client.ts';
import { createEngine } from '../../../engines/create-engine.ts';
import { listPlans } from '../../../state/plans.ts';
import { type DevStack, startDevStack } from '../../../workers/dev-stack.ts';
import { bundleWorkflows, type WorkflowBundle } from '../../../workers/scheduler-worker.ts';
import type { EnvironmentState } from '../../../workflows/environment.ts';
import { SluiceEnvironment } from '../../../workflows/search-attributes.ts';
import { stateQuery } from '../../../workflows/signals.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';
import { startDevServer } from '../../support/temporal.ts';

const QUICKSTART = fileURLToPath(new URL('../../../examples/quickstart/', import.meta.url));
const MODELS = [
  'shop.customer_totals',
  'shop.daily_orders',
  'shop.minute_heartbeat',
  'shop.raw_orders',
  'shop.top_customers',
];

let root: string;
let project: string;
let home: string;
let bundle: WorkflowBundle;
let env: Record<string, string>;
let port: number;
let uiPort: number;
const stacks: DevStack[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function portAnswers(at: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(true));
    server.listen(at, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sluice-dev-stack-'));
  project = join(root, 'quickstart');
  home = join(root, 'home');
  copyQuickstart(project);
  port = await freePort();
  uiPort = await freePort();
  env = {
    PATH: process.env.PATH ?? '',
    SLUICE_HOME: home,
    SLUICE_TEMPORAL_PORT: String(port),
    SLUICE_TEMPORAL_UI_PORT: String(uiPort),
    SLUICE_SHUTDOWN_GRACE: '10s',
    ...(process.env.SLUICE_TEMPORAL_CLI ? { SLUICE_TEMPORAL_CLI: process.env.SLUICE_TEMPORAL_CLI } : {}),
  };
  bundle = await bundleWorkflows();
});

afterAll(async () => {
  for (const stack of stacks) await stack.stop().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

/** The example as a user has it: without the state and warehouse files a local run leaves behind. */
function copyQuickstart(to: string): void {
  cpSync(QUICKSTART, to, {
    recursive: true,
    filter: (source) => basename(source) !== '.sluice' && !basename(source).startsWith('warehouse.duckdb'),
  });
}

async function start(lines: string[]): Promise<DevStack> {
  const stack = await startDevStack({
    project,
    env,
    log: (line) => lines.push(line),
    workflowBundle: bundle,
  });
  stacks.push(stack);
  return stack;
}

async function settledState(client: Client, workflowId: string): Promise<EnvironmentState> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const state = await client.workflow.getHandle(workflowId).query(stateQuery);
    const names = state.models.map((m) => m.name).sort();
    if (state.applyingPlan === null && state.plansQueued.length === 0 && names.length === MODELS.length) {
      return state;
    }
    if (Date.now() > deadline) throw new Error(`prod did not settle: ${JSON.stringify(state.details)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('sluice dev stack', () => {
  it('applies the project to prod, and a restart resumes the same environment workflow without a new plan', async () => {
    const firstLines: string[] = [];
    const first = await start(firstLines);
    expect(first.resumed).toBe(false);
    expect(first.plan).not.toBeNull();
    expect(first.namespace).toBe('default');
    expect(first.home).toBe(home);
    expect(first.urls).toEqual({
      temporal: `127.0.0.1:${port}`,
      ui: `http://127.0.0.1:${uiPort}`,
      api: null,
    });
    expect(first.workers.map((w) => w.taskQueue)).toEqual(['sluice-scheduler', 'sluice-run', 'sluice-apply']);
    expect(firstLines).toContain(
      `Temporal Web UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows (namespace default)`,
    );
    expect(firstLines.some((line) => line.startsWith(`Submitted plan ${first.plan!.planId} to prod`))).toBe(
      true,
    );
    expect((await fetch(first.urls.ui!)).status).toBe(200);

    const state = await settledState(first.client, 'sluice-env-prod');
    expect(state.models.map((m) => m.name).sort()).toEqual(MODELS);
    const before = await first.client.workflow.getHandle('sluice-env-prod').describe();
    expect(before.status.name).toBe('RUNNING');
    expect(before.typedSearchAttributes.get(SluiceEnvironment)).toBe('prod');

    // the apply executor wrote the warehouse: prod's views over the seed's rows
    const warehouse = createEngine(
      'local',
      { type: 'duckdb', database: 'warehouse.duckdb' },
      { baseDir: project },
    );
    try {
      expect(Number(await warehouse.queryScalar('SELECT count(*) FROM shop.raw_orders'))).toBe(10);
      expect(Number(await warehouse.queryScalar('SELECT count(*) FROM shop.top_customers'))).toBeGreaterThan(
        0,
      );
    } finally {
      await warehouse.close();
    }

    await first.stop();
    expect(await portAnswers(port)).toBe(false);

    const secondLines: string[] = [];
    const second = await start(secondLines);
    expect(second.resumed).toBe(true);
    expect(second.plan).toBeNull();
    expect(secondLines).toContain('No changes: the project matches what prod runs');
    const after = await second.client.workflow.getHandle('sluice-env-prod').describe();
    expect(after.status.name).toBe('RUNNING');
    expect(after.runId).toBe(before.runId);
    const resumed = await second.client.workflow.getHandle('sluice-env-prod').query(stateQuery);
    expect(resumed.models.map((m) => m.name).sort()).toEqual(MODELS);
    await second.stop();

    const state2 = createStateDb({ dataDir: join(home, 'state') });
    try {
      const plans = await listPlans(state2.db, { environment: 'prod' });
      expect(plans.items.map((p) => p.id)).toEqual([first.plan!.planId]);
      expect(plans.items[0]?.status).toBe('applied');
    } finally {
      await state2.close();
    }
  }, 240_000);

  it('uses the Temporal server TEMPORAL_ADDRESS names and the PostgreSQL state database SLUICE_DATABASE_URL names', async () => {
    const database = `sluice_dev_stack_${process.pid}_${Date.now()}`;
    const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE "${database}"`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${database}`;
    // a server without sluice's search attributes: the workflows run without them
    let server: TestWorkflowEnvironment | undefined;
    let stack: DevStack | undefined;
    try {
      server = await startDevServer();
      const external = join(root, 'external');
      copyQuickstart(external);
      const lines: string[] = [];
      stack = await startDevStack({
        project: external,
        env: {
          TEMPORAL_ADDRESS: server.address,
          SLUICE_DATABASE_URL: url.toString(),
          SLUICE_HOME: join(root, 'external-home'),
        },
        log: (line) => lines.push(line),
        workflowBundle: bundle,
      });
      expect(stack.urls).toEqual({ temporal: server.address, ui: null, api: null });
      expect(lines).toContain(`Using the Temporal server at ${server.address} (TEMPORAL_ADDRESS)`);
      expect(lines).toContain('State database: PostgreSQL (SLUICE_DATABASE_URL)');
      expect(lines).toContain(`Temporal: ${server.address}, namespace default`);
      expect(stack.plan).not.toBeNull();
      const state = await settledState(stack.client, 'sluice-env-prod');
      expect(state.models.map((m) => m.name).sort()).toEqual(MODELS);
      const description = await stack.client.workflow.getHandle('sluice-env-prod').describe();
      expect(description.typedSearchAttributes.get(SluiceEnvironment)).toBeUndefined();
      const stateDb = createStateDb({ url: url.toString() });
      try {
        const plans = await listPlans(stateDb.db, { environment: 'prod' });
        expect(plans.items.map((p) => p.id)).toEqual([stack.plan!.planId]);
      } finally {
        await stateDb.close();
      }
      await stack.stop();
      // the server it did not start keeps running
      expect((await server.client.workflow.getHandle('sluice-env-prod').describe()).status.name).toBe(
        'RUNNING',
      );
    } finally {
      await stack?.stop().catch(() => {});
      await server?.teardown();
      await admin.unsafe(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await admin.end();
    }
  }, 240_000);

  it('refuses a Temporal port in use or malformed, naming the variable', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const taken = (busy.address() as { port: number }).port;
    try {
      const options = { project, workflowBundle: bundle };
      await expect(
        startDevStack({ ...options, env: { ...env, SLUICE_TEMPORAL_PORT: String(taken) } }),
      ).rejects.toThrow(
        `port ${taken} on 127.0.0.1 is already in use: set SLUICE_TEMPORAL_PORT to a free port, or set TEMPORAL_ADDRESS to use the Temporal server that is running`,
      );
      await expect(
        startDevStack({
          ...options,
          env: { ...env, SLUICE_HOME: join(root, 'never-created'), SLUICE_TEMPORAL_UI_PORT: 'eighty' },
        }),
      ).rejects.toThrow('SLUICE_TEMPORAL_UI_PORT: expected a port number 1–65535, got "eighty"');
      // a rejected setting leaves nothing behind
      expect(existsSync(join(root, 'never-created'))).toBe(false);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
