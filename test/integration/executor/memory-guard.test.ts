// SLUICE_MAX_MEMORY_MB: a batch that takes the executor past its memory limit is stopped, rolled
// back and failed with a non-retryable MEMORY_LIMIT, whether the process's RSS passed the limit or
// DuckDB refused to go past its own memory_limit; the executor then serves the next batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  BatchResult,
  ExecutorActivities,
  PreparedBatch,
  SegmentReport,
} from '../../../activities/contracts.ts';
import { createExecutorActivities } from '../../../activities/executor/index.ts';
import { MemoryGuard } from '../../../activities/executor/memory-guard.ts';
import { MemoryLimitError } from '../../../activities/executor/memory-limit-error.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { NON_RETRYABLE_ERRORS } from '../../../workflows/execute-models.ts';
import { waitUntil } from '../../support/waiting.ts';
import {
  activityEnvironment,
  type ExecutorGateways,
  failed,
  GATEWAY_OF,
  oneBatchSegment,
  onlyResult,
  openExecutorGateways,
  rejection,
  SECRET,
  succeeded,
} from './executor-gateways.ts';

const MIB = 1024 * 1024;
const IDENTITY = 'run@memory-host:99';

let gateways: ExecutorGateways;
let dir: string;

beforeAll(async () => {
  gateways = await openExecutorGateways('memory_guard');
  dir = mkdtempSync(join(tmpdir(), 'sluice-memory-guard-'));
  for (const gateway of Object.values(GATEWAY_OF)) {
    await gateways.pool.get(gateway).runInTransaction([{ sql: 'CREATE TABLE written (id INTEGER)' }]);
  }
});

afterAll(async () => {
  await gateways?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** A batch of plain statements for `model`. */
function batch(gateway: string, model: string, statements: string[]): PreparedBatch {
  const request: ExecutionRequest = {
    model,
    snapshot: 'fp1',
    kind: 'FULL',
    statements: statements.map((sql) => ({ sql, label: model })),
    createStatements: 0,
    writeStatements: statements.map((_, index) => index),
    audits: [],
    physical: { schema: 'main', table: 'written' },
  };
  return { executionId: `x-${model}`, gateway, model, interval: null, request };
}

/** Runs `prepared` as a one-batch segment and returns its result. */
async function runOne(activities: ExecutorActivities, prepared: PreparedBatch): Promise<BatchResult> {
  const env = activityEnvironment().env;
  return onlyResult((await env.run(activities.executeSegment, oneBatchSegment(prepared))) as SegmentReport);
}

/** The batch's failure, which must be MEMORY_LIMIT: a batch failure the run does not retry. */
async function memoryFailure(
  promise: Promise<BatchResult>,
): Promise<Extract<BatchResult, { status: 'failed' }>> {
  const failure = failed(await promise);
  expect(failure.type).toBe('MEMORY_LIMIT');
  expect(NON_RETRYABLE_ERRORS).toContain(failure.type);
  return failure;
}

describe('DuckDB under SLUICE_MAX_MEMORY_MB', () => {
  it("gets the limit as its memory_limit, unless the gateway's connector_config sets one", async () => {
    const pool = new EnginePool(
      {
        limited: { type: 'duckdb', database: ':memory:' },
        own: { type: 'duckdb', database: ':memory:', connector_config: { memory_limit: '1GB' } },
      },
      { baseDir: dir, maxMemoryMb: 64 },
    );
    try {
      expect(await pool.get('limited').queryScalar("SELECT current_setting('memory_limit')")).toBe(
        '64.0 MiB',
      );
      expect(await pool.get('own').queryScalar("SELECT current_setting('memory_limit')")).toBe('953.6 MiB');
    } finally {
      await pool.closeAll();
    }
  });

  it('refuses a statement that needs far more, fails it with MEMORY_LIMIT, and serves the next batch', async () => {
    const pool = new EnginePool(
      { lake: { type: 'duckdb', database: 'lake.duckdb' } },
      { baseDir: dir, maxMemoryMb: 64 },
    );
    // the RSS of a test process is far above 64 MB: this reader keeps the RSS watch out of it
    const activities = createExecutorActivities({
      pool,
      identity: IDENTITY,
      role: 'run',
      maxMemoryMb: 64,
      readRss: () => 10 * MIB,
    });
    try {
      const huge = batch('lake', 'shop.huge_lists', [
        'CREATE TABLE written (id INTEGER)',
        'INSERT INTO written VALUES (1)',
        'CREATE TABLE huge AS SELECT range % 10 AS k, list(range) AS l FROM range(30000000) GROUP BY k',
      ]);
      const failure = await memoryFailure(runOne(activities, huge));
      expect(failure.message).toMatch(
        /^memory limit: executor run@memory-host:99 reached DuckDB's memory_limit \(SLUICE_MAX_MEMORY_MB=64\) on gateway "lake" while running shop\.huge_lists; the batch was stopped and rolled back \(Out of Memory Error: failed to allocate [^\n]*\)$/,
      );
      // nothing of the batch stayed
      expect(await pool.get('lake').tableExists('main', 'written')).toBe(false);
      expect(await pool.get('lake').tableExists('main', 'huge')).toBe(false);

      const normal = batch('lake', 'shop.small', [
        'CREATE TABLE written (id INTEGER)',
        'INSERT INTO written SELECT range FROM range(1000)',
      ]);
      const report = succeeded(await runOne(activities, normal));
      expect(report.executor).toBe(IDENTITY);
      expect(await pool.get('lake').queryScalar('SELECT count(*) FROM written')).toBe(1000);
    } finally {
      await pool.closeAll();
    }
  });
});

describe('the RSS watch', () => {
  /** A batch that writes a row, then runs a statement that takes far longer than the test waits. */
  function slowBatch(type: keyof typeof GATEWAY_OF, id: number): PreparedBatch {
    const slow =
      type === 'postgres'
        ? 'SELECT pg_sleep(60)'
        : 'SELECT count(*) FROM range(100000000000) a, range(1000) b WHERE a.range + b.range = 7';
    return batch(GATEWAY_OF[type], 'shop.big', [`INSERT INTO written VALUES (${id})`, slow]);
  }

  async function running(type: keyof typeof GATEWAY_OF): Promise<boolean> {
    if (type === 'duckdb') return true;
    const count = await gateways.pool
      .get('warehouse')
      .queryScalar(
        `SELECT count(*) FROM pg_stat_activity WHERE datname = '${gateways.database}' AND state = 'active' AND query = 'SELECT pg_sleep(60)'`,
      );
    return Number(count) === 1;
  }

  it.each(['postgres', 'duckdb'] as const)(
    'stops a %s batch once the process passes the limit, rolls it back and serves the next batch',
    async (type) => {
      let rss = 300 * MIB;
      let reads = 0;
      const activities = createExecutorActivities({
        pool: gateways.pool,
        identity: IDENTITY,
        role: 'run',
        maxMemoryMb: 512,
        readRss: () => {
          reads++;
          return rss;
        },
      });
      const id = type === 'postgres' ? 11 : 12;
      const work = runOne(activities, slowBatch(type, id));
      await waitUntil(async () => reads >= 2 && (await running(type)));
      rss = 600 * MIB;
      const failure = await memoryFailure(work);
      expect(failure.message).toBe(
        'memory limit: executor run@memory-host:99 passed SLUICE_MAX_MEMORY_MB=512 (rss 600 MB) while running shop.big; the batch was stopped and rolled back',
      );
      expect(failure.message).not.toContain(SECRET);
      // the statement was stopped on the warehouse, not left to run
      if (type === 'postgres') await waitUntil(async () => !(await running(type)));
      const engine = gateways.pool.get(GATEWAY_OF[type]);
      expect(await engine.queryScalar(`SELECT count(*) FROM written WHERE id = ${id}`)).toBe(0);

      rss = 300 * MIB;
      const next = batch(GATEWAY_OF[type], 'shop.next', [`INSERT INTO written VALUES (${id + 100})`]);
      const report = succeeded(await runOne(activities, next));
      expect(report.rowsAffected).toBe(1);
      expect(await engine.queryScalar(`SELECT count(*) FROM written WHERE id = ${id + 100}`)).toBe(1);
    },
  );
});

describe('MemoryGuard', () => {
  it('samples only while work runs and aborts all of it when the limit is passed', async () => {
    let rss = 100 * MIB;
    let reads = 0;
    const guard = new MemoryGuard({
      identity: 'apply@guard',
      maxMemoryMb: 200,
      intervalMs: 10,
      readRss: () => {
        reads++;
        return rss;
      },
    });
    const never = new AbortController().signal;
    const untilAborted = (signal: AbortSignal) =>
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
    const first = guard.run('shop.a', never, untilAborted);
    const second = guard.run('create tables on gateway lake', never, untilAborted);
    expect(guard.watching).toBe(2);
    await waitUntil(async () => reads >= 3);
    rss = 250.4 * MIB;
    const [a, b] = await Promise.all([rejection(first), rejection(second)]);
    expect(a).toBeInstanceOf(MemoryLimitError);
    expect(a.message).toBe(
      'memory limit: executor apply@guard passed SLUICE_MAX_MEMORY_MB=200 (rss 250 MB) while running shop.a; the batch was stopped and rolled back',
    );
    expect(b.message).toContain('while running create tables on gateway lake;');
    expect(guard.watching).toBe(0);
    // with no work running, nothing is sampled
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(reads).toBe(after);
    expect(await guard.run('shop.b', never, async () => 'done')).toBe('done');
  });

  it("passes Temporal's cancellation through, and runs without sampling when there is no limit", async () => {
    const guard = new MemoryGuard({ identity: 'run@guard', maxMemoryMb: 100, readRss: () => 0 });
    const controller = new AbortController();
    const cancelled = new CancelledFailure('cancelled by the workflow');
    const work = guard.run(
      'shop.c',
      controller.signal,
      (signal) =>
        new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    controller.abort(cancelled);
    expect(await rejection(work)).toBe(cancelled);

    let reads = 0;
    const unlimited = new MemoryGuard({ identity: 'run@guard', intervalMs: 5, readRss: () => ++reads });
    const result = await unlimited.run('shop.d', new AbortController().signal, async () => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      return 7;
    });
    expect(result).toBe(7);
    expect(reads).toBe(0);
    expect(unlimited.watching).toBe(0);
  });
});
