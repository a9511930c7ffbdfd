/**
 * A real stack for the connection routes: a Temporal dev server, the scheduler worker, optionally an
 * apply executor without gateways of its own (holding the given keys), and a state database on the
 * test Postgres, which is also the warehouse the connections point at.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Keyring, readKeyring } from '../../../crypto/keyring.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { type RunningExecutor, startExecutorWorker } from '../../../workers/executor-worker.ts';
import type { RunningWorker } from '../../../workers/running-worker.ts';
import { startSchedulerWorker } from '../../../workers/scheduler-worker.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';
import { startDevServer } from '../../support/temporal.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';

/** Accepted by the trust-auth test server, and never to be seen in a reply, a row or a history. */
export const PASSWORD = 'c0nnection-pa55word-not-to-be-seen';

/** Keys by id: `<id>:<base64 key>`. */
export const KEYS = {
  k1: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  k2: `k2:${Buffer.alloc(32, 2).toString('base64')}`,
  k3: `k3:${Buffer.alloc(32, 3).toString('base64')}`,
} as const;

/** The keyring SLUICE_ENCRYPTION_KEY=`current` and SLUICE_ENCRYPTION_KEY_PREVIOUS=`previous` give. */
export function keyring(current: keyof typeof KEYS, ...previous: Array<keyof typeof KEYS>): Keyring {
  return readKeyring(
    {
      SLUICE_ENCRYPTION_KEY: KEYS[current],
      SLUICE_ENCRYPTION_KEY_PREVIOUS: previous.map((id) => KEYS[id]).join(','),
    },
    'SLUICE_ENCRYPTION_KEY',
  )!;
}

/** The `connection:` mapping of the test Postgres, as YAML, with `extra` lines appended. */
export function warehouseYaml(overrides: Record<string, string | number> = {}): string {
  const url = new URL(TEST_DATABASE_URL);
  const settings: Record<string, string | number> = {
    type: 'postgres',
    host: url.hostname,
    port: Number(url.port || 5432),
    database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    user: decodeURIComponent(url.username || 'postgres'),
    password: PASSWORD,
    sslmode: 'disable',
    connect_timeout: 5,
    ...overrides,
  };
  return Object.entries(settings)
    .map(([key, value]) => `${key}: ${typeof value === 'number' ? value : JSON.stringify(value)}`)
    .join('\n');
}

export interface ConnectionStack {
  env: TestWorkflowEnvironment;
  state: StateConnection;
  executor: RunningExecutor | undefined;
  dispose(): Promise<void>;
}

export async function startConnectionStack(
  tag: string,
  options: { executorKeys?: Keyring | 'none' },
): Promise<ConnectionStack> {
  const env = await startDevServer();
  const workers: RunningWorker[] = [];
  let scratch: ScratchDatabase | undefined;
  let state: StateConnection | undefined;
  const dir = mkdtempSync(join(tmpdir(), `sluice-${tag}-`));
  const dispose = async () => {
    for (const worker of workers.reverse()) await worker.stop().catch(() => {});
    await state?.close();
    await scratch?.drop();
    await env.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    scratch = await createScratchDatabase(tag);
    state = createStateDb({ url: scratch.url });
    await migrate(state.db);
    workers.push(
      await startSchedulerWorker({
        connection: env.nativeConnection,
        db: state.db,
        client: env.client,
        identity: `scheduler@${tag}`,
        shutdownGraceMs: 2_000,
      }),
    );
    let executor: RunningExecutor | undefined;
    if (options.executorKeys !== undefined) {
      executor = await startExecutorWorker({
        connection: env.nativeConnection,
        role: 'apply',
        gateways: {},
        baseDir: dir,
        identity: `apply@${tag}`,
        shutdownGraceMs: 2_000,
        ...(options.executorKeys === 'none' ? {} : { encryption: options.executorKeys }),
      });
      workers.push(executor);
    }
    return { env, state, executor, dispose };
  } catch (error) {
    await dispose().catch(() => {});
    throw error;
  }
}
