/**
 * A real sluice stack for the routes that signal and update workflows: `startDevStack` with the
 * quickstart example (a Temporal dev server, the scheduler worker, run and apply executors, prod
 * planned), its state on a fresh PostgreSQL database this process also opens.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { type DevStack, startDevStack } from '../../../workers/dev-stack.ts';
import type { EnvironmentState } from '../../../workflows/environment.ts';
import { stateQuery } from '../../../workflows/signals.ts';
import { createScratchDatabase } from '../../integration/state/harness.ts';

const QUICKSTART = fileURLToPath(new URL('../../../examples/quickstart/', import.meta.url));

export const QUICKSTART_MODELS = [
  'shop.customer_totals',
  'shop.daily_orders',
  'shop.minute_heartbeat',
  'shop.raw_orders',
  'shop.top_customers',
];

export interface TestStack {
  stack: DevStack;
  state: StateConnection;
  /** the copy of the quickstart project the stack runs. */
  project: string;
  databaseUrl: string;
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function startTestStack(tag: string): Promise<TestStack> {
  const root = mkdtempSync(join(tmpdir(), `sluice-${tag}-`));
  const project = join(root, 'quickstart');
  cpSync(QUICKSTART, project, {
    recursive: true,
    filter: (source) => basename(source) !== '.sluice' && !basename(source).startsWith('warehouse.duckdb'),
  });
  const scratch = await createScratchDatabase(tag);
  const env = {
    PATH: process.env.PATH ?? '',
    SLUICE_HOME: join(root, 'home'),
    SLUICE_TEMPORAL_PORT: String(await freePort()),
    SLUICE_TEMPORAL_UI_PORT: String(await freePort()),
    SLUICE_SHUTDOWN_GRACE: '5s',
    SLUICE_DATABASE_URL: scratch.url,
    ...(process.env.SLUICE_TEMPORAL_CLI ? { SLUICE_TEMPORAL_CLI: process.env.SLUICE_TEMPORAL_CLI } : {}),
  };
  let stack: DevStack | undefined;
  try {
    stack = await startDevStack({ project, env });
    await settled(stack);
  } catch (err) {
    await stack?.stop().catch(() => {});
    await scratch.drop().catch(() => {});
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const state = createStateDb({ url: scratch.url });
  const running = stack;
  return {
    stack: running,
    state,
    project,
    databaseUrl: scratch.url,
    async dispose() {
      await state.close();
      await running.stop().catch(() => {});
      await scratch.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Waits until prod has applied the stack's plan and knows every model. */
export async function settled(stack: DevStack, timeoutMs = 90_000): Promise<EnvironmentState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await stack.client.workflow.getHandle('sluice-env-prod').query(stateQuery);
    if (
      state.applyingPlan === null &&
      state.plansQueued.length === 0 &&
      state.models.length === QUICKSTART_MODELS.length
    ) {
      return state;
    }
    if (Date.now() > deadline) throw new Error(`prod did not settle: ${state.details}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Polls `read` until it returns a value `done` accepts. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
