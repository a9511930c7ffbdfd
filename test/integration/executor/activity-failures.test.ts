import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreparedBatch, SegmentReport, SegmentWork } from '../../../activities/contracts.ts';
import { createExecutorActivities } from '../../../activities/executor/index.ts';
import { buildExecution } from '../../../core/execution/statements.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { NON_RETRYABLE_ERRORS } from '../../../workflows/execute-models.ts';
import { testModel } from '../../unit/execution/model.ts';
import {
  activityEnvironment,
  type ExecutorGateways,
  failed,
  oneBatchSegment,
  onlyResult,
  openExecutorGateways,
  rejection,
  SECRET,
} from './executor-gateways.ts';

let gateways: ExecutorGateways;

beforeAll(async () => {
  gateways = await openExecutorGateways('exec_failures');
});

afterAll(async () => {
  await gateways?.close();
});

const request = buildExecution({
  model: testModel('shop.orders', { name: 'FULL' }, 'SELECT 1 AS id'),
  fingerprint: 'abc123',
  query: 'SELECT 1 AS id',
});

function batch(gateway: string, body: unknown = request): PreparedBatch {
  return { executionId: 'exec-7', gateway, model: 'shop.orders', interval: null, request: body };
}

function segment(gateway: string, body: unknown = request): SegmentWork {
  return oneBatchSegment(batch(gateway, body));
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('executor activity failures', () => {
  it('refuses a gateway the executor does not have, naming it, the executor and its gateways', async () => {
    const activities = createExecutorActivities({
      pool: gateways.pool,
      identity: 'apply@warehouse-host:77',
      role: 'apply',
    });
    const { env } = activityEnvironment();
    const failure = await failureOf(env.run(activities.executeSegment, segment('snowflake')));
    expect(failure.type).toBe('GATEWAY_NOT_CONFIGURED');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      'gateway "snowflake" is not configured on executor apply@warehouse-host:77 (its gateways: "local", "warehouse"); ' +
        "set SLUICE__GATEWAYS__SNOWFLAKE__CONNECTION__TYPE and the gateway's other connection settings in the " +
        'environment of every executor serving sluice-apply',
    );
    for (const run of [
      () => env.run(activities.createPhysicalTables, { gateway: 'snowflake', requests: [request] }),
      () => env.run(activities.promoteViews, { gateway: 'snowflake', environment: 'prod', entries: [] }),
      () => env.run(activities.dropViews, { gateway: 'snowflake', environment: 'prod', models: [] }),
    ]) {
      const other = await failureOf(run());
      expect(other.type).toBe('GATEWAY_NOT_CONFIGURED');
      expect(other.nonRetryable).toBe(true);
    }
  });

  it('says an executor without gateways has none', async () => {
    const pool = new EnginePool({}, { baseDir: tmpdir() });
    const activities = createExecutorActivities({ pool, identity: 'run@empty:1', role: 'run' });
    const { env } = activityEnvironment();
    const failure = await failureOf(env.run(activities.executeSegment, segment('local')));
    expect(failure.message).toContain('is not configured on executor run@empty:1 (its gateways: none)');
    expect(failure.message).toContain('serving sluice-run');
  });

  it('rejects a malformed request before running anything, naming the field', async () => {
    const activities = createExecutorActivities({ pool: gateways.pool, identity: 'run@h:1', role: 'run' });
    const { env } = activityEnvironment();
    const broken = { ...request, statements: [{ sql: 'SELECT 1' }, { label: 'shop.orders' }] };
    const failure = await failureOf(env.run(activities.executeSegment, segment('local', broken)));
    expect(failure.type).toBe('INVALID_REQUEST');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^segment\.batches\[0\]\.request\.statements\[1\]\.sql: /);

    const wrongWrite = { ...request, writeStatements: [99] };
    const second = await failureOf(env.run(activities.executeSegment, segment('local', wrongWrite)));
    expect(second.message).toBe(
      `segment.batches[0].request.writeStatements[0]: statement 99 does not exist (there are ${request.statements.length})`,
    );

    const otherModel = await failureOf(
      env.run(activities.executeSegment, oneBatchSegment({ ...batch('local'), model: 'shop.customers' })),
    );
    expect(otherModel.type).toBe('INVALID_REQUEST');
    expect(otherModel.message).toBe(
      'segment.batches[0].request.model: batch exec-7 is for model "shop.customers" but its request is for "shop.orders"',
    );

    const noThreads = await failureOf(
      env.run(activities.executeSegment, { ...segment('local'), threads: 0 }),
    );
    expect(noThreads.type).toBe('INVALID_REQUEST');
    expect(noThreads.message).toMatch(/^segment\.threads: /);

    const twice = segment('local');
    const duplicated = await failureOf(
      env.run(activities.executeSegment, { ...twice, batches: [...twice.batches, ...twice.batches] }),
    );
    expect(duplicated.message).toBe('segment.batches[1].executionId: "exec-7" appears twice in the segment');

    const elsewhere = await failureOf(
      env.run(activities.executeSegment, { ...segment('local'), gateway: 'warehouse' }),
    );
    expect(elsewhere.message).toBe(
      'segment.batches[0].gateway: "local" is not the segment\'s gateway "warehouse"',
    );

    const badTables = await failureOf(
      env.run(activities.createPhysicalTables, { gateway: 'local', requests: [request, { model: 'x' }] }),
    );
    expect(badTables.type).toBe('INVALID_REQUEST');
    expect(badTables.message).toMatch(/^requests\[1\]\.snapshot: /);

    const badEnvironment = await failureOf(
      env.run(activities.promoteViews, {
        gateway: 'local',
        environment: 'Not-An-Env',
        entries: [{ model: 'shop.orders', physical: 'sluice__shop.shop__orders__abc123' }],
      }),
    );
    expect(badEnvironment.type).toBe('INVALID_REQUEST');
    expect(badEnvironment.nonRetryable).toBe(true);
    expect(badEnvironment.message).toContain('invalid environment name "Not-An-Env"');
  });

  it('fails the segment retryably on an unreachable warehouse and reports a refused session as a failed batch, never showing the password', async () => {
    const port = await closedPort();
    const base = gateways.connections.warehouse!;
    const pool = new EnginePool(
      {
        down: { ...base, host: '127.0.0.1', port, connect_timeout: 3 },
        missing: { ...base, database: 'sluice_no_such_database_anywhere' },
      },
      { baseDir: tmpdir() },
    );
    try {
      const activities = createExecutorActivities({ pool, identity: 'run@h:2', role: 'run' });
      const { env } = activityEnvironment();
      const down = await failureOf(env.run(activities.executeSegment, segment('down')));
      expect(down.type).toBe('CONNECTION_FAILED');
      expect(down.nonRetryable).toBe(false);
      expect(down.message).toContain(`postgres at 127.0.0.1:${port}`);
      // the retry resumes from the progress in the first detail: nothing had ended
      expect(down.details?.[0]).toMatchObject({
        attempt: 1,
        executor: 'run@h:2',
        failing: 'exec-7',
        progress: { executor: 'run@h:2', results: [], running: [] },
      });

      // a refused session cannot be fixed by retrying: the batch fails and the segment reports it
      const report = (await env.run(activities.executeSegment, segment('missing'))) as SegmentReport;
      const missing = failed(onlyResult(report));
      expect(missing.type).toBe('CONNECTION_REJECTED');
      expect(missing).toMatchObject({
        executionId: 'exec-7',
        model: 'shop.orders',
        attempt: 1,
        executor: 'run@h:2',
      });
      expect(missing.message).toContain('sluice_no_such_database_anywhere');
      for (const failure of [down, missing]) {
        expect(failure.message).not.toContain(SECRET);
        expect(JSON.stringify(failure)).not.toContain(SECRET);
      }
      expect(JSON.stringify(down.details)).not.toContain(SECRET);
    } finally {
      await pool.closeAll();
    }
  });

  it("lists every non-retryable executor error in the workflows' retry policy", () => {
    for (const code of [
      'SQL_ERROR',
      'AUDIT_FAILED',
      'GATEWAY_NOT_CONFIGURED',
      'INVALID_REQUEST',
      'CONNECTION_REJECTED',
      'INVALID_GATEWAY_CONFIG',
    ]) {
      expect(NON_RETRYABLE_ERRORS).toContain(code);
    }
  });
});
