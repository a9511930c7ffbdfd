import { describe, expect, it } from 'vitest';
import type { StateDb } from '../../../db/client.ts';
import {
  type ExecutionRecord,
  getExecution,
  listExecutions,
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../../../state/executions.ts';
import { createRun } from '../../../state/runs.ts';
import { DRIVERS, useStateDb } from './harness.ts';

const T0 = Date.parse('2024-03-01T10:00:00.000Z');
const DAY = 86_400_000;

async function seedRuns(db: StateDb): Promise<void> {
  await createRun(db, { id: 'run-prod', environment: 'prod', trigger: 'schedule', scheduledAt: T0 });
  await createRun(db, { id: 'run-dev', environment: 'dev', trigger: 'manual', scheduledAt: T0 });
}

describe.each(DRIVERS)('model executions on %s', (driver) => {
  const state = useStateDb(driver, 'executions');

  it('follows an execution from queued to finished with its wait and duration', async () => {
    await seedRuns(state.db);
    const queued = await recordExecutionQueued(state.db, {
      id: 'run-prod/db.orders/0',
      runId: 'run-prod',
      model: 'db.orders',
      snapshotId: 'db.orders@1',
      interval: [T0 - DAY, T0],
      queuedAt: T0 + 1_000,
    });
    expect(queued).toMatchObject({
      environment: 'prod',
      status: 'queued',
      attempt: 0,
      interval: [T0 - DAY, T0],
      queuedAt: new Date(T0 + 1_000).toISOString(),
      waitMs: null,
      durationMs: null,
    });

    const started = await recordExecutionStarted(state.db, queued.id, {
      attempt: 1,
      executor: 'run-executor@warehouse-1',
      at: new Date(T0 + 3_500),
    });
    expect(started).toMatchObject({
      status: 'running',
      attempt: 1,
      executor: 'run-executor@warehouse-1',
      waitMs: 2_500,
    });
    expect(
      await recordExecutionStarted(state.db, queued.id, { attempt: 1, executor: 'other', at: T0 + 9_000 }),
    ).toEqual(started);

    const log = {
      renderedSql: 'INSERT INTO t SELECT 1',
      statements: [{ sql: 'INSERT INTO t SELECT 1', durationMs: 12, rowsAffected: 42 }],
      notices: ['NOTICE: table created'],
    };
    const finished = await recordExecutionFinished(state.db, queued.id, {
      status: 'succeeded',
      at: new Date(T0 + 10_750).toISOString(),
      rowsAffected: 42,
      log,
    });
    expect(finished).toMatchObject({
      status: 'succeeded',
      waitMs: 2_500,
      durationMs: 7_250,
      rowsAffected: 42,
      finishedAt: new Date(T0 + 10_750).toISOString(),
      log,
      error: null,
    });
    expect(
      await recordExecutionFinished(state.db, queued.id, { status: 'succeeded', rowsAffected: 1 }),
    ).toEqual(finished);
    await expect(recordExecutionFinished(state.db, queued.id, { status: 'failed' })).rejects.toThrow(
      'execution "run-prod/db.orders/0" cannot go from succeeded to failed (succeeded is final)',
    );
    await expect(recordExecutionStarted(state.db, queued.id, { attempt: 2, executor: 'x' })).rejects.toThrow(
      'cannot go from succeeded to running',
    );
    expect(await getExecution(state.db, queued.id)).toEqual(finished);
  });

  it('keeps the first wait across retries and times the latest attempt', async () => {
    await seedRuns(state.db);
    const { id } = await recordExecutionQueued(state.db, {
      runId: 'run-prod',
      model: 'db.orders',
      snapshotId: 'db.orders@1',
      queuedAt: T0,
    });
    await recordExecutionStarted(state.db, id, { attempt: 1, executor: 'e1', at: T0 + 1_000 });
    const failed = await recordExecutionFinished(state.db, id, {
      status: 'failed',
      at: T0 + 2_000,
      error: 'connection reset',
    });
    expect(failed).toMatchObject({
      status: 'failed',
      durationMs: 1_000,
      error: 'connection reset',
      interval: null,
    });

    const retried = await recordExecutionStarted(state.db, id, {
      attempt: 2,
      executor: 'e2',
      at: T0 + 5_000,
    });
    expect(retried).toMatchObject({
      status: 'running',
      attempt: 2,
      executor: 'e2',
      waitMs: 1_000,
      startedAt: new Date(T0 + 5_000).toISOString(),
      finishedAt: null,
      durationMs: null,
      error: null,
    });
    await expect(recordExecutionStarted(state.db, id, { attempt: 1, executor: 'e1' })).rejects.toThrow(
      `execution "${id}" attempt 1 is older than its recorded attempt 2`,
    );
    const third = await recordExecutionStarted(state.db, id, { attempt: 3, executor: 'e3', at: T0 + 8_000 });
    expect(third).toMatchObject({ attempt: 3, waitMs: 1_000 });
    const done = await recordExecutionFinished(state.db, id, { status: 'succeeded', at: T0 + 8_400 });
    expect(done).toMatchObject({ durationMs: 400, waitMs: 1_000 });
  });

  it('records skipped and cancelled executions that never started, and clamps clock skew', async () => {
    await seedRuns(state.db);
    const skipped = await recordExecutionQueued(state.db, {
      runId: 'run-dev',
      model: 'db.b',
      snapshotId: 'db.b@1',
      queuedAt: T0,
    });
    const result = await recordExecutionFinished(state.db, skipped.id, {
      status: 'skipped',
      skipReason: 'upstream db.a failed',
    });
    expect(result).toMatchObject({ status: 'skipped', startedAt: null, durationMs: null, waitMs: null });
    expect(result.skipReason).toBe('upstream db.a failed');

    const skewed = await recordExecutionQueued(state.db, {
      runId: 'run-dev',
      model: 'db.c',
      snapshotId: 'db.c@1',
      queuedAt: T0 + 5_000,
    });
    const started = await recordExecutionStarted(state.db, skewed.id, {
      attempt: 1,
      executor: 'e',
      at: T0 + 4_000,
    });
    expect(started.waitMs).toBe(0);
    const finished = await recordExecutionFinished(state.db, skewed.id, {
      status: 'cancelled',
      at: T0 + 3_000,
    });
    expect(finished.durationMs).toBe(0);
  });

  it('treats a queued execution reported twice as one and refuses a conflicting one', async () => {
    await seedRuns(state.db);
    const input = {
      id: 'exec-1',
      runId: 'run-prod',
      model: 'db.a',
      snapshotId: 'db.a@1',
      interval: [0, 10] as [number, number],
    };
    const first = await recordExecutionQueued(state.db, input);
    expect(await recordExecutionQueued(state.db, input)).toEqual(first);
    await expect(recordExecutionQueued(state.db, { ...input, interval: [0, 20] })).rejects.toThrow(
      'execution "exec-1" already exists with interval [0, 10)',
    );
    await expect(recordExecutionQueued(state.db, { ...input, runId: 'run-dev' })).rejects.toThrow(
      'execution "exec-1" already exists with run run-prod',
    );
  });

  it('names the bad field of bad input', async () => {
    await seedRuns(state.db);
    await expect(
      recordExecutionQueued(state.db, { id: 'x', runId: 'run-404', model: 'db.a', snapshotId: 'db.a@1' }),
    ).rejects.toThrow('execution "x" names unknown run "run-404"');
    await expect(
      recordExecutionQueued(state.db, {
        runId: 'run-prod',
        model: 'db.a',
        snapshotId: 'db.a@1',
        interval: [10, 0],
      }),
    ).rejects.toThrow('interval end (0) must be greater than its start (10)');
    const { id } = await recordExecutionQueued(state.db, {
      runId: 'run-prod',
      model: 'db.a',
      snapshotId: 'db.a@1',
    });
    await expect(recordExecutionStarted(state.db, id, { attempt: 0, executor: 'e' })).rejects.toThrow(
      'attempt must be at least 1 (got 0)',
    );
    await expect(recordExecutionStarted(state.db, id, { attempt: 1, executor: '' })).rejects.toThrow(
      'executor must be a non-empty string (got "")',
    );
    await expect(recordExecutionFinished(state.db, id, { status: 'running' as never })).rejects.toThrow(
      'status must be one of succeeded, failed, skipped, cancelled (got "running")',
    );
    await expect(
      recordExecutionFinished(state.db, id, { status: 'succeeded', rowsAffected: -1 }),
    ).rejects.toThrow('rowsAffected must be at least 0 (got -1)');
    await expect(
      recordExecutionFinished(state.db, id, { status: 'succeeded', log: [] as never }),
    ).rejects.toThrow('log must be an object with renderedSql, statements and notices (got [])');
    await expect(recordExecutionFinished(state.db, 'nope', { status: 'succeeded' })).rejects.toThrow(
      'unknown execution "nope"',
    );
    expect((await getExecution(state.db, id))?.status).toBe('queued');
  });

  it('filters and pages through every execution exactly once', async () => {
    await seedRuns(state.db);
    const ids: string[] = [];
    for (let index = 0; index < 17; index++) {
      const runId = index % 3 === 0 ? 'run-dev' : 'run-prod';
      const record = await recordExecutionQueued(state.db, {
        id: `e-${String(index).padStart(2, '0')}`,
        runId,
        model: index % 2 ? 'db.a' : 'db.b',
        snapshotId: index % 2 ? 'db.a@1' : 'db.b@1',
        queuedAt: T0 + Math.floor(index / 4) * 1_000,
      });
      if (index % 4 === 0) await recordExecutionStarted(state.db, record.id, { attempt: 1, executor: 'e' });
      ids.push(record.id);
    }
    const collect = async (filter: Parameters<typeof listExecutions>[1]) => {
      const seen: ExecutionRecord[] = [];
      let cursor: string | null = null;
      do {
        const page = await listExecutions(state.db, { ...filter, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return seen;
    };
    for (const limit of [1, 3, 16, 17]) {
      const all = await collect({ limit });
      expect(all.map((execution) => execution.id)).toEqual([...ids].reverse());
    }
    expect((await collect({ environment: 'dev', limit: 2 })).map((execution) => execution.id)).toEqual([
      'e-15',
      'e-12',
      'e-09',
      'e-06',
      'e-03',
      'e-00',
    ]);
    expect((await collect({ status: 'running' })).map((execution) => execution.id)).toEqual([
      'e-16',
      'e-12',
      'e-08',
      'e-04',
      'e-00',
    ]);
    expect((await collect({ model: 'db.a', runId: 'run-prod', until: T0 + 2_000 })).map((e) => e.id)).toEqual(
      ['e-07', 'e-05', 'e-01'],
    );
    expect((await collect({ snapshotId: 'db.b@1', since: T0 + 4_000 })).map((e) => e.id)).toEqual(['e-16']);
  });
});
