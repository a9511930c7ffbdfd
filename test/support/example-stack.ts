/**
 * `sluice dev` in this process on a copy of one of the examples, with its plan applied: the real
 * stack (a Temporal dev server, the scheduler worker, run and apply executors, the API) that the
 * dashboard's and the dev commands' tests stand up. The DuckDB quickstart keeps its warehouse file
 * in the copy; the PostgreSQL one gets a database of its own on the test server, dropped at the end.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { type DevStack, startDevStack } from '../../workers/dev-stack.ts';
import { freePort } from './ports.ts';
import { TEST_DATABASE_URL } from './postgres.ts';
import { waitFor } from './waiting.ts';

export type Example = 'quickstart' | 'quickstart-postgres';

export interface ExampleStackOptions {
  example: Example;
  /** changes to the copied project before the stack plans it (a slow or failing model, say). */
  prepare?: (project: string) => void;
  /** more settings for `sluice dev` (SLUICE_API_AUTH, ...). */
  env?: Record<string, string>;
  /**
   * API tokens to create (name → role, or role and environment patterns; `*` when not given). The loopback API starts with authentication off while no
   * token exists: they are created through it as its admin, then the stack starts again on the same
   * state, which turns authentication on, as it does for a user after `sluice token create`.
   */
  tokens?: Record<string, string | { role: string; environments: string[] }>;
}

export interface ExampleStack {
  stack: DevStack;
  /** the API's address, which also serves the dashboard. */
  api: string;
  /** the copied project. */
  project: string;
  /** the PostgreSQL warehouse's URL, for the PostgreSQL example. */
  warehouseUrl: string | null;
  /** each token asked for in the options, by name: its secret, to send as a bearer token. */
  tokens: Record<string, string>;
  stop(): Promise<void>;
}

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

async function createWarehouseDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sluice_example_${process.pid}_${Date.now().toString(36)}`;
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists ${name} with (force)`);
      await sql.end();
    },
  };
}

function warehouseEnv(url: string): Record<string, string> {
  const parsed = new URL(url);
  const prefix = 'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__';
  return {
    [`${prefix}HOST`]: parsed.hostname,
    [`${prefix}PORT`]: parsed.port || '5432',
    [`${prefix}DATABASE`]: parsed.pathname.slice(1),
    [`${prefix}USER`]: decodeURIComponent(parsed.username) || 'postgres',
    ...(parsed.password ? { [`${prefix}PASSWORD`]: decodeURIComponent(parsed.password) } : {}),
  };
}

export async function startExampleStack(options: ExampleStackOptions): Promise<ExampleStack> {
  const root = mkdtempSync(join(tmpdir(), `sluice-${options.example}-`));
  const project = join(root, options.example);
  cpSync(join(EXAMPLES, options.example), project, {
    recursive: true,
    filter: (source) => basename(source) !== '.sluice' && !basename(source).startsWith('warehouse.duckdb'),
  });
  options.prepare?.(project);
  const warehouse = options.example === 'quickstart-postgres' ? await createWarehouseDatabase() : null;
  let stack: DevStack | undefined;
  const stop = async () => {
    await stack?.stop();
    await warehouse?.drop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const env = {
      PATH: process.env.PATH ?? '',
      SLUICE_HOME: join(root, 'home'),
      SLUICE_TEMPORAL_PORT: String(await freePort()),
      SLUICE_TEMPORAL_UI_PORT: String(await freePort()),
      SLUICE_SHUTDOWN_GRACE: '10s',
      ...(process.env.SLUICE_TEMPORAL_CLI ? { SLUICE_TEMPORAL_CLI: process.env.SLUICE_TEMPORAL_CLI } : {}),
      ...(warehouse ? warehouseEnv(warehouse.url) : {}),
      ...options.env,
    };
    stack = await startDevStack({ project, env, api: { port: 0 } });
    let api = stack.urls.api;
    if (api === null) throw new Error('the dev stack serves no API');
    const planId = stack.plan?.planId;
    if (planId === undefined) throw new Error('the dev stack submitted no plan');
    await waitFor(
      `plan ${planId} applied`,
      async () => {
        const plan = (await (await fetch(`${api}/api/plans/${planId}`)).json()) as { status: string };
        if (plan.status === 'failed' || plan.status === 'cancelled')
          throw new Error(`plan ${planId} ${plan.status}`);
        return plan.status === 'applied' ? true : undefined;
      },
      120_000,
    );
    const tokens: Record<string, string> = {};
    if (options.tokens !== undefined) {
      for (const [name, scope] of Object.entries(options.tokens)) {
        const response = await fetch(`${api}/api/tokens`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name, ...(typeof scope === 'string' ? { role: scope } : scope) }),
        });
        if (response.status !== 201) throw new Error(`creating token ${name}: ${await response.text()}`);
        tokens[name] = ((await response.json()) as { token: string }).token;
      }
      await stack.stop();
      stack = await startDevStack({ project, env, api: { port: 0 } });
      api = stack.urls.api;
      if (api === null) throw new Error('the restarted dev stack serves no API');
    }
    return { stack, api, project, warehouseUrl: warehouse?.url ?? null, tokens, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
