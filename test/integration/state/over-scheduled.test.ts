/**
 * How long each model's recent executions took, read from the state database in one query, and which
 * models that makes over-scheduled: a model's execution in a run spans its batches, plan backfills and
 * restatements do not count, failures do not count, and each environment keeps its own history.
 */
import { describe, expect, it } from 'vitest';
import type { RunTrigger } from '../../../core/environment/run-report.ts';
import type { StateDb } from '../../../db/client.ts';
import {
  recordExecutionFinished,
  recordExecutionQueued,
  recordExecutionStarted,
} from '../../../state/executions.ts';
import { overScheduledModels, recentExecutionDurations } from '../../../state/over-scheduled.ts';
import { createRun } from '../../../state/runs.ts';
import { DRIVERS, useStateDb } from './harness.ts';

const AT = Date.parse('2026-03-01T10:00:00Z');

/** A run `i` of `model` in two batches spanning `ms` together. */
async function execution(
  db: StateDb,
  run: { i: number; model: string; ms: number; environment?: string; trigger?: RunTrigger; failed?: boolean },
) {
  const environment = run.environment ?? 'prod';
  const runId = `${environment}-${run.model}-${run.i}`;
  const at = AT + run.i * 600_000;
  await createRun(db, {
    id: runId,
    environment,
    trigger: run.trigger ?? 'schedule',
    scheduledAt: at,
    models: [run.model],
  });
  for (const b of [0, 1]) {
    const id = `${runId}-${b}`;
    await recordExecutionQueued(db, {
      id,
      runId,
      model: run.model,
      snapshotId: 's',
      interval: [b, b + 1],
      queuedAt: at,
    });
    await recordExecutionStarted(db, id, { attempt: 1, executor: 'e', at: at + b * (run.ms / 2) });
    await recordExecutionFinished(db, id, {
      status: run.failed && b === 1 ? 'failed' : 'succeeded',
      at: at + (b + 1) * (run.ms / 2),
      ...(run.failed && b === 1 ? { error: 'boom' } : {}),
    });
  }
}

describe.each(DRIVERS)('over-scheduled models on %s', (driver) => {
  const state = useStateDb(driver, 'over_scheduled');

  it("measures each model's recent executions from its first batch's start to its last batch's finish", async () => {
    for (const [i, ms] of [
      [0, 30_000],
      [1, 90_000],
      [2, 45_000],
    ] as const) {
      await execution(state.db, { i, model: 'a.b', ms });
    }
    await execution(state.db, { i: 3, model: 'a.b', ms: 500_000, trigger: 'plan' });
    await execution(state.db, { i: 4, model: 'a.b', ms: 500_000, trigger: 'restatement' });
    await execution(state.db, { i: 5, model: 'a.b', ms: 8_000, failed: true });
    await execution(state.db, { i: 0, model: 'c.d', ms: 10_000, trigger: 'manual' });
    await execution(state.db, { i: 0, model: 'a.b', ms: 70_000, environment: 'dev' });
    const durations = await recentExecutionDurations(state.db, 'prod');
    expect(Object.fromEntries(durations)).toEqual({ 'a.b': [45_000, 90_000, 30_000], 'c.d': [10_000] });
    expect(Object.fromEntries(await recentExecutionDurations(state.db, 'prod', 2, ['a.b']))).toEqual({
      'a.b': [45_000, 90_000],
    });
    expect((await recentExecutionDurations(state.db, 'prod', 5, [])).size).toBe(0);
    expect((await recentExecutionDurations(state.db, 'nowhere')).size).toBe(0);
  });

  it('names the models whose recent executions average over their cron period', async () => {
    for (const i of [0, 1, 2, 3, 4, 5]) {
      await execution(state.db, { i, model: 'slow.minute', ms: i === 0 ? 1_000 : 92_000 });
      await execution(state.db, { i, model: 'slow.hourly', ms: 92_000 });
    }
    for (const i of [0, 1]) await execution(state.db, { i, model: 'new.minute', ms: 300_000 });
    const models = [
      { name: 'slow.minute', cron: '* * * * *', cronTz: 'UTC' },
      { name: 'slow.hourly', cron: '@hourly', cronTz: 'UTC' },
      { name: 'new.minute', cron: '* * * * *', cronTz: 'UTC' },
      { name: 'never.ran', cron: '* * * * *', cronTz: 'UTC' },
    ];
    const found = await overScheduledModels(state.db, 'prod', models, AT);
    expect([...found.keys()]).toEqual(['slow.minute']);
    expect(found.get('slow.minute')).toMatchObject({ executions: 5, averageMs: 92_000, periodMs: 60_000 });
    expect(found.get('slow.minute')?.message).toMatch(/^over-scheduled: its last 5 executions took 92 s/);
  });
});
