/**
 * The hybrid deployment, natively: the API, the scheduler worker, a run executor and an apply
 * executor run as four separate `sluice` processes that share nothing but Temporal (and, for the
 * executors, the warehouse). The scheduler side (API, scheduler, state database) is never given a
 * warehouse password: the apply executor reads its gateway from a mounted `.env` file, and the run
 * executor has no gateway of its own and uses the connection the API stored encrypted. Every
 * Temporal payload is encrypted with the payload codec.
 *
 * Through the API and the CLI only: executors appear in `sluice executors`; a connection is tested
 * from the apply executor and stored; a plan is applied to prod; the minute cron runs on the run
 * executor; a password rotated in the `.env` file is used by the next plan without a restart;
 * executors that stop show as stopped, executors that die as gone. Finally no workflow history
 * (raw or decoded), log line, API reply or state-DB row contains any of the passwords or keys.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeyring } from '../../../crypto/keyring.ts';
import { createPayloadCodec } from '../../../crypto/payload-codec.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../../workflows/search-attributes.ts';
import { freePort } from '../../support/ports.ts';
import { scanDatabase, scanHistories, scanTexts } from '../../support/secret-scan.ts';
import { runSluice, type SluiceProcess, SluiceProcesses } from '../../support/sluice-process.ts';
import { startDevServer } from '../../support/temporal.ts';
import { waitFor } from '../../support/waiting.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';
import { floorMinute, MINUTE, projectConfig } from './stack.ts';

/** Distinctive passwords: the apply executor's first and rotated ones, and the stored connection's. */
const ENV_FILE_PASSWORD = `env-file-${randomBytes(9).toString('hex')}`;
const ROTATED_PASSWORD = `rotated-${randomBytes(9).toString('hex')}`;
const MANAGED_PASSWORD = `managed-${randomBytes(9).toString('hex')}`;
const PAYLOAD_KEY = randomBytes(32).toString('base64');
const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const SECRETS = [ENV_FILE_PASSWORD, ROTATED_PASSWORD, MANAGED_PASSWORD, PAYLOAD_KEY, ENCRYPTION_KEY];

interface ExecutorRow {
  identity: string;
  role: string;
  status: string;
  gateways: string[];
}

describe('hybrid topology: API, scheduler, run and apply executors as separate processes', () => {
  const processes = new SluiceProcesses();
  /** every API reply and CLI output the test saw, for the secret scan. */
  const replies: Array<[string, string]> = [];
  let temporal: TestWorkflowEnvironment;
  let stateDb: ScratchDatabase;
  let warehouse: ScratchDatabase;
  let wh: postgres.Sql;
  let dir: string;
  let envFile: string;
  let apiUrl: string;
  let common: Record<string, string>;
  let runExecutor: SluiceProcess;
  let applyExecutor: SluiceProcess;

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${apiUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    replies.push([`${method} ${path} → ${response.status}`, text]);
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const result = await runSluice(args, { SLUICE_API_URL: apiUrl });
    replies.push([`sluice ${args.join(' ')}`, `${result.stdout}\n${result.stderr}`]);
    return result;
  }

  async function executors(): Promise<ExecutorRow[]> {
    const { status, body } = await api<{ items: ExecutorRow[] }>('GET', '/api/executors');
    expect(status).toBe(200);
    return body.items;
  }

  function writeEnvFile(password: string, applicationName: string): void {
    const lines = [
      '# the apply executor’s warehouse, as a secret store would mount it',
      'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE=postgres',
      'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST=127.0.0.1',
      'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT=5432',
      'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER=postgres',
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE=${warehouse.name}`,
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD="${password}"`,
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__APPLICATION_NAME=${applicationName}`,
    ];
    writeFileSync(envFile, `${lines.join('\n')}\n`);
  }

  function writeProject(countExpression: string): void {
    writeFileSync(
      join(dir, 'project', 'config.yaml'),
      projectConfig(warehouse.name, floorMinute(Date.now()) - 5 * MINUTE),
    );
    writeFileSync(
      join(dir, 'project', 'models', 'ticks.sql'),
      "MODEL (\n  name hybrid.ticks,\n  kind INCREMENTAL_BY_TIME_RANGE (time_column minute, batch_size 1),\n  cron '* * * * *'\n);\nSELECT CAST(@start_ts AS TIMESTAMP) AS minute, 1 AS n\n",
    );
    writeFileSync(
      join(dir, 'project', 'models', 'tick_count.sql'),
      `MODEL (\n  name hybrid.tick_count,\n  kind FULL,\n  cron '* * * * *'\n);\nSELECT ${countExpression} AS minutes_counted_by_sluice FROM hybrid.ticks\n`,
    );
  }

  beforeAll(async () => {
    temporal = await startDevServer(SLUICE_SEARCH_ATTRIBUTES);
    stateDb = await createScratchDatabase('hybrid_state');
    warehouse = await createScratchDatabase('hybrid_wh');
    wh = postgres(warehouse.url, { max: 2, onnotice: () => {} });
    dir = mkdtempSync(join(tmpdir(), 'sluice-hybrid-'));
    mkdirSync(join(dir, 'project', 'models'), { recursive: true });
    envFile = join(dir, 'warehouse.env');
    writeEnvFile(ENV_FILE_PASSWORD, 'sluice_first');
    writeProject('COUNT(*)');

    common = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      SLUICE_PAYLOAD_KEY: PAYLOAD_KEY,
      SLUICE_SHUTDOWN_GRACE: '3s',
    };
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    await Promise.all([
      processes.start(
        'scheduler',
        ['worker', '--role', 'scheduler'],
        { ...common, SLUICE_DATABASE_URL: stateDb.url, SLUICE_HEALTH_PORT: String(await freePort()) },
        /serving task queue sluice-scheduler/,
      ),
      processes.start(
        'api',
        ['api'],
        {
          ...common,
          SLUICE_DATABASE_URL: stateDb.url,
          SLUICE_API_PORT: String(apiPort),
          SLUICE_ENCRYPTION_KEY: ENCRYPTION_KEY,
          SLUICE_EXECUTOR_GONE_AFTER: '8s',
        },
        /listening on/,
      ),
      processes
        .start(
          'apply executor',
          ['worker', '--role', 'apply'],
          {
            ...common,
            SLUICE_EXECUTOR_IDENTITY: 'apply-1',
            SLUICE_ENV_FILE: envFile,
            SLUICE_ENCRYPTION_KEY: ENCRYPTION_KEY,
            SLUICE_PRESENCE_INTERVAL: '2s',
            SLUICE_HEALTH_PORT: String(await freePort()),
          },
          /serving task queue sluice-apply/,
        )
        .then((p) => {
          applyExecutor = p;
        }),
      processes
        .start(
          'run executor',
          ['worker', '--role', 'run'],
          {
            ...common,
            SLUICE_EXECUTOR_IDENTITY: 'run-1',
            SLUICE_ENCRYPTION_KEY: ENCRYPTION_KEY,
            SLUICE_PRESENCE_INTERVAL: '2s',
          },
          /serving task queue sluice-run/,
        )
        .then((p) => {
          runExecutor = p;
        }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await processes.stopAll();
    await temporal?.teardown();
    await wh?.end();
    await warehouse?.drop();
    await stateDb?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists both executors as up, with their gateways by name only', async () => {
    const listed = await waitFor(
      'both executors to report',
      async () => {
        const rows = await executors();
        const up = rows.filter((row) => row.status === 'up').map((row) => row.identity);
        return up.includes('run-1') && up.includes('apply-1') ? rows : undefined;
      },
      30_000,
    );
    expect(listed.find((row) => row.identity === 'apply-1')).toMatchObject({
      role: 'apply',
      gateways: ['warehouse'],
    });
    expect(listed.find((row) => row.identity === 'run-1')).toMatchObject({ role: 'run', gateways: [] });
    const table = await cli(['executors']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/apply-1/);
    expect(table.stdout).toMatch(/run-1/);
  });

  it('stores a connection only after an apply executor has tested it', async () => {
    const yaml = [
      'type: postgres',
      'host: 127.0.0.1',
      'port: 5432',
      'user: postgres',
      `database: ${warehouse.name}`,
      `password: ${MANAGED_PASSWORD}`,
      'application_name: sluice_managed',
    ].join('\n');
    const saved = await api<{ gateway: string; type: string; host: string; lastTestedAt: string }>(
      'POST',
      '/api/connections',
      { gateway: 'warehouse', yaml },
    );
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ gateway: 'warehouse', type: 'postgres', host: '127.0.0.1' });
    expect(saved.body.lastTestedAt).toEqual(expect.any(String));
  });

  it('applies a plan to prod through the CLI, on the apply executor', async () => {
    const planned = await cli(['plan', 'prod', '--project', join(dir, 'project'), '--auto-apply']);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    const [rows] = await wh`select count(*)::int as n from hybrid.ticks`;
    expect(rows!.n).toBeGreaterThanOrEqual(5);
  }, 180_000);

  it(
    'runs the minute cron on the run executor, with the stored connection',
    async () => {
      const run = await waitFor(
        'a scheduled run to succeed',
        async () => {
          const { body } = await api<{ items: Array<{ id: string; status: string }> }>(
            'GET',
            '/api/runs?environment=prod&trigger=schedule',
          );
          const failed = body.items.find((item) => item.status === 'failed');
          if (failed) throw new Error(`scheduled run failed: ${JSON.stringify(failed)}`);
          return body.items.find((item) => item.status === 'succeeded');
        },
        2 * MINUTE + 30_000,
      );
      const detail = await api<{
        executions: Array<{ model: string; executor: string | null; status: string }>;
      }>('GET', `/api/runs/${run.id}`);
      expect(detail.body.executions.length).toBeGreaterThan(0);
      for (const execution of detail.body.executions) {
        expect(execution).toMatchObject({ status: 'succeeded', executor: 'run-1' });
      }
      const sessions = await wh<{ name: string }[]>`
      select distinct application_name as name from pg_stat_activity where datname = ${warehouse.name}`;
      expect(sessions.map((s) => s.name)).toContain('sluice_managed');
    },
    4 * MINUTE,
  );

  it('uses a password rotated in the .env file for the next plan, without a restart', async () => {
    const pid = applyExecutor.child.pid;
    writeEnvFile(ROTATED_PASSWORD, 'sluice_rotated');
    writeProject('COUNT(*) + 0');
    const planned = await cli(['plan', 'prod', '--project', join(dir, 'project'), '--auto-apply']);
    expect(planned.stderr).toBe('');
    expect(planned.code).toBe(0);
    expect(applyExecutor.child.pid).toBe(pid);
    expect(applyExecutor.child.exitCode).toBeNull();
    const sessions = await wh<{ name: string }[]>`
      select distinct application_name as name from pg_stat_activity where datname = ${warehouse.name}`;
    expect(sessions.map((s) => s.name)).toContain('sluice_rotated');
  }, 180_000);

  it('shows a stopped executor as stopped and a killed one as gone', async () => {
    expect(await runExecutor.stop('SIGTERM')).toBe(0);
    await waitFor(
      'run-1 to show as stopped',
      async () =>
        (await executors()).find((r) => r.identity === 'run-1')?.status === 'stopped' ? true : undefined,
      20_000,
    );
    await applyExecutor.stop('SIGKILL');
    await waitFor(
      'apply-1 to show as gone',
      async () =>
        (await executors()).find((r) => r.identity === 'apply-1')?.status === 'gone' ? true : undefined,
      40_000,
    );
    const gone = await cli(['executors', '--status', 'gone', '--json']);
    expect(gone.code).toBe(0);
    expect(JSON.parse(gone.stdout)).toEqual(
      expect.objectContaining({
        items: expect.arrayContaining([expect.objectContaining({ identity: 'apply-1' })]),
      }),
    );
  }, 90_000);

  it('leaves no password or key in any history, log line, API reply or state-DB row', async () => {
    const keyring = readKeyring({ SLUICE_PAYLOAD_KEY: PAYLOAD_KEY }, 'SLUICE_PAYLOAD_KEY')!;
    const codec = createPayloadCodec(keyring);
    const client = new Client({ connection: temporal.connection, namespace: 'default' });
    const raw = await scanHistories(client, SECRETS);
    const decoded = await scanHistories(client, SECRETS, codec);
    // the scan saw the real thing: the plan, run and environment workflows, decoded
    expect(raw.workflows).toBeGreaterThanOrEqual(4);
    expect(decoded.events).toBeGreaterThanOrEqual(raw.events);
    // ... and it does open payloads: the SQL sent to executors is in them, readable only with the key
    const sqlText = ['minutes_counted_by_sluice'];
    expect((await scanHistories(client, sqlText)).findings).toEqual([]);
    expect((await scanHistories(client, sqlText, codec)).findings.length).toBeGreaterThan(0);
    const logs = scanTexts(
      [...processes.logs].map(([name, output]) => [`${name} log`, output()] as [string, string]),
      SECRETS,
    );
    const answers = scanTexts(replies, SECRETS);
    const state = postgres(stateDb.url, { max: 1, onnotice: () => {} });
    try {
      const rows = await scanDatabase(state, 'sluice', SECRETS);
      expect(rows.rows).toBeGreaterThan(10);
      expect([...raw.findings, ...decoded.findings, ...logs, ...answers, ...rows.findings]).toEqual([]);
    } finally {
      await state.end();
    }
  }, 120_000);
});
