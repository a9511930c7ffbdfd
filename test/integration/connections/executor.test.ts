/**
 * The executor side of scheduler-managed connections, through the real activities on a real
 * Postgres: an executor without gateways of its own runs work with the sealed connection that comes
 * with it, its own gateways win, and an executor without the key says which key it lacks.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ConnectionTestResult,
  ExecutorActivities,
  ExecutorReport,
  PreparedBatch,
  SegmentReport,
  SegmentWork,
} from '../../../activities/contracts.ts';
import { createExecutorActivities } from '../../../activities/executor/index.ts';
import { ManagedConnections } from '../../../activities/executor/managed-connections.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import { buildExecution } from '../../../core/execution/statements.ts';
import { physicalTable } from '../../../core/naming.ts';
import { type Keyring, keyringOf } from '../../../crypto/keyring.ts';
import { type Sealed, seal } from '../../../crypto/sealed.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { NON_RETRYABLE_ERRORS } from '../../../workflows/execute-models.ts';
import { testModel } from '../../unit/execution/model.ts';
import {
  activityEnvironment,
  type ExecutorGateways,
  oneBatchSegment,
  onlyResult,
  openExecutorGateways,
  rejection,
  SECRET,
  succeeded,
} from '../executor/executor-gateways.ts';

const current = keyringOf(randomBytes(32), 'k-current');
const other = keyringOf(randomBytes(32), 'k-other');

let gateways: ExecutorGateways;
/** the `warehouse` settings of the test database, as an admin would add them. */
let warehouse: Record<string, unknown>;
const opened: Array<ManagedConnections> = [];

beforeAll(async () => {
  gateways = await openExecutorGateways('managed_exec');
  warehouse = { ...gateways.connections.warehouse! };
});

afterAll(async () => {
  await Promise.all(opened.map((managed) => managed.closeAll()));
  await gateways?.close();
});

function sealFor(gateway: string, settings: Record<string, unknown>, keyring: Keyring = current): Sealed {
  return seal(keyring, JSON.stringify(settings), gateway);
}

/** Executor activities without gateways of their own (unless `pool` is given). */
function executor(
  encryption: Keyring | undefined,
  options: { pool?: EnginePool; retireAfterMs?: number; identity?: string } = {},
): { activities: ExecutorActivities; managed: ManagedConnections } {
  const identity = options.identity ?? 'run@managed-host:1';
  const managed = new ManagedConnections({
    keyring: encryption,
    identity,
    baseDir: tmpdir(),
    ...(options.retireAfterMs === undefined ? {} : { retireAfterMs: options.retireAfterMs }),
  });
  opened.push(managed);
  const activities = createExecutorActivities({
    pool: options.pool ?? new EnginePool({}, { baseDir: tmpdir() }),
    identity,
    role: 'run',
    ...(encryption === undefined ? {} : { encryption }),
    managedConnections: managed,
  });
  return { activities, managed };
}

function fullRequest(name: string, fingerprint: string, query: string): ExecutionRequest {
  return buildExecution({ model: testModel(name, { name: 'FULL' }, query), fingerprint, query });
}

/** `request` as a one-batch segment, with the sealed connection when given. */
function batch(request: ExecutionRequest, connection?: Sealed, gateway = 'warehouse'): SegmentWork {
  const prepared: PreparedBatch = {
    executionId: `exec-${request.snapshot}`,
    gateway,
    model: request.model,
    interval: null,
    request,
  };
  return oneBatchSegment(prepared, connection === undefined ? {} : { connection });
}

/** The report of the segment's one batch, which must have succeeded. */
function reportOf(value: unknown): ExecutorReport {
  return succeeded(onlyResult(value as SegmentReport));
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a run executor without gateways of its own', () => {
  it('executes a batch on the scheduler-managed connection that came with it', async () => {
    const { activities, managed } = executor(current);
    const request = fullRequest('shop.managed_totals', 'mgd1', 'SELECT 1 AS id UNION ALL SELECT 2');
    const { env } = activityEnvironment();
    const report = reportOf(
      await env.run(activities.executeSegment, batch(request, sealFor('warehouse', warehouse))),
    );
    expect(report.executor).toBe('run@managed-host:1');
    expect(report.rowsAffected).toBe(2);
    expect(JSON.stringify(report)).not.toContain(SECRET);
    const table = physicalTable('shop.managed_totals', 'mgd1');
    expect(await gateways.pool.get('warehouse').tableExists(table.schema, table.table)).toBe(true);
    expect(managed.size).toBe(1);

    // the plan steps take the connection the same way
    await env.run(activities.promoteViews, {
      gateway: 'warehouse',
      environment: 'prod',
      entries: [{ model: 'shop.managed_totals', physical: table.qualified }],
      connection: sealFor('warehouse', warehouse),
    });
    const columns = await gateways.pool.get('warehouse').columns('shop', 'managed_totals');
    expect(columns.map((column) => column.name)).toEqual(['id']);
    await env.run(activities.dropViews, {
      gateway: 'warehouse',
      environment: 'prod',
      models: ['shop.managed_totals'],
      connection: sealFor('warehouse', warehouse),
    });
    expect(await gateways.pool.get('warehouse').columns('shop', 'managed_totals')).toEqual([]);
  });

  it('refuses the work naming the key id when it holds no key, or not that key', async () => {
    const request = fullRequest('shop.refused', 'ref1', 'SELECT 1 AS id');
    const sealed = sealFor('warehouse', warehouse);
    const { env } = activityEnvironment();

    const keyless = await failureOf(
      env.run(executor(undefined).activities.executeSegment, batch(request, sealed)),
    );
    expect(keyless.type).toBe('GATEWAY_NOT_CONFIGURED');
    expect(keyless.nonRetryable).toBe(true);
    expect(NON_RETRYABLE_ERRORS).toContain(keyless.type);
    expect(keyless.message).toBe(
      'gateway "warehouse" is not configured on executor run@managed-host:1 (its gateways: none) and the ' +
        'scheduler-managed connection that came with the work cannot be opened: it is sealed with key ' +
        '"k-current" and this executor has no SLUICE_ENCRYPTION_KEY; give every executor serving ' +
        'sluice-run that key in SLUICE_ENCRYPTION_KEY (or SLUICE_ENCRYPTION_KEY_PREVIOUS), or set ' +
        "SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE and the gateway's other connection settings in their environment",
    );

    const wrongKey = await failureOf(
      env.run(executor(other).activities.executeSegment, batch(request, sealed)),
    );
    expect(wrongKey.type).toBe('GATEWAY_NOT_CONFIGURED');
    expect(wrongKey.message).toContain(
      'cannot be opened: sealed with key "k-current", which key does not hold (it holds "k-other")',
    );

    const noConnection = await failureOf(
      env.run(executor(current).activities.executeSegment, batch(request)),
    );
    expect(noConnection.message).toBe(
      'gateway "warehouse" is not configured on executor run@managed-host:1 (its gateways: none); ' +
        "set SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE and the gateway's other connection settings in the " +
        'environment of every executor serving sluice-run',
    );
    for (const failure of [keyless, wrongKey, noConnection]) expect(failure.message).not.toContain(SECRET);
    const table = physicalTable('shop.refused', 'ref1');
    expect(await gateways.pool.get('warehouse').tableExists(table.schema, table.table)).toBe(false);
  });

  it('refuses a connection sealed for another gateway, and a malformed one', async () => {
    const { activities } = executor(current);
    const request = fullRequest('shop.moved', 'mov1', 'SELECT 1 AS id');
    const { env } = activityEnvironment();
    const moved = await failureOf(
      env.run(activities.executeSegment, batch(request, sealFor('other', warehouse))),
    );
    expect(moved.type).toBe('GATEWAY_NOT_CONFIGURED');
    expect(moved.message).toContain(
      'cannot open a value sealed with key "k-current": the key does not match or the data was altered',
    );
    const malformed = await failureOf(
      env.run(activities.executeSegment, { ...batch(request), connection: { v: 1, keyId: 'k' } as never }),
    );
    expect([malformed.type, malformed.message]).toEqual([
      'INVALID_REQUEST',
      'connection: expected a sealed connection (v: 1, keyId, iv, data and tag)',
    ]);
  });

  it('lets a gateway of its own win over the managed connection', async () => {
    const pool = new EnginePool({ warehouse }, { baseDir: tmpdir() });
    try {
      const { activities, managed } = executor(current, { pool });
      // the managed connection points nowhere: it must not be used
      const nowhere = sealFor('warehouse', { ...warehouse, host: '127.0.0.1', port: 1 });
      const { env } = activityEnvironment();
      const report = reportOf(
        await env.run(
          activities.executeSegment,
          batch(fullRequest('shop.own', 'own1', 'SELECT 1 AS id'), nowhere),
        ),
      );
      expect(report.rowsAffected).toBe(1);
      expect(managed.size).toBe(0);
    } finally {
      await pool.closeAll();
    }
  });

  it('builds a new engine for a new ciphertext and closes the replaced one once idle', async () => {
    const { activities, managed } = executor(current, { retireAfterMs: 100 });
    const { env } = activityEnvironment();
    const first = sealFor('warehouse', warehouse);
    await env.run(
      activities.executeSegment,
      batch(fullRequest('shop.gen_a', 'gen1', 'SELECT 1 AS id'), first),
    );
    await env.run(
      activities.executeSegment,
      batch(fullRequest('shop.gen_b', 'gen2', 'SELECT 1 AS id'), first),
    );
    expect(managed.size).toBe(1);

    const replaced = sealFor('warehouse', { ...warehouse, application_name: 'sluice_rotated' });
    await env.run(
      activities.executeSegment,
      batch(fullRequest('shop.gen_c', 'gen3', 'SELECT 1 AS id'), replaced),
    );
    expect(managed.size).toBe(2);
    await waitFor(() => managed.size === 1, 'the replaced engine to close');

    // work still holding the old sealed value gets an engine again
    const report = reportOf(
      await env.run(
        activities.executeSegment,
        batch(fullRequest('shop.gen_d', 'gen4', 'SELECT 1 AS id'), first),
      ),
    );
    expect(report.rowsAffected).toBe(1);
  });
});

describe('the testConnection activity', () => {
  it('connects with the sealed settings and reports the server version and latency, keeping nothing', async () => {
    const { activities, managed } = executor(current, { identity: 'apply@managed-host:2' });
    const { env } = activityEnvironment();
    const result = (await env.run(activities.testConnection, {
      gateway: 'warehouse',
      connection: sealFor('warehouse', warehouse),
    })) as ConnectionTestResult;
    expect(result.executor).toBe('apply@managed-host:2');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.serverVersion).toMatch(/^PostgreSQL \d+/);
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(managed.size).toBe(0);
  });

  it('fails with the engine error for a server that does not answer, and names the key it lacks', async () => {
    const { env } = activityEnvironment();
    const refused = await failureOf(
      env.run(executor(current).activities.testConnection, {
        gateway: 'warehouse',
        connection: sealFor('warehouse', { ...warehouse, host: '127.0.0.1', port: 1, connect_timeout: 5 }),
      }),
    );
    expect(refused.type).toBe('CONNECTION_FAILED');
    expect(refused.message).toContain('warehouse');
    expect(refused.message).not.toContain(SECRET);

    const keyless = await failureOf(
      env.run(executor(undefined).activities.testConnection, {
        gateway: 'warehouse',
        connection: sealFor('warehouse', warehouse),
      }),
    );
    expect([keyless.type, keyless.nonRetryable]).toEqual(['CONNECTION_NOT_OPENED', true]);
    expect(keyless.message).toBe(
      'executor run@managed-host:1 cannot open the connection of gateway "warehouse": it is sealed with ' +
        'key "k-current" and this executor has no SLUICE_ENCRYPTION_KEY',
    );
  });
});
