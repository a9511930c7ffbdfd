// SLUICE_ENV_FILE: the parser's accepted syntax and its errors (file and line, never the value),
// the watch that re-reads the file when it changes (including Kubernetes' symlink swap), and a
// real executor whose Postgres gateway comes from the file: a rotation reaches the next batch on a
// new engine while the batch in flight finishes on the old one, and a broken rewrite keeps the
// previous gateways and shows in /readyz.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorReport, PreparedBatch } from '../../../activities/contracts.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { readWorkerConfig } from '../../../workers/config.ts';
import {
  EnvFileError,
  EnvFileWatch,
  mergeEnvFile,
  parseEnvFile,
  readEnvFile,
} from '../../../workers/env-file.ts';
import { watchGatewayEnvFile } from '../../../workers/gateway-reload.ts';
import type { ReadinessReport } from '../../../workers/readiness.ts';
import { type StartedWorkerProcess, startWorkerProcess } from '../../../workers/worker-process.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';
import { startDevServer } from '../../support/temporal.ts';
import { waitUntil } from '../../support/waiting.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';
import type { executeOne } from './workflows/execute-one.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-env-file-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `file` the way secret managers do: a new file renamed over the old one. */
function replaceFile(file: string, text: string): void {
  const temporary = `${file}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function parseError(text: string): EnvFileError {
  try {
    parseEnvFile(text, '/etc/sluice/warehouse.env');
  } catch (error) {
    expect(error).toBeInstanceOf(EnvFileError);
    return error as EnvFileError;
  }
  throw new Error('expected the env file to be refused');
}

describe('parseEnvFile', () => {
  it('reads comments, blank lines, export, quotes, escapes and inline comments', () => {
    const text = [
      '# warehouse credentials, rotated hourly',
      '',
      'export SLUICE__GATEWAYS__WH__CONNECTION__HOST=db.internal',
      '  SLUICE__GATEWAYS__WH__CONNECTION__PORT = 6432   # pgbouncer',
      'SLUICE__GATEWAYS__WH__CONNECTION__PASSWORD="p@ss \\"quoted\\" #not-a-comment\\nline2\\\\"',
      "SLUICE__GATEWAYS__WH__CONNECTION__USER='literal \\n $HOME' # a comment",
      'URL=postgres://u@h/db?sslmode=require#frag',
      'EMPTY=',
      'EQUALS=a=b=c',
      'CRLF=yes\r',
      '\uFEFFexport\tTABBED=1',
    ].join('\n');
    expect(parseEnvFile(text, 'x.env')).toEqual({
      SLUICE__GATEWAYS__WH__CONNECTION__HOST: 'db.internal',
      SLUICE__GATEWAYS__WH__CONNECTION__PORT: '6432',
      SLUICE__GATEWAYS__WH__CONNECTION__PASSWORD: 'p@ss "quoted" #not-a-comment\nline2\\',
      SLUICE__GATEWAYS__WH__CONNECTION__USER: 'literal \\n $HOME',
      URL: 'postgres://u@h/db?sslmode=require#frag',
      EMPTY: '',
      EQUALS: 'a=b=c',
      CRLF: 'yes',
      TABBED: '1',
    });
    expect(parseEnvFile('\uFEFFA=1\r\nB="two"\r\n', 'x.env')).toEqual({ A: '1', B: 'two' });
  });

  it('names the file and line of a malformed line, never its value', () => {
    const secret = 'hunter2-rotated';
    const cases: Array<[string, string]> = [
      [`A=1\n\nthis is not a setting ${secret}`, '/etc/sluice/warehouse.env line 3: expected KEY=VALUE'],
      ['A=1\nPASSWORD', '/etc/sluice/warehouse.env line 2: PASSWORD has no value (expected PASSWORD=VALUE)'],
      [
        `1ABC=${secret}`,
        '/etc/sluice/warehouse.env line 1: "1ABC" is not a variable name (letters, digits and _, not starting with a digit)',
      ],
      [
        `# c\nSLUICE__GATEWAYS__WH__CONNECTION__PASSWORD="${secret}`,
        '/etc/sluice/warehouse.env line 2: the double-quoted value of SLUICE__GATEWAYS__WH__CONNECTION__PASSWORD is not closed on the same line',
      ],
      [
        `P='${secret}`,
        '/etc/sluice/warehouse.env line 1: the single-quoted value of P is not closed on the same line',
      ],
      [
        `P="${secret}" trailing`,
        "/etc/sluice/warehouse.env line 1: unexpected text after the closing quote of P's value",
      ],
      [`A=1\nB=2\nA=${secret}`, '/etc/sluice/warehouse.env line 3: A is already set on line 1'],
    ];
    for (const [text, message] of cases) {
      const error = parseError(text);
      expect(error.message).toBe(message);
      expect(error.message).not.toContain(secret);
    }
    expect(parseError('A=1\n\nB c').line).toBe(3);
  });

  it('refuses Temporal and other process settings in the file, naming the line', () => {
    const file = join(dir, 'process.env');
    writeFileSync(
      file,
      '# ok\nSLUICE__GATEWAYS__WH__CONNECTION__TYPE=duckdb\nexport TEMPORAL_ADDRESS=elsewhere:7233\n',
    );
    expect(() => readEnvFile(file)).toThrow(
      `${file} line 3: TEMPORAL_ADDRESS: Temporal settings must be set on the process itself, not in the env file`,
    );
    writeFileSync(file, 'SLUICE_HEALTH_PORT=9000\n');
    expect(() => readEnvFile(file)).toThrow(
      `${file} line 1: SLUICE_HEALTH_PORT: process settings must be set on the process itself`,
    );
    // other variables are left to other tools
    writeFileSync(file, 'PGAPPNAME=x\nSQLMESH__GATEWAYS__WH__CONNECTION__TYPE=duckdb\n');
    expect(readEnvFile(file)).toEqual({ SQLMESH__GATEWAYS__WH__CONNECTION__TYPE: 'duckdb' });
    expect(() => readEnvFile(join(dir, 'missing.env'))).toThrow(
      `${join(dir, 'missing.env')}: cannot read the env file (no such file)`,
    );
  });

  it('merges over the process: the file wins for each setting it sets, whatever its prefix', () => {
    const merged = mergeEnvFile(
      {
        PATH: '/bin',
        SLUICE__GATEWAYS__WH__CONNECTION__PASSWORD: 'old',
        SLUICE__GATEWAYS__WH__CONNECTION__HOST: 'db',
        sqlmesh__gateways__wh__connection__user: 'old-user',
      },
      { SQLMESH__GATEWAYS__WH__CONNECTION__PASSWORD: 'new', SLUICE__GATEWAYS__WH__CONNECTION__USER: 'u2' },
    );
    expect(merged).toEqual({
      PATH: '/bin',
      SLUICE__GATEWAYS__WH__CONNECTION__HOST: 'db',
      SQLMESH__GATEWAYS__WH__CONNECTION__PASSWORD: 'new',
      SLUICE__GATEWAYS__WH__CONNECTION__USER: 'u2',
    });
  });
});

describe('EnvFileWatch', () => {
  it('reloads on change, keeps the previous settings on a bad one, and recovers', () => {
    const file = join(dir, 'watched.env');
    writeFileSync(file, 'SLUICE__A=1\n');
    const applied: Array<Record<string, string>> = [];
    const lines: string[] = [];
    const watch = new EnvFileWatch(file, {
      apply: (variables) => {
        if (variables.SLUICE__A === 'refuse') throw new Error('SLUICE__A: refused by the caller');
        applied.push(variables);
        return applied.length === 1 ? undefined : `gateways changed: a`;
      },
      log: (line) => lines.push(line),
    });
    watch.check();
    expect(applied).toEqual([{ SLUICE__A: '1' }]);
    expect(lines).toEqual([]);
    watch.check();
    expect(applied).toHaveLength(1);

    replaceFile(file, 'SLUICE__A=2\n');
    watch.check();
    expect(applied.at(-1)).toEqual({ SLUICE__A: '2' });
    expect(lines.at(-1)).toBe(`env file ${file} reloaded: gateways changed: a`);
    expect(watch.status.ok).toBe(true);

    replaceFile(file, 'SLUICE__A=3\nbroken line with s3cret\n');
    watch.check();
    expect(applied).toHaveLength(2);
    expect(watch.status).toMatchObject({ ok: false, error: `${file} line 2: expected KEY=VALUE` });
    expect(lines.at(-1)).toBe(
      `env file reload failed, keeping the previous settings: ${file} line 2: expected KEY=VALUE`,
    );

    replaceFile(file, 'SLUICE__A=refuse\n');
    watch.check();
    expect(watch.status).toMatchObject({ ok: false, error: `${file}: SLUICE__A: refused by the caller` });

    rmSync(file);
    watch.check();
    expect(watch.status).toMatchObject({
      ok: false,
      error: `${file}: cannot read the env file (no such file)`,
    });

    writeFileSync(file, 'SLUICE__A=2\n');
    watch.check();
    expect(watch.status.ok).toBe(true);
    expect(lines.at(-1)).toBe(`env file ${file} reloaded: gateways changed: a`);
    expect(lines.join('\n')).not.toContain('s3cret');
  });

  it('lets an executor holding the encryption key drop every gateway of its own, and no other', () => {
    const file = join(dir, 'managed-only.env');
    const gateway = 'SLUICE__GATEWAYS__LOCAL__CONNECTION__TYPE=duckdb\n';
    writeFileSync(file, gateway);
    const pools = [true, false].map((allowNoGateways) => {
      const pool = new EnginePool({ local: { type: 'duckdb' } }, { baseDir: dir });
      const watch = watchGatewayEnvFile(pool, { file, env: {}, baseDir: dir, allowNoGateways });
      return { pool, watch };
    });
    replaceFile(file, '# every gateway comes from the scheduler now\n');
    for (const { watch } of pools) watch.check();
    const [withKey, withoutKey] = pools;
    expect(withKey!.watch.status.ok).toBe(true);
    expect(withKey!.pool.gateways).toEqual([]);
    expect(withoutKey!.watch.status).toMatchObject({ ok: false });
    expect((withoutKey!.watch.status as { error: string }).error).toMatch(/no gateways configured/);
    expect(withoutKey!.pool.gateways).toEqual(['local']);
  });

  it('sees a Kubernetes secret update (a swap of the ..data symlink) by polling', async () => {
    const mount = join(dir, 'secret-mount');
    mkdirSync(join(mount, '..2025_01'), { recursive: true });
    writeFileSync(join(mount, '..2025_01', 'warehouse.env'), 'SLUICE__PASSWORD=first\n');
    symlinkSync('..2025_01', join(mount, '..data'));
    symlinkSync(join('..data', 'warehouse.env'), join(mount, 'warehouse.env'));
    const seen: string[] = [];
    const watch = new EnvFileWatch(join(mount, 'warehouse.env'), {
      pollMs: 20,
      apply: (variables) => {
        seen.push(variables.SLUICE__PASSWORD ?? '');
        return 'changed';
      },
      log: () => {},
    });
    watch.check();
    watch.start();
    try {
      mkdirSync(join(mount, '..2025_02'));
      writeFileSync(join(mount, '..2025_02', 'warehouse.env'), 'SLUICE__PASSWORD=second\n');
      symlinkSync('..2025_02', join(mount, '..data_tmp'));
      renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
      rmSync(join(mount, '..2025_01'), { recursive: true });
      await waitUntil(() => seen.length === 2);
      expect(seen).toEqual(['first', 'second']);
    } finally {
      watch.close();
    }
  });
});

describe('an executor whose gateway comes from an env file', () => {
  const WORKFLOW_QUEUE = 'env-file-test-workflows';
  const PASSWORD_ONE = 'first-short-lived-password';
  const PASSWORD_TWO = 'second-short-lived-password';
  const url = new URL(TEST_DATABASE_URL);
  let env: TestWorkflowEnvironment;
  let scratch: ScratchDatabase;
  let admin: postgres.Sql;
  let workflowWorker: Worker;
  let workflowsRunning: Promise<void>;
  let started: StartedWorkerProcess | undefined;
  const lines: string[] = [];
  const secrets = join(dir, 'secrets');
  const file = join(secrets, 'warehouse.env');

  function warehouseFile(password: string, application: string, extra = ''): string {
    return [
      '# mounted from the secret store',
      'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE=postgres',
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOST=${url.hostname}`,
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PORT=${url.port || '5432'}`,
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__USER=${decodeURIComponent(url.username || 'postgres')}`,
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__DATABASE=${scratch.name}`,
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD="${password}"`,
      `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__APPLICATION_NAME=${application}`,
      'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__SSLMODE=disable',
      extra,
    ].join('\n');
  }

  function recorder(id: number, wait = false): PreparedBatch {
    const statements = [
      `INSERT INTO seen SELECT ${id}, current_setting('application_name'), pg_backend_pid()`,
      ...(wait ? ['SELECT pg_advisory_xact_lock(4242)'] : []),
    ];
    const request: ExecutionRequest = {
      model: 'ops.seen',
      snapshot: `s${id}`,
      kind: 'FULL',
      statements: statements.map((sql) => ({ sql, label: 'ops.seen' })),
      createStatements: 0,
      writeStatements: [0],
      audits: [],
      physical: { schema: 'public', table: 'seen' },
    };
    return { executionId: `x${id}`, gateway: 'warehouse', model: 'ops.seen', interval: null, request };
  }

  async function start(batch: PreparedBatch) {
    return env.client.workflow.start<typeof executeOne>('executeOne', {
      taskQueue: WORKFLOW_QUEUE,
      workflowId: `env-file-${batch.executionId}-${Date.now()}`,
      args: [batch, 'sluice-run'],
    });
  }

  async function run(batch: PreparedBatch): Promise<ExecutorReport> {
    return (await start(batch)).result();
  }

  async function seen(id: number): Promise<{ app: string; pid: number } | undefined> {
    const rows = await admin.unsafe(`SELECT app, pid FROM seen WHERE id = ${id}`);
    return rows[0] as { app: string; pid: number } | undefined;
  }

  async function sessions(application: string, waitingOnLock = false): Promise<number> {
    const rows = await admin.unsafe(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = '${scratch.name}' AND application_name = '${application}'${waitingOnLock ? " AND wait_event_type = 'Lock'" : ''}`,
    );
    return (rows[0] as unknown as { n: number }).n;
  }

  async function readyz(): Promise<{ status: number; body: ReadinessReport }> {
    const response = await fetch(`${started!.healthUrl}/readyz`);
    return { status: response.status, body: (await response.json()) as ReadinessReport };
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase('env_file');
    admin = postgres(scratch.url, { max: 2, onnotice: () => {} });
    await admin.unsafe('CREATE TABLE seen (id int, app text, pid int)');
    mkdirSync(secrets, { recursive: true });
    writeFileSync(file, warehouseFile(PASSWORD_ONE, 'sluice_app_one'));
    env = await startDevServer();
    workflowWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: WORKFLOW_QUEUE,
      workflowsPath: fileURLToPath(new URL('./workflows/execute-one.ts', import.meta.url)),
    });
    workflowsRunning = workflowWorker.run();
  });

  afterAll(async () => {
    if (started !== undefined) {
      await started.running.stop();
      for (const resource of started.resources) await resource.close();
    }
    if (workflowWorker?.getState() === 'RUNNING') workflowWorker.shutdown();
    await workflowsRunning;
    await env?.teardown();
    await admin?.end();
    await scratch?.drop();
  });

  it('uses the rotated settings from the next batch on, lets the batch in flight finish, and survives bad rewrites', async () => {
    const config = readWorkerConfig(
      'run',
      {
        TEMPORAL_ADDRESS: env.address,
        SLUICE_EXECUTOR_IDENTITY: 'run@env-file-test',
        SLUICE_SHUTDOWN_GRACE: '10s',
        // relative to the working directory; polling is slow so that only the check each activity
        // makes as it starts can see the rotations below
        SLUICE_ENV_FILE: 'secrets/warehouse.env',
        SLUICE_ENV_FILE_POLL: '1h',
        // a gateway of the process's own, which every reload keeps
        SLUICE__GATEWAYS__SCRATCH__CONNECTION__TYPE: 'duckdb',
        SLUICE__GATEWAYS__SCRATCH__CONNECTION__DATABASE: 'scratch.duckdb',
      },
      { cwd: dir },
    );
    expect(config.envFile).toBe(file);
    expect(Object.keys(config.gateways).sort()).toEqual(['scratch', 'warehouse']);
    started = await startWorkerProcess({ ...config, healthPort: 0, healthHost: '127.0.0.1' }, (line) =>
      lines.push(line),
    );

    await run(recorder(1));
    const first = await seen(1);
    expect(first?.app).toBe('sluice_app_one');

    // a batch that stays in flight until the test lets it go
    await admin.unsafe('SELECT pg_advisory_lock(4242)');
    const inFlight = await start(recorder(2, true));
    await waitUntil(async () => (await sessions('sluice_app_one', true)) === 1);

    replaceFile(file, warehouseFile(PASSWORD_TWO, 'sluice_app_two'));
    await run(recorder(3));
    const third = await seen(3);
    expect(third?.app).toBe('sluice_app_two');
    expect(third?.pid).not.toBe(first?.pid);
    expect(lines).toContain(`env file ${file} reloaded: gateways changed: warehouse`);
    // the old engine is still open for the batch in flight
    expect(await sessions('sluice_app_one', true)).toBe(1);

    await admin.unsafe('SELECT pg_advisory_unlock(4242)');
    const report = await inFlight.result();
    expect(report.executor).toBe('run@env-file-test');
    expect((await seen(2))?.app).toBe('sluice_app_one');
    // and closed once that batch is done
    await waitUntil(async () => (await sessions('sluice_app_one')) === 0);

    expect((await readyz()).status).toBe(200);

    // a malformed rewrite keeps the gateways, and /readyz says where the file is wrong
    replaceFile(file, `${warehouseFile('third-password', 'sluice_app_three')}\nnot a setting\n`);
    await run(recorder(4));
    expect((await seen(4))?.app).toBe('sluice_app_two');
    const broken = await readyz();
    expect(broken.status).toBe(503);
    expect(broken.body.status).toBe('not ready');
    expect(broken.body.checks['env-file']).toMatchObject({
      ok: false,
      error: `${file} line 11: expected KEY=VALUE`,
    });
    expect(broken.body.checks['gateway:warehouse']?.ok).toBe(true);
    expect(broken.body.checks.temporal?.ok).toBe(true);

    // so does a Temporal setting, which belongs to the process
    replaceFile(file, warehouseFile('third-password', 'sluice_app_three', 'TEMPORAL_NAMESPACE=other'));
    await run(recorder(5));
    expect((await seen(5))?.app).toBe('sluice_app_two');
    expect((await readyz()).body.checks['env-file']?.error).toBe(
      `${file} line 10: TEMPORAL_NAMESPACE: Temporal settings must be set on the process itself, not in the env file`,
    );

    // and a gateway setting the engine refuses, named by its variable
    replaceFile(
      file,
      warehouseFile(
        'third-password',
        'sluice_app_three',
        'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__CONCURRENT_TASKS=many\nSLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOSTNAME=db',
      ),
    );
    await run(recorder(6));
    expect((await seen(6))?.app).toBe('sluice_app_two');
    expect((await readyz()).body.checks['env-file']?.error).toBe(
      `${file}: invalid gateway configuration: $SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__CONCURRENT_TASKS: gateways.warehouse.connection.concurrent_tasks: must be an integer, got "many"; $SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__HOSTNAME: gateways.warehouse.connection.hostname: unknown setting; expected one of host, port, database, user, password, schema, sslmode, connect_timeout, concurrent_tasks, keepalives_idle, role, application_name`,
    );

    // a good rewrite is picked up again
    replaceFile(file, warehouseFile('third-password', 'sluice_app_three'));
    await run(recorder(7));
    expect((await seen(7))?.app).toBe('sluice_app_three');
    expect((await readyz()).status).toBe(200);

    // a gateway dropped from the file is no longer served
    replaceFile(file, '# the warehouse moved to another executor\n');
    const gone = await start(recorder(8));
    const failure = await gone.result().then(
      () => undefined,
      (error: unknown) => error as WorkflowFailedError,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = failure?.cause?.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('GATEWAY_NOT_CONFIGURED');
    expect((cause as ApplicationFailure).message).toContain('(its gateways: "scratch")');
    expect(lines).toContain(`env file ${file} reloaded: removed: warehouse`);
    expect(Object.keys((await readyz()).body.checks).sort()).toEqual([
      'env-file',
      'gateway:scratch',
      'temporal',
    ]);

    const logged = lines.join('\n');
    for (const secret of [PASSWORD_ONE, PASSWORD_TWO, 'third-password']) expect(logged).not.toContain(secret);
    expect(lines.filter((line) => line.startsWith('env file reload failed'))).toHaveLength(3);
  });
});
