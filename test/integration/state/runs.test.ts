import { describe, expect, it } from 'vitest';
import type { StateDb } from '../../../db/client.ts';
import { createRun, getRun, listRuns, type RunRecord, updateRunStatus } from '../../../state/runs.ts';
import { DRIVERS, useStateDb } from './harness.ts';

const TICK = '2024-03-01T10:00:00.000Z';

async function collectAll(db: StateDb, filter: Parameters<typeof listRuns>[1]): Promise<RunRecord[]> {
  const seen: RunRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await listRuns(db, { ...filter, ...(cursor ? { cursor } : {}) });
    seen.push(...result.items);
    if (!result.nextCursor) return seen;
    cursor = result.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe.each(DRIVERS)('runs on %s', (driver) => {
  const state = useStateDb(driver, 'runs');

  it('records why a run waits and its wait, prep and run time, each moment kept once set', async () => {
    const at = (seconds: number) => new Date(Date.parse(TICK) + seconds * 1000);
    const id = 'prod/timeline';
    await createRun(state.db, { id, environment: 'prod', trigger: 'manual', scheduledAt: TICK });
    const waiting = await updateRunStatus(state.db, id, 'queued', {
      queuedReason: 'waiting for a run slot: 1 of 1 in use by prod/other',
    });
    expect(waiting).toMatchObject({
      status: 'queued',
      queuedReason: 'waiting for a run slot: 1 of 1 in use by prod/other',
      waitMs: null,
    });
    const running = await updateRunStatus(state.db, id, 'running', { at: at(4), readyAt: at(4) });
    expect(running).toMatchObject({
      status: 'running',
      readyAt: at(4).toISOString(),
      waitMs: 4000,
      prepMs: null,
    });
    // A reason arriving once it runs, or a second ready time, changes nothing.
    await updateRunStatus(state.db, id, 'running', { queuedReason: 'late', readyAt: at(9) });
    const done = await updateRunStatus(state.db, id, 'succeeded', { at: at(10), firstStatementAt: at(5) });
    expect(done).toMatchObject({
      queuedReason: 'waiting for a run slot: 1 of 1 in use by prod/other',
      readyAt: at(4).toISOString(),
      firstStatementAt: at(5).toISOString(),
      waitMs: 4000,
      prepMs: 1000,
      runMs: 5000,
    });
    await expect(updateRunStatus(state.db, id, 'succeeded', { readyAt: 'never' })).rejects.toThrow('readyAt');
  });

  it('creates a queued run with its reason in one write, and a running one without', async () => {
    const reason = 'waiting for run prod/first of the same models';
    const queued = await createRun(state.db, {
      id: 'prod/queued',
      environment: 'prod',
      trigger: 'manual',
      scheduledAt: TICK,
      queuedReason: reason,
    });
    expect(queued).toMatchObject({ status: 'queued', queuedReason: reason });
    expect(await getRun(state.db, 'prod/queued')).toMatchObject({ queuedReason: reason });
    const running = await createRun(state.db, {
      id: 'prod/running',
      environment: 'prod',
      trigger: 'manual',
      scheduledAt: TICK,
      status: 'running',
      queuedReason: reason,
    });
    expect(running.queuedReason).toBeNull();
  });

  it('creates a run once, whatever the number of calls', async () => {
    const input = {
      id: 'prod/2024-03-01T10:00',
      environment: 'prod',
      trigger: 'schedule' as const,
      scheduledAt: TICK,
    };
    const created = await createRun(state.db, { ...input, models: ['db.a', 'db.b'] });
    expect(created).toMatchObject({
      id: 'prod/2024-03-01T10:00',
      environment: 'prod',
      trigger: 'schedule',
      status: 'queued',
      scheduledAt: TICK,
      startedAt: null,
      finishedAt: null,
      models: ['db.a', 'db.b'],
      planId: null,
      error: null,
    });
    expect(await createRun(state.db, { ...input, scheduledAt: new Date(TICK) })).toEqual(created);
    await expect(createRun(state.db, { ...input, environment: 'dev', trigger: 'manual' })).rejects.toThrow(
      'run "prod/2024-03-01T10:00" already exists with environment prod, trigger schedule',
    );
    expect(await getRun(state.db, 'prod/2024-03-01T10:00')).toEqual(created);
    expect(await getRun(state.db, 'nope')).toBeNull();
  });

  it('stamps the start and the finish and refuses to leave a final status', async () => {
    await createRun(state.db, {
      id: 'r1',
      environment: 'prod',
      trigger: 'manual',
      scheduledAt: TICK,
      triggeredBy: 'ana',
    });
    const running = await updateRunStatus(state.db, 'r1', 'running', { at: '2024-03-01T10:00:05Z' });
    expect(running).toMatchObject({
      status: 'running',
      startedAt: '2024-03-01T10:00:05.000Z',
      finishedAt: null,
    });
    expect(await updateRunStatus(state.db, 'r1', 'running', { at: '2024-03-01T10:09:00Z' })).toEqual(running);

    const failed = await updateRunStatus(state.db, 'r1', 'failed', {
      at: Date.parse('2024-03-01T10:01:00Z'),
      error: 'db.b failed: relation "src.b" does not exist\n',
    });
    expect(failed).toMatchObject({
      status: 'failed',
      startedAt: '2024-03-01T10:00:05.000Z',
      finishedAt: '2024-03-01T10:01:00.000Z',
      error: 'db.b failed: relation "src.b" does not exist\n',
      triggeredBy: 'ana',
    });
    expect(await updateRunStatus(state.db, 'r1', 'failed', { error: 'again' })).toEqual(failed);
    await expect(updateRunStatus(state.db, 'r1', 'running')).rejects.toThrow(
      'run "r1" cannot go from failed to running (failed is final)',
    );
    await expect(updateRunStatus(state.db, 'r1', 'exploded' as never)).rejects.toThrow(
      'status must be one of queued, running, succeeded, failed, cancelled, skipped, terminated (got "exploded")',
    );
    await expect(updateRunStatus(state.db, 'r404', 'running')).rejects.toThrow('unknown run "r404"');
  });

  it('records a skipped run with its reason and a run that never started', async () => {
    await createRun(state.db, { id: 'r2', environment: 'prod', trigger: 'schedule', scheduledAt: TICK });
    const skipped = await updateRunStatus(state.db, 'r2', 'skipped', { skipReason: 'environment paused' });
    expect(skipped).toMatchObject({ status: 'skipped', startedAt: null, skipReason: 'environment paused' });
    expect(skipped.finishedAt).not.toBeNull();
    await createRun(state.db, { id: 'r3', environment: 'prod', trigger: 'schedule', scheduledAt: TICK });
    await updateRunStatus(state.db, 'r3', 'running');
    await expect(updateRunStatus(state.db, 'r3', 'skipped')).rejects.toThrow(
      'run "r3" cannot go from running to skipped (from running it may go to succeeded, failed, cancelled, terminated)',
    );
  });

  it('validates new runs field by field', async () => {
    const base = { id: 'r', environment: 'prod', trigger: 'schedule' as const, scheduledAt: TICK };
    await expect(createRun(state.db, { ...base, trigger: 'cron' as never })).rejects.toThrow(
      'trigger must be one of schedule, manual, restatement, plan (got "cron")',
    );
    await expect(createRun(state.db, { ...base, scheduledAt: 'yesterday' })).rejects.toThrow(
      'scheduledAt must be a Date, an ISO-8601 timestamp or epoch milliseconds (got "yesterday")',
    );
    await expect(createRun(state.db, { ...base, models: ['db.a', ''] })).rejects.toThrow(
      'models[1] must be a non-empty string (got "")',
    );
    await expect(createRun(state.db, { ...base, id: '' })).rejects.toThrow(
      'run id must be a non-empty string',
    );
    expect((await listRuns(state.db)).items).toEqual([]);
  });

  it('filters by environment, status, trigger and time', async () => {
    const hour = 3_600_000;
    const start = Date.parse(TICK);
    const specs = [
      ['p1', 'prod', 'schedule', 0, 'succeeded'],
      ['p2', 'prod', 'manual', 1, 'failed'],
      ['p3', 'prod', 'restatement', 2, 'running'],
      ['d1', 'dev', 'schedule', 1, 'succeeded'],
      ['d2', 'dev', 'plan', 3, 'queued'],
    ] as const;
    for (const [id, environment, trigger, offset, status] of specs) {
      await createRun(state.db, { id, environment, trigger, scheduledAt: start + offset * hour });
      if (status === 'succeeded' || status === 'failed') await updateRunStatus(state.db, id, 'running');
      if (status !== 'queued') await updateRunStatus(state.db, id, status);
    }
    const ids = async (filter: Parameters<typeof listRuns>[1]) =>
      (await listRuns(state.db, filter)).items.map((run) => run.id);
    expect(await ids({})).toEqual(['d2', 'p3', 'p2', 'd1', 'p1']);
    expect(await ids({ environment: 'prod' })).toEqual(['p3', 'p2', 'p1']);
    expect(await ids({ status: 'succeeded' })).toEqual(['d1', 'p1']);
    expect(await ids({ status: ['failed', 'queued'] })).toEqual(['d2', 'p2']);
    expect(await ids({ trigger: ['schedule'] })).toEqual(['d1', 'p1']);
    expect(await ids({ since: start + hour, until: start + 3 * hour })).toEqual(['p3', 'p2', 'd1']);
    expect(await ids({ environment: 'dev', status: 'running' })).toEqual([]);
    await expect(listRuns(state.db, { status: [] })).rejects.toThrow('status must name at least one of');
    await expect(listRuns(state.db, { trigger: ['schedule', 'nightly' as never] })).rejects.toThrow(
      'trigger[1] must be one of schedule, manual, restatement, plan (got "nightly")',
    );
    await expect(listRuns(state.db, { limit: 0 })).rejects.toThrow('limit must be at least 1 (got 0)');
    await expect(listRuns(state.db, { limit: 501 })).rejects.toThrow('limit must be at most 500 (got 501)');
    await expect(listRuns(state.db, { cursor: 'bogus!' })).rejects.toThrow(
      'cursor is not one this list returned (got "bogus!")',
    );
  });

  it('pages through every run exactly once, ties on the scheduled time included', async () => {
    const start = Date.parse(TICK);
    const created: string[] = [];
    for (let index = 0; index < 23; index++) {
      const id = `run-${String((index * 7) % 23).padStart(2, '0')}`;
      await createRun(state.db, {
        id,
        environment: index % 2 ? 'prod' : 'dev',
        trigger: 'schedule',
        scheduledAt: start + Math.floor(index / 5) * 60_000,
      });
      created.push(id);
    }
    for (const limit of [1, 4, 5, 22, 23, 50]) {
      const all = await collectAll(state.db, { limit });
      expect(all.map((run) => run.id).sort()).toEqual([...created].sort());
      const order = all.map((run) => [Date.parse(run.scheduledAt), run.id] as const);
      const sorted = [...order].sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0));
      expect(order).toEqual(sorted);
    }
    const prod = await collectAll(state.db, { environment: 'prod', limit: 3 });
    expect(prod).toHaveLength(11);
    expect(new Set(prod.map((run) => run.id)).size).toBe(11);
    const first = await listRuns(state.db, { limit: 23 });
    expect(first.nextCursor).toBeNull();
  });
});
