import { CancelledFailure } from '@temporalio/common';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  BatchResult,
  ExecutorActivities,
  PreparedBatch,
  SegmentReport,
} from '../../../activities/contracts.ts';
import { createExecutorActivities } from '../../../activities/executor/index.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import { buildExecution } from '../../../core/execution/statements.ts';
import { physicalTable } from '../../../core/naming.ts';
import { testModel } from '../../unit/execution/model.ts';
import {
  activityEnvironment,
  type ExecutorGateways,
  failed,
  GATEWAY_OF,
  GATEWAY_TYPES,
  oneBatchSegment,
  onlyResult,
  openExecutorGateways,
  rejection,
  SECRET,
  succeeded,
} from './executor-gateways.ts';

const IDENTITY = 'run@test-host:4242';

let gateways: ExecutorGateways;
let activities: ExecutorActivities;

beforeAll(async () => {
  gateways = await openExecutorGateways('exec_activity');
  activities = createExecutorActivities({ pool: gateways.pool, identity: IDENTITY, role: 'run' });
  for (const gateway of Object.values(GATEWAY_OF)) {
    await gateways.pool
      .get(gateway)
      .runInTransaction([
        { sql: 'CREATE SCHEMA raw' },
        { sql: 'CREATE TABLE raw.events (id INTEGER, item_id INTEGER, amount INTEGER)' },
        { sql: 'INSERT INTO raw.events VALUES (1, 1, 10), (2, 2, 20), (3, 1, 5), (4, 3, 7)' },
      ]);
  }
});

afterAll(async () => {
  await gateways?.close();
});

function batch(type: keyof typeof GATEWAY_OF, request: ExecutionRequest, executionId = 'e1'): PreparedBatch {
  return { executionId, gateway: GATEWAY_OF[type], model: request.model, interval: null, request };
}

/** Runs `batch` as a one-batch segment and returns its result. */
async function runOne(env: MockActivityEnvironment, prepared: PreparedBatch): Promise<BatchResult> {
  return onlyResult((await env.run(activities.executeSegment, oneBatchSegment(prepared))) as SegmentReport);
}

/** The statement or audit progress of batch `id` in a segment heartbeat, if it has one. */
function progressOf(beat: unknown, id = 'e1'): { phase?: string; statement?: number } | undefined {
  return (beat as { current?: Record<string, { phase?: string; statement?: number }> }).current?.[id];
}

/** A FULL model's batch, with the given audits (queries over its physical table `@table`). */
function fullRequest(
  name: string,
  fingerprint: string,
  query: string,
  audits: Array<{ name: string; blocking: boolean; query: string }> = [],
): ExecutionRequest {
  const table = physicalTable(name, fingerprint).qualified;
  return buildExecution({
    model: testModel(name, { name: 'FULL' }, query),
    fingerprint,
    query,
    audits: audits.map((audit) => ({ ...audit, query: audit.query.replaceAll('@table', table) })),
  });
}

/** A batch that writes one row, then runs a statement that takes far longer than any test waits. */
function slowRequest(type: keyof typeof GATEWAY_OF, fingerprint: string): ExecutionRequest {
  const table = physicalTable('shop.slow', fingerprint).qualified;
  const slow =
    type === 'postgres'
      ? 'SELECT pg_sleep(60)'
      : 'SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range + b.range = 7';
  return {
    model: 'shop.slow',
    snapshot: fingerprint,
    kind: 'FULL',
    statements: [
      { sql: 'CREATE SCHEMA IF NOT EXISTS sluice__shop', label: 'shop.slow' },
      { sql: `CREATE TABLE IF NOT EXISTS ${table} (id INTEGER)`, label: 'shop.slow' },
      { sql: `INSERT INTO ${table} VALUES (1)`, label: 'shop.slow' },
      { sql: slow, label: 'shop.slow' },
    ],
    createStatements: 2,
    writeStatements: [2],
    audits: [],
    physical: { schema: 'sluice__shop', table: physicalTable('shop.slow', fingerprint).table },
  };
}

describe.each(GATEWAY_TYPES)('executeSegment activity with one batch on %s', (type) => {
  const engine = () => gateways.pool.get(GATEWAY_OF[type]);

  it('runs the batch and reports counts, timings and audits with the executor identity', async () => {
    const request = fullRequest(
      'shop.item_totals',
      `totals${type}`,
      'SELECT item_id, SUM(amount) AS total FROM raw.events GROUP BY item_id',
      [{ name: 'positive_totals', blocking: true, query: 'SELECT * FROM @table WHERE total <= 0' }],
    );
    const { env, heartbeats } = activityEnvironment();
    const report = succeeded(await runOne(env, batch(type, request)));

    expect(Object.keys(report).sort()).toEqual([
      'attempt',
      'audits',
      'executor',
      'finishedAt',
      'notices',
      'rowsAffected',
      'startedAt',
      'statements',
    ]);
    expect(report.executor).toBe(IDENTITY);
    expect(report.attempt).toBe(1);
    expect(report.rowsAffected).toBe(3);
    expect(report.statements).toHaveLength(request.statements.length);
    for (const statement of report.statements) {
      expect(statement.label).toBe('shop.item_totals');
      expect(statement.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(report.audits).toEqual([{ name: 'positive_totals', blocking: true, failingRows: 0 }]);
    expect(report.notices).toEqual([]);
    expect(report.finishedAt).toBeGreaterThanOrEqual(report.startedAt);
    expect(JSON.stringify(report)).not.toContain(SECRET);

    const table = physicalTable('shop.item_totals', `totals${type}`).qualified;
    expect(Number(await engine().queryScalar(`SELECT SUM(total) FROM ${table}`))).toBe(42);

    const total = request.statements.length;
    expect(heartbeats[0]).toEqual({ executor: IDENTITY, results: [], running: [] });
    const progress = heartbeats.filter((beat) => progressOf(beat)?.phase === 'statement');
    // each statement beats once (the pulse may repeat one while the next statement runs)
    expect([...new Set(progress.map((beat) => progressOf(beat)!.statement))]).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    for (const beat of progress) {
      expect(beat).toMatchObject({ executor: IDENTITY, running: ['e1'] });
      expect(progressOf(beat)).toMatchObject({ model: 'shop.item_totals', statements: total });
    }
    expect(heartbeats.some((beat) => progressOf(beat)?.phase === 'audit')).toBe(true);
    // the last beat says the batch ended, so a retry would not run it again
    expect(heartbeats.at(-1)).toEqual({
      executor: IDENTITY,
      results: [{ executionId: 'e1', model: 'shop.item_totals', status: 'succeeded', report }],
      running: [],
    });
  });

  it('cancelling the activity stops the running statement and rolls the batch back', async () => {
    const fingerprint = `slow${type}`;
    const { env, heartbeats } = activityEnvironment();
    const running = env.run(
      activities.executeSegment,
      oneBatchSegment(batch(type, slowRequest(type, fingerprint))),
    );
    // the slow statement starts once the insert (statement 3) has reported
    await waitFor(async () => heartbeats.some((beat) => progressOf(beat)?.statement === 3));
    if (type === 'postgres') await waitFor(async () => (await sleepingQueries()) === 1);
    else await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelledAt = Date.now();
    env.cancel();
    const error = await rejection(running);
    expect(error).toBeInstanceOf(CancelledFailure);
    // the batch did not end: a later attempt would run it again
    expect((error as CancelledFailure).details[0]).toEqual({ executor: IDENTITY, results: [], running: [] });
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    // the whole transaction was rolled back: the table it created and filled is gone
    const physical = physicalTable('shop.slow', fingerprint);
    expect(await engine().tableExists(physical.schema, physical.table)).toBe(false);
    if (type === 'postgres') expect(await sleepingQueries()).toBe(0);
  });

  it('reports a rejected statement as a failed batch typed SQL_ERROR, naming the model and statement', async () => {
    const request = fullRequest('shop.broken', `broken${type}`, 'SELECT id FROM raw.no_such_table');
    const { env } = activityEnvironment();
    const failure = failed(await runOne(env, batch(type, request)));
    expect(failure).toMatchObject({ executionId: 'e1', model: 'shop.broken', type: 'SQL_ERROR', attempt: 1 });
    expect(failure.executor).toBe(IDENTITY);
    expect(failure.message).toContain(`gateway "${GATEWAY_OF[type]}"`);
    expect(failure.message).toMatch(/statement 2 for "shop\.broken" failed: .*no_such_table/i);
    expect(failure.message).not.toContain(SECRET);
  });

  it('reports a blocking audit with offending rows as a failed batch typed AUDIT_FAILED', async () => {
    const request = fullRequest('shop.small_items', `audit${type}`, 'SELECT id, amount FROM raw.events', [
      { name: 'no_small_amounts', blocking: true, query: 'SELECT * FROM @table WHERE amount < 8' },
    ]);
    const { env } = activityEnvironment();
    const failure = failed(await runOne(env, batch(type, request)));
    expect(failure.type).toBe('AUDIT_FAILED');
    expect(failure.message).toBe(
      'audit "no_small_amounts" failed for model "shop.small_items": 2 offending rows',
    );
  });

  it('runs nothing for a batch another run already completed', async () => {
    const fingerprint = `done${type}`;
    const request = fullRequest('shop.done', fingerprint, 'SELECT id FROM raw.events');
    const { env } = activityEnvironment();
    const report = succeeded(await runOne(env, { ...batch(type, request), alreadyComplete: true }));
    expect(report).toMatchObject({ executor: IDENTITY, rowsAffected: null, statements: [], audits: [] });
    const physical = physicalTable('shop.done', fingerprint);
    expect(await engine().tableExists(physical.schema, physical.table)).toBe(false);
  });
});

describe('executeSegment activity heartbeats', () => {
  it('repeats the latest progress while a statement runs, at a third of the heartbeat timeout', async () => {
    const table = physicalTable('shop.sleepy', 'sleepy1');
    const request: ExecutionRequest = {
      model: 'shop.sleepy',
      snapshot: 'sleepy1',
      kind: 'FULL',
      statements: [
        { sql: 'CREATE SCHEMA IF NOT EXISTS sluice__shop', label: 'shop.sleepy' },
        { sql: 'SELECT pg_sleep(1.2)', label: 'shop.sleepy' },
      ],
      createStatements: 1,
      writeStatements: [],
      audits: [],
      physical: { schema: table.schema, table: table.table },
    };
    // 600 ms timeout: a beat every 200 ms, so about six while the statement sleeps
    const { env, heartbeats } = activityEnvironment(600);
    const times: number[] = [];
    env.on('heartbeat', () => times.push(Date.now()));
    await env.run(activities.executeSegment, oneBatchSegment(batch('postgres', request)));
    const afterFirst = heartbeats.filter(
      (beat) => progressOf(beat)?.statement === 1 && progressOf(beat)?.phase === 'statement',
    );
    // one beat when statement 1 finished, then repeats of it until statement 2 finished
    expect(afterFirst.length).toBeGreaterThanOrEqual(4);
    expect(afterFirst.length).toBeLessThanOrEqual(9);
    const gaps = times.slice(1).map((time, i) => time - times[i]!);
    expect(Math.max(...gaps)).toBeLessThan(450);
  });
});

/** Statements of the warehouse database sleeping in the slow batch's `pg_sleep(60)`. */
async function sleepingQueries(): Promise<number> {
  const count = await gateways.pool
    .get('warehouse')
    .queryScalar(
      `SELECT count(*) FROM pg_stat_activity WHERE datname = '${gateways.database}' AND state = 'active' AND query = 'SELECT pg_sleep(60)'`,
    );
  return Number(count);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
