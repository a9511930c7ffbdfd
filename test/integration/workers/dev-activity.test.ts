/**
 * The watch behind `sluice dev`'s lines, on a real state database (PostgreSQL and PGlite): each plan
 * step, run start and end, backfill progress and finished execution becomes one event, once; a run
 * first read after it ended (it started and ended between two polls) still gets both; a state
 * database that cannot be read is told once.
 */
import { describe, expect, it } from 'vitest';
import { createStateDb } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import {
  recordExecutionFinished,
  recordExecutionStarted,
  recordExecutionsQueued,
} from '../../../state/executions.ts';
import { createPlan, updatePlan } from '../../../state/plans.ts';
import { createRun, updateRunStatus } from '../../../state/runs.ts';
import { type DevEvent, watchDevActivity } from '../../../workers/dev-activity.ts';
import { waitFor } from '../../support/waiting.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';

function collector() {
  const events: DevEvent[] = [];
  const find = (what: string, match: (event: DevEvent) => boolean) =>
    waitFor(what, async () => events.find(match), 20_000);
  return { events, emit: (event: DevEvent) => events.push(event), find };
}

describe.each(DRIVERS)('the sluice dev activity watch on %s', (driver) => {
  const state = useStateDb(driver, 'dev_activity');

  it('turns a plan, its backfill run and a scheduled run into one event per step', async () => {
    const db = state.db;
    const { events, emit, find } = collector();
    const watch = watchDevActivity({ db, emit, pollMs: 20, progressEveryMs: 0, executions: true });
    try {
      const plan = await createPlan(db, {
        environment: 'prod',
        diff: {},
        submittedBy: 'test',
        status: 'queued',
      });
      await find('plan queued', (e) => e.kind === 'plan-step' && e.plan.step === 'queued');
      await updatePlan(db, plan.id, { status: 'applying' });
      await find('plan applying', (e) => e.kind === 'plan-step' && e.plan.step === 'applying');

      const runId = `sluice-plan-${plan.id}`;
      await createRun(db, {
        id: runId,
        environment: 'prod',
        trigger: 'plan',
        scheduledAt: Date.now(),
        models: ['demo.a', 'demo.b'],
        planId: plan.id,
        status: 'running',
      });
      // queued together, as a run's segment queues its batches
      await recordExecutionsQueued(
        db,
        ['demo.a', 'demo.b'].map((model) => ({
          id: `${runId}/${model}`,
          runId,
          model,
          snapshotId: `${model}@1`,
          queuedAt: Date.now(),
        })),
      );
      for (const model of ['demo.a', 'demo.b']) {
        await recordExecutionStarted(db, `${runId}/${model}`, { attempt: 1, executor: 'run@test' });
      }
      const started = await find('backfill run started', (e) => e.kind === 'run-started');
      expect(started).toMatchObject({ run: { id: runId, trigger: 'plan', models: ['demo.a', 'demo.b'] } });
      await find('backfill 0/2', (e) => e.kind === 'plan-step' && e.plan.progress?.done === 0);

      await recordExecutionFinished(db, `${runId}/demo.a`, { status: 'succeeded', rowsAffected: 5 });
      await find('backfill 1/2', (e) => e.kind === 'plan-step' && e.plan.progress?.done === 1);
      await recordExecutionFinished(db, `${runId}/demo.b`, {
        status: 'failed',
        error: 'Binder Error: no column x',
      });
      await updateRunStatus(db, runId, 'failed', { error: '1 model failed' });
      await updatePlan(db, plan.id, { status: 'failed', error: 'backfill failed: demo.b' });

      const failedRun = await find('backfill run failed', (e) => e.kind === 'run-finished');
      expect(failedRun).toMatchObject({
        run: { status: 'failed', rows: 5, failure: { model: 'demo.b', error: 'Binder Error: no column x' } },
      });
      const failedPlan = await find('plan failed', (e) => e.kind === 'plan-step' && e.plan.step === 'failed');
      expect(failedPlan).toMatchObject({ plan: { error: 'backfill failed: demo.b', failedRun: runId } });
      expect(
        events
          .filter((e) => e.kind === 'execution-finished')
          .map((e) => e.kind === 'execution-finished' && e.execution.model),
      ).toEqual(['demo.a', 'demo.b']);

      // a run that starts and ends at once, most often between two polls: both lines, in order
      const quick = 'sluice-run-prod-quick';
      await createRun(db, {
        id: quick,
        environment: 'prod',
        trigger: 'schedule',
        scheduledAt: Date.now(),
        models: ['demo.a'],
      });
      await updateRunStatus(db, quick, 'running');
      await updateRunStatus(db, quick, 'succeeded');
      await find('quick run finished', (e) => e.kind === 'run-finished' && e.run.id === quick);
      // a watch that first reads the run once it has ended (as a poll after it would) still tells both
      const late = collector();
      const lateWatch = watchDevActivity({ db, emit: late.emit, pollMs: 20 });
      try {
        await late.find('quick run, seen ended', (e) => e.kind === 'run-finished' && e.run.id === quick);
        const ofQuick = late.events.filter(
          (e) => (e.kind === 'run-started' || e.kind === 'run-finished') && e.run.id === quick,
        );
        expect(ofQuick.map((e) => e.kind)).toEqual(['run-started', 'run-finished']);
      } finally {
        await lateWatch.stop();
      }

      // a later run proves more polls happened: nothing above was told twice
      const later = 'sluice-run-prod-later';
      await createRun(db, {
        id: later,
        environment: 'prod',
        trigger: 'manual',
        scheduledAt: Date.now(),
        status: 'running',
      });
      await find('later run started', (e) => e.kind === 'run-started' && e.run.id === later);
      const told = events.flatMap((e) =>
        e.kind === 'plan-step'
          ? [
              `plan ${e.plan.step}${e.plan.progress === null ? '' : ` ${e.plan.progress.done}/${e.plan.progress.total}`}`,
            ]
          : e.kind === 'run-started' || e.kind === 'run-finished'
            ? [`${e.kind} ${e.run.id}`]
            : [],
      );
      // 2/2 shows only when a poll falls between the last batch and the plan's end
      expect(told.filter((line) => line !== 'plan backfill 2/2')).toEqual([
        'plan queued',
        'plan applying',
        `run-started ${runId}`,
        'plan backfill 0/2',
        'plan backfill 1/2',
        `run-finished ${runId}`,
        'plan failed',
        `run-started ${quick}`,
        `run-finished ${quick}`,
        `run-started ${later}`,
      ]);
    } finally {
      await watch.stop();
    }
  });
});

describe('the sluice dev activity watch on a database it cannot read', () => {
  it('tells the failure once, however many polls fail', async () => {
    const connection = createStateDb({ url: 'memory://' });
    await migrate(connection.db);
    await connection.close();
    const { events, emit } = collector();
    let polls = 0;
    const watch = watchDevActivity({ db: connection.db, emit, pollMs: 10, onPoll: () => polls++ });
    try {
      await waitFor('five failed polls', async () => (polls >= 5 ? true : undefined), 10_000);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ kind: 'watch-failed', error: expect.any(String) });
    } finally {
      await watch.stop();
    }
  });
});
