import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SchedulerActivities } from '../../../activities/contracts.ts';
import { createSchedulerActivities, FAILURE_TYPES } from '../../../activities/scheduler/index.ts';
import { planChangesSomething } from '../../../api/environment-commands.ts';
import type { ExecutionRequest } from '../../../core/execution/request.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { environmentSnapshotMap, getEnvironment } from '../../../state/environments.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { getPlan } from '../../../state/plans.ts';
import { getRun } from '../../../state/runs.ts';
import { enginesFor } from '../plan/support.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';
import { createSchedulerProject, day, EVENTS, NOW, type SchedulerProject } from './project.ts';
import {
  applyPlanWork,
  execute,
  failureOf,
  MAX_SEGMENT_BYTES,
  overTheWire,
  rows,
  runWork,
} from './support.ts';

describe.each(DRIVERS)('plans through the scheduler activities (state on %s)', (driver) => {
  const state = useStateDb(driver, 'scheduler_plans');
  let project: SchedulerProject;
  let engines: EnginePool;
  let activities: SchedulerActivities;

  beforeEach(() => {
    project = createSchedulerProject();
    engines = enginesFor(project.load());
    activities = createSchedulerActivities({ db: state.db });
  });

  afterEach(async () => {
    await engines.closeAll();
    project.dispose();
  });

  const plan = (environment = 'prod') =>
    createPlanRecord({ db: state.db, project: project.load(), environment, submittedBy: 'ana', now: NOW });

  async function apply(environment = 'prod') {
    const created = await plan(environment);
    await applyPlanWork(
      activities,
      engines,
      await activities.beginPlan({ planId: created.planId, environment }),
    );
    const schedule = await activities.finishPlan({ planId: created.planId, environment, status: 'applied' });
    return { ...created, schedule };
  }

  it('leaves the environment as it was when an application fails, and says why', async () => {
    const first = await apply();
    project.write('models/events.sql', EVENTS.replace("strftime(d, '%d')", "strftime(d, '%d') || 'x'"));
    const second = await plan();
    expect(second.diff.directlyModified).toEqual(['src.events']);
    const work = overTheWire(await activities.beginPlan({ planId: second.planId, environment: 'prod' }));
    expect(await activities.beginPlan({ planId: second.planId, environment: 'prod' })).toEqual(work);
    const backfillRun = `sluice-plan-${second.planId}`;
    const events = work.backfill.find((w) => w.model === 'src.events')!;
    await runWork({
      activities,
      engines,
      runId: backfillRun,
      environment: 'prod',
      scheduledAt: NOW,
      work: [{ ...events, batches: events.batches.slice(0, 1) }],
      planId: second.planId,
    }).then(
      () => expect.unreachable('the changed query cannot run'),
      (error: Error) => expect(error.message).toContain('Could not convert string'),
    );

    const error = 'backfill failed; src.events: SQL_ERROR: Conversion Error';
    const schedule = await activities.finishPlan({
      planId: second.planId,
      environment: 'prod',
      status: 'failed',
      error,
    });
    expect(
      await activities.finishPlan({ planId: second.planId, environment: 'prod', status: 'failed', error }),
    ).toEqual(schedule);
    expect(schedule).toEqual(first.schedule);
    expect(await getPlan(state.db, second.planId)).toMatchObject({ status: 'failed', error });
    expect(await getRun(state.db, backfillRun)).toMatchObject({
      status: 'failed',
      error,
      planId: second.planId,
    });
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(first.diff.snapshotMap);
    expect(await rows(engines, 'mart', 'totals')).toEqual([['5', '150']]);

    const late = await failureOf(
      activities.finishPlan({ planId: second.planId, environment: 'prod', status: 'applied' }),
    );
    expect([late.type, late.nonRetryable]).toEqual([FAILURE_TYPES.planNotApplicable, true]);
    expect(late.message).toBe(
      `finishPlan: plan "${second.planId}" is failed; only a plan being applied can be finished as applied`,
    );
  });

  it('marks a plan failed when the environment changed since it was computed', async () => {
    const stale = await plan();
    await apply();
    const failure = await failureOf(activities.beginPlan({ planId: stale.planId, environment: 'prod' }));
    expect([failure.type, failure.nonRetryable]).toEqual([FAILURE_TYPES.planNotApplicable, true]);
    expect(failure.message).toBe(
      `beginPlan: plan "${stale.planId}" creates environment "prod", which exists now: compute the plan again`,
    );
    expect(await getPlan(state.db, stale.planId)).toMatchObject({
      status: 'failed',
      error: `plan "${stale.planId}" creates environment "prod", which exists now: compute the plan again`,
    });
  });

  it('rejects unknown plans and plans named for another environment', async () => {
    const created = await plan();
    const unknown = await failureOf(activities.beginPlan({ planId: 'no-such-plan', environment: 'prod' }));
    expect([unknown.type, unknown.nonRetryable, unknown.message]).toEqual([
      FAILURE_TYPES.unknownPlan,
      true,
      'beginPlan: unknown plan "no-such-plan"',
    ]);
    const elsewhere = await failureOf(
      activities.finishPlan({ planId: created.planId, environment: 'dev', status: 'applied' }),
    );
    expect([elsewhere.type, elsewhere.message]).toEqual([
      FAILURE_TYPES.invalidInput,
      `finishPlan: plan "${created.planId}" is for environment "prod", not "dev"`,
    ]);
    const badName = await failureOf(activities.beginPlan({ planId: created.planId, environment: 'Prod!' }));
    expect(badName.type).toBe(FAILURE_TYPES.invalidInput);
    expect((await getPlan(state.db, created.planId))?.status).toBe('pending');
  });

  it('computes an auto-applied plan again when its turn comes and applies the new diff', async () => {
    const onTurn = createSchedulerActivities({ db: state.db, now: () => NOW });
    const first = await apply();
    const shifted = (by: number) => EVENTS.replace('AS INTEGER) AS v', `AS INTEGER) + ${by} AS v`);
    project.write('models/events.sql', shifted(100));
    const queued = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'prod',
      submittedBy: 'ana',
      now: NOW,
      recomputeOnTurn: true,
    });
    expect(queued.diff.previousSnapshotMap).toEqual(first.diff.snapshotMap);
    // another plan changes prod before the queued one's turn
    project.write('models/events.sql', shifted(200));
    const between = await apply();

    const work = await onTurn.beginPlan({ planId: queued.planId, environment: 'prod' });
    const stored = await getPlan(state.db, queued.planId);
    const diff = stored!.diff as typeof queued.diff;
    expect(stored).toMatchObject({ status: 'applying', recomputeOnTurn: true });
    expect(diff.previousSnapshotMap).toEqual(between.diff.snapshotMap);
    expect(diff.snapshotMap['src.events']).toBe(queued.diff.snapshotMap['src.events']);
    expect(diff.directlyModified).toEqual(['src.events']);
    // a retried beginPlan applies the diff already stored
    expect(await onTurn.beginPlan({ planId: queued.planId, environment: 'prod' })).toEqual(work);
    await applyPlanWork(onTurn, engines, work);
    await onTurn.finishPlan({ planId: queued.planId, environment: 'prod', status: 'applied' });
    expect(await environmentSnapshotMap(state.db, 'prod')).toEqual(diff.snapshotMap);
    expect(await rows(engines, 'mart', 'totals')).toEqual([['5', '5150']]);
  });

  it('finishes an auto-applied plan that changes nothing by its turn as applied, without work', async () => {
    const onTurn = createSchedulerActivities({ db: state.db, now: () => NOW });
    const first = await apply();
    project.write('models/events.sql', EVENTS.replace('AS INTEGER) AS v', 'AS INTEGER) + 1 AS v'));
    const late = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'prod',
      submittedBy: 'ana',
      now: NOW,
      recomputeOnTurn: true,
    });
    expect(late.diff.directlyModified).toEqual(['src.events']);
    const same = await apply();
    const empty = {
      planId: late.planId,
      environment: 'prod',
      tables: [],
      backfill: [],
      views: [],
      removed: [],
    };
    expect(await onTurn.beginPlan({ planId: late.planId, environment: 'prod' })).toEqual(empty);
    expect(await getPlan(state.db, late.planId)).toMatchObject({
      status: 'applied',
      progress: { step: 'unchanged' },
      error: null,
    });
    expect(await onTurn.beginPlan({ planId: late.planId, environment: 'prod' })).toEqual(empty);
    const schedule = await onTurn.finishPlan({ planId: late.planId, environment: 'prod', status: 'applied' });
    expect(schedule).toEqual(same.schedule);
    expect((await getEnvironment(state.db, 'prod'))?.planId).toBe(same.planId);
    expect(first.planId).not.toBe(same.planId);
  });

  it('schedules with the cron of the latest plan when only metadata changed', async () => {
    const first = await apply();
    project.write(
      'models/events.sql',
      EVENTS.replace('    batch_size 2\n  )', "    batch_size 2\n  ),\n  cron '0 6 * * *'"),
    );
    const second = await plan();
    expect(second.diff.metadataOnly).toEqual(['src.events']);
    const work = await activities.beginPlan({ planId: second.planId, environment: 'prod' });
    expect(work.backfill).toEqual([]);
    await applyPlanWork(activities, engines, work);
    const schedule = await activities.finishPlan({
      planId: second.planId,
      environment: 'prod',
      status: 'applied',
    });
    const events = schedule.find((m) => m.name === 'src.events')!;
    expect(events).toMatchObject({ cron: '0 6 * * *', snapshotId: first.diff.snapshotMap['src.events'] });
    const again = await plan();
    expect(again.diff.metadataOnly).toEqual([]);
    expect(planChangesSomething(again.diff)).toBe(false);
    const at = (iso: string) =>
      activities.findDueWork({ environment: 'prod', models: ['src.events'], now: Date.parse(iso) });
    expect((await at('2024-01-09T05:59:00Z'))[0]?.batches).toEqual([[day(6), day(8)]]);
    expect((await at('2024-01-09T06:00:00Z'))[0]?.batches).toEqual([
      [day(6), day(8)],
      [day(8), day(9)],
    ]);
  });

  it('runs the edited audit after a plan that only changed an audit', async () => {
    const first = await apply();
    project.write(
      'audits/positive_values.sql',
      `AUDIT (
  name positive_values
);

-- at least 70 from now on
SELECT * FROM @this_model WHERE v10 < 70
`,
    );
    const second = await plan();
    expect(second.diff.metadataOnly).toEqual(['mart.daily']);
    expect([...second.diff.directlyModified, ...second.diff.indirectlyModified]).toEqual([]);
    expect(second.diff.snapshotMap).toEqual(first.diff.snapshotMap);
    expect(planChangesSomething(second.diff)).toBe(true);
    const work = await activities.beginPlan({ planId: second.planId, environment: 'prod' });
    expect(work.backfill).toEqual([]);
    await applyPlanWork(activities, engines, work);
    await activities.finishPlan({ planId: second.planId, environment: 'prod', status: 'applied' });

    const again = await plan();
    expect(again.diff.metadataOnly).toEqual([]);
    expect(planChangesSomething(again.diff)).toBe(false);

    // The 6th to the 8th are due on the 9th: v10 is 60, 70 and 80, so the edited audit finds one row.
    const later = Date.parse('2024-01-09T00:30:00Z');
    const due = await activities.findDueWork({
      environment: 'prod',
      models: ['src.events', 'mart.daily'],
      now: later,
    });
    expect(due.map((w) => w.model)).toEqual(['src.events', 'mart.daily']);
    const runId = 'sluice-run-prod-20240109T0000Z';
    await activities.recordRunStarted({
      runId,
      environment: 'prod',
      trigger: 'schedule',
      scheduledAt: day(9),
      models: due.map((w) => w.model),
    });
    await runWork({
      activities,
      engines,
      runId,
      environment: 'prod',
      scheduledAt: day(9),
      work: due.slice(0, 1),
    });
    const daily = due[1]!;
    const segment = overTheWire(
      await activities.prepareSegment({
        runId,
        environment: 'prod',
        scheduledAt: day(9),
        gateway: daily.gateway,
        items: [{ model: daily.model, snapshotId: daily.snapshotId, interval: daily.batches[0]! }],
        maxBytes: MAX_SEGMENT_BYTES,
      }),
    );
    const prepared = segment.batches[0]!;
    const { audits } = prepared.request as ExecutionRequest;
    expect(audits.map((a) => [a.name, a.blocking])).toEqual([['positive_values', true]]);
    expect(audits[0]!.sql).toContain('v10 < 70');
    expect(audits[0]!.sql).not.toContain('v10 <= 0');
    await execute(engines, prepared).then(
      () => expect.unreachable('the edited audit finds a row'),
      (error: Error) =>
        expect(error.message).toBe('audit "positive_values" failed for model "mart.daily": 1 offending row'),
    );
  });
});
