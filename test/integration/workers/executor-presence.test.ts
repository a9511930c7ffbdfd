/**
 * Executors are visible: on the real dev server, a real scheduler worker (which runs the executor
 * registry) and real executors that report their presence every 200 ms. `GET /api/executors` and
 * `sluice executors` list them up, stopped after a clean shutdown, and gone when an executor
 * vanishes without a goodbye; an executor that polls without reporting is listed from its poller.
 */
import { tmpdir } from 'node:os';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor, ExecutorList } from '../../../api/schemas/executors.ts';
import { type ApiServer, startApiServer } from '../../../api/server.ts';
import { createStateDb, type StateConnection } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { sluiceVersion, startExecutorPresence } from '../../../workers/executor-presence.ts';
import { type RunningExecutor, startExecutorWorker } from '../../../workers/executor-worker.ts';
import type { RunningWorker } from '../../../workers/running-worker.ts';
import { startSchedulerWorker } from '../../../workers/scheduler-worker.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';
import { runSluice } from '../../support/sluice-process.ts';
import { startDevServer } from '../../support/temporal.ts';

const GONE_AFTER_MS = 4_000;
const PRESENCE_MS = 200;
const RUN = 'run@presence-test:1';
const APPLY = 'apply@presence-test:2';
const LEGACY = 'run@poller-only:3';

let env: TestWorkflowEnvironment;
let state: StateConnection;
let scheduler: RunningWorker;
let server: ApiServer;
const executors: RunningExecutor[] = [];
let legacy: Worker | undefined;
let legacyConnection: NativeConnection | undefined;
let legacyRunning: Promise<void> | undefined;

const pg = new URL(TEST_DATABASE_URL);
const warehouse = {
  type: 'postgres',
  host: pg.hostname,
  port: Number(pg.port || 5432),
  user: decodeURIComponent(pg.username || 'postgres'),
  database: pg.pathname.slice(1),
  sslmode: 'disable',
} as const;

beforeAll(async () => {
  env = await startDevServer();
  state = createStateDb({ url: 'memory://' });
  await migrate(state.db);
  scheduler = await startSchedulerWorker({
    connection: env.nativeConnection,
    db: state.db,
    client: env.client,
    identity: 'scheduler@presence-test',
  });
  server = await startApiServer({
    db: state.db,
    client: env.client,
    host: '127.0.0.1',
    port: 0,
    auth: 'off',
    log: () => {},
    executorGoneAfterMs: GONE_AFTER_MS,
  });
}, 180_000);

afterAll(async () => {
  for (const executor of executors) await executor.stop().catch(() => {});
  if (legacy?.getState() === 'RUNNING') legacy.shutdown();
  await legacyRunning;
  await legacyConnection?.close();
  await server?.close();
  await scheduler?.stop();
  await env?.teardown();
  await state?.close();
});

type Reply = ExecutorList & { error?: { message: string } };

async function get(query = ''): Promise<{ status: number; body: Reply }> {
  const response = await server.app.request(`/api/executors${query}`);
  return { status: response.status, body: (await response.json()) as Reply };
}

async function list(query = ''): Promise<Executor[]> {
  const { status, body } = await get(query);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.items;
}

async function waitFor(
  what: string,
  done: (items: Executor[]) => boolean,
  seen: (items: Executor[]) => void = () => {},
): Promise<Executor[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const items = await list();
    seen(items);
    if (done(items)) return items;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(items)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const find = (items: Executor[], identity: string) => items.find((e) => e.identity === identity);

function sluice(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runSluice(args, { SLUICE_API_URL: server.url }, { timeoutMs: 60_000 });
}

describe('executor presence', () => {
  it('lists pollers alone while no executor has reported (the registry does not exist yet)', async () => {
    expect(await list()).toEqual([]);
    // its own connection: one connection serves one worker per task queue
    legacyConnection = await NativeConnection.connect({ address: env.address });
    legacy = await Worker.create({
      connection: legacyConnection,
      taskQueue: 'sluice-run',
      identity: LEGACY,
      activities: { async noop() {} },
    });
    legacyRunning = legacy.run();
    const items = await waitFor('the poller', (all) => find(all, LEGACY) !== undefined);
    expect(items).toEqual([
      {
        identity: LEGACY,
        role: 'run',
        taskQueue: 'sluice-run',
        version: null,
        gateways: null,
        startedAt: null,
        lastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        health: null,
        inFlight: null,
        status: 'up',
        stoppedAt: null,
        polling: true,
      },
    ]);
    await expect(
      env.client.workflow.getHandle('sluice-executors').describe(),
      'no executor has reported yet',
    ).rejects.toThrow();
  });

  it('shows reporting executors up, then stopped after a clean stop and gone after a crash', async () => {
    const common = { connection: env.nativeConnection, baseDir: tmpdir(), presenceIntervalMs: PRESENCE_MS };
    executors.push(
      await startExecutorWorker({
        ...common,
        role: 'run',
        identity: RUN,
        gateways: {
          local: { connection: { type: 'duckdb', database: ':memory:' } },
          warehouse: { connection: warehouse },
        },
      }),
      await startExecutorWorker({
        ...common,
        role: 'apply',
        identity: APPLY,
        gateways: { warehouse: { connection: warehouse } },
      }),
    );
    const [run, apply] = executors as [RunningExecutor, RunningExecutor];

    const up = await waitFor(
      'both executors up',
      (all) => find(all, RUN)?.version != null && find(all, APPLY)?.version != null,
    );
    const version = sluiceVersion();
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(find(up, APPLY)).toMatchObject({
      role: 'apply',
      taskQueue: 'sluice-apply',
      version,
      gateways: ['warehouse'],
      health: 'ok',
      inFlight: 0,
      status: 'up',
      stoppedAt: null,
    });
    expect(find(up, RUN)).toMatchObject({
      role: 'run',
      taskQueue: 'sluice-run',
      version,
      gateways: ['local', 'warehouse'],
      health: 'ok',
      inFlight: 0,
      status: 'up',
    });
    expect(Date.parse(find(up, RUN)!.startedAt!)).toBeLessThanOrEqual(Date.parse(find(up, RUN)!.lastSeen));
    // the apply executor is sorted first, the poller-only one is still there
    expect(up.map((e) => e.identity)).toEqual([APPLY, LEGACY, RUN]);
    expect((await list('?role=apply')).map((e) => e.identity)).toEqual([APPLY]);
    expect((await list('?role=run&status=up')).map((e) => e.identity)).toEqual([LEGACY, RUN]);

    // a clean stop says goodbye
    await apply.stop();
    const stopped = await waitFor(
      'the apply executor stopped',
      (all) => find(all, APPLY)?.status === 'stopped',
    );
    expect(find(stopped, APPLY)!.stoppedAt).not.toBeNull();
    expect(find(stopped, RUN)!.status).toBe('up');
    expect((await list('?status=stopped')).map((e) => e.identity)).toEqual([APPLY]);

    // a killed process: its reports stop without a goodbye and its worker is gone
    await run.presence.stop({ goodbye: false });
    await run.stop();
    const statuses = new Set<string>();
    const gone = await waitFor(
      'the run executor gone',
      (all) => find(all, RUN)?.status === 'gone',
      (all) => statuses.add(find(all, RUN)?.status ?? 'missing'),
    );
    expect([...statuses].filter((s) => s !== 'up' && s !== 'gone')).toEqual([]);
    expect(find(gone, RUN)).toMatchObject({ stoppedAt: null, gateways: ['local', 'warehouse'] });
    const stoppedFor = Date.now() - Date.parse(find(gone, RUN)!.lastSeen);
    expect(stoppedFor).toBeGreaterThan(GONE_AFTER_MS);

    // the clean stop, too, is gone once the gone-after time has passed since its goodbye
    await waitFor('the apply executor gone', (all) => find(all, APPLY)?.status === 'gone');
  }, 120_000);

  it('sluice executors --json prints what the API answers; bad filters are refused', async () => {
    const api = await list();
    const cli = await sluice(['executors', '--json']);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const printed = JSON.parse(cli.stdout) as ExecutorList;
    const summary = (items: Executor[]) =>
      items.map(({ identity, role, status, version, gateways, startedAt }) => ({
        identity,
        role,
        status,
        version,
        gateways,
        startedAt,
      }));
    expect(summary(printed.items)).toEqual(summary(api));
    expect(printed.goneAfterSeconds).toBe(GONE_AFTER_MS / 1000);
    expect(summary(api).map((e) => [e.identity, e.status])).toEqual([
      [APPLY, 'gone'],
      [LEGACY, 'up'],
      [RUN, 'gone'],
    ]);

    const table = await sluice(['executors', '--role', 'run']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^IDENTITY\s+ROLE\s+STATUS\s+HEALTH\s+IN FLIGHT\s+VERSION\s+GATEWAYS\s+LAST SEEN/,
    );
    expect(table.stdout).toMatch(
      new RegExp(`${RUN}\\s+run\\s+gone\\s+ok\\s+0\\s+\\S+\\s+local, warehouse\\s`),
    );
    expect(table.stdout).not.toContain(APPLY);

    const badRole = await get('?role=sideways');
    expect(badRole.status).toBe(400);
    expect(badRole.body.error?.message).toBe('query.role: unknown role "sideways" (one of run, apply)');
    const badStatus = await get('?role=run&status=dead');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error?.message).toBe(
      'query.status: unknown status "dead" (one of up, stopped, gone)',
    );

    const cliBad = await sluice(['executors', '--status', 'dead']);
    expect(cliBad.code).toBe(2);
    expect(cliBad.stderr).toContain("'--status <status>' argument 'dead' is invalid");
  }, 120_000);
});

describe('presence reports when Temporal fails', () => {
  /** A client whose signals fail while `down` is true, recording what it sends. */
  function flakyClient() {
    const sent: Array<{ signal: string; args: unknown[] }> = [];
    const control = { down: true };
    const client = {
      connection: { withDeadline: <R>(_deadline: number, fn: () => Promise<R>) => fn() },
      workflow: {
        async signalWithStart(_type: string, options: { signal: string; signalArgs: unknown[] }) {
          if (control.down) throw new Error('14 UNAVAILABLE: connection refused');
          sent.push({ signal: options.signal, args: options.signalArgs });
          return {};
        },
      },
    } as unknown as Client;
    return { client, sent, control };
  }

  it('logs an outage once, keeps reporting, and says goodbye on stop', async () => {
    const { client, sent, control } = flakyClient();
    const lines: string[] = [];
    let inFlight = 2;
    const presence = startExecutorPresence({
      client,
      identity: 'run@flaky:1',
      role: 'run',
      taskQueue: 'sluice-run',
      gateways: () => ['local'],
      inFlight: () => inFlight,
      health: () => 'ok',
      intervalMs: 20,
      log: (line) => lines.push(line),
    });
    const deadline = Date.now() + 10_000;
    const until = async (done: () => boolean) => {
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify({ lines, sent })}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    // several failed reports, one line
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines).toEqual([
      'sluice executor run@flaky:1: cannot report its presence to Temporal (14 UNAVAILABLE: connection refused); it keeps working and tries again every 20 ms',
    ]);
    control.down = false;
    await until(() => sent.length >= 2);
    expect(lines[1]).toBe('sluice executor run@flaky:1: presence reports reach Temporal again');
    expect(sent[0]).toMatchObject({
      signal: 'executorHeartbeat',
      args: [{ identity: 'run@flaky:1', role: 'run', gateways: ['local'], inFlight: 2, health: 'ok' }],
    });
    inFlight = 0;
    await until(() => sent.some((s) => (s.args[0] as { inFlight: number }).inFlight === 0));

    await presence.stop();
    const last = sent.at(-1)!;
    expect(last.signal).toBe('executorStopped');
    expect(last.args).toEqual([{ identity: 'run@flaky:1', at: expect.any(Number) }]);
    const count = sent.length;
    await presence.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sent.length).toBe(count);
    expect(lines).toHaveLength(2);
  });

  it('stops quietly when the goodbye cannot be sent, and refuses a bad interval', async () => {
    const { client, control } = flakyClient();
    const lines: string[] = [];
    const presence = startExecutorPresence({
      client,
      identity: 'apply@flaky:2',
      role: 'apply',
      taskQueue: 'sluice-apply',
      gateways: () => [],
      inFlight: () => 0,
      health: () => 'degraded',
      intervalMs: 1_000,
      log: (line) => lines.push(line),
    });
    control.down = true;
    await expect(presence.stop()).resolves.toBeUndefined();
    expect(lines.at(-1)).toBe(
      'sluice executor apply@flaky:2: could not tell Temporal it stopped (14 UNAVAILABLE: connection refused); it is listed as gone once its last report is old enough',
    );
  });
});
