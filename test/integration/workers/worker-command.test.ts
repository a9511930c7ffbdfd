import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../support/temporal.ts';

const SLUICE = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
const PASSWORD = 'never-print-this-password';

let env: TestWorkflowEnvironment;
let dir: string;

beforeAll(async () => {
  env = await startDevServer();
  dir = mkdtempSync(join(tmpdir(), 'sluice-worker-command-'));
});

afterAll(async () => {
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  firstLine: Promise<string>;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Runs `sluice worker` with only the given variables (and PATH) in its environment. */
function sluiceWorker(role: string, variables: Record<string, string>): Started {
  const child = spawn(process.execPath, [SLUICE, 'worker', '--role', role], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...variables },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onLine: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => {
    onLine = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('\n')) onLine(stdout.slice(0, stdout.indexOf('\n')));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (code, signal) =>
      resolve({ code, stdout, stderr: signal ? `${stderr}[signal ${signal}]` : stderr }),
    );
  });
  return { child, firstLine, exit };
}

describe('sluice worker', () => {
  it('starts a run executor from the environment, says what it serves, and stops cleanly on SIGTERM', async () => {
    const started = sluiceWorker('run', {
      TEMPORAL_ADDRESS: env.address,
      SLUICE_EXECUTOR_IDENTITY: 'run@command-test',
      SLUICE_SHUTDOWN_GRACE: '5s',
      SLUICE__GATEWAYS__LOCAL__CONNECTION__TYPE: 'duckdb',
      SLUICE__GATEWAYS__LOCAL__CONNECTION__DATABASE: 'local.duckdb',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'postgres',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: '127.0.0.1',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE: 'test',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER: 'postgres',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD: PASSWORD,
      SLUICE__DEFAULT_GATEWAY: 'warehouse',
    });
    expect(await started.firstLine).toBe(
      `sluice run executor run@command-test: serving task queue sluice-run with gateways local, warehouse (default) on Temporal ${env.address}, namespace default`,
    );
    started.child.kill('SIGTERM');
    const { code, stdout, stderr } = await started.exit;
    expect(code).toBe(0);
    expect(stderr).toContain(
      'sluice worker: received SIGTERM: stopping; work in flight has up to 5s to finish',
    );
    expect(stderr).toContain('sluice worker: stopped cleanly');
    expect(stdout + stderr).not.toContain(PASSWORD);
  }, 60_000);

  it('starts the scheduler with an in-memory state database', async () => {
    const started = sluiceWorker('scheduler', {
      TEMPORAL_ADDRESS: env.address,
      SLUICE_DATABASE_URL: 'memory://',
      SLUICE_EXECUTOR_IDENTITY: 'scheduler@command-test',
    });
    expect(await started.firstLine).toBe(
      `sluice scheduler scheduler@command-test: serving task queue sluice-scheduler (workflows, embedded PGlite state database, artifacts in ${join(dir, '.sluice', 'artifacts')}) on Temporal ${env.address}, namespace default`,
    );
    started.child.kill('SIGINT');
    const { code, stderr } = await started.exit;
    expect(code).toBe(0);
    expect(stderr).toContain('sluice worker: stopped cleanly');
  }, 90_000);

  it('refuses a bad configuration with exit code 2, naming the variable', async () => {
    const started = sluiceWorker('apply', {
      TEMPORAL_ADDRESS: env.address,
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE: 'postgres',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST: '127.0.0.1',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE: 'test',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER: 'postgres',
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD: PASSWORD,
      SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__SSLMODE: 'sometimes',
    });
    const { code, stdout, stderr } = await started.exit;
    expect(code).toBe(2);
    expect(stderr).toBe(
      'sluice: invalid gateway configuration: $SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__SSLMODE: gateways.warehouse.connection.sslmode: must be one of disable, allow, prefer, require, verify-full, got "sometimes"\n',
    );
    expect(stdout).toBe('');
  }, 30_000);

  it('says which Temporal server it could not reach', async () => {
    const started = sluiceWorker('run', {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      SLUICE__GATEWAYS__LOCAL__CONNECTION__TYPE: 'duckdb',
    });
    const { code, stderr } = await started.exit;
    expect(code).toBe(1);
    expect(stderr).toMatch(/^sluice: cannot connect to Temporal at 127\.0\.0\.1:1 \(namespace default\): /);
  }, 60_000);
});
