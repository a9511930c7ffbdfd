/**
 * Restatement through the scheduler activities, the way the environment workflow drives it:
 * `clearIntervals` for the selected models and their downstream, then `findDueWork` restricted to
 * the requested range, then the batches executed on DuckDB. Runs exactly what SQLMesh would: the
 * requested intervals (no lookback, batch_size chunks inside), the hours and the month they cover
 * downstream, and, from prod, the other environments' versions of the restated models.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelWork, SchedulerActivities } from '../../../activities/contracts.ts';
import { createSchedulerActivities, FAILURE_TYPES } from '../../../activities/scheduler/index.ts';
import type { PlanDiff } from '../../../core/plan/types.ts';
import { loadProject } from '../../../core/project/load.ts';
import { runsOnSchedule, withDownstream } from '../../../core/schedule.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { completedIntervals } from '../../../state/intervals.ts';
import { duckdbConfig } from '../../support/project-config.ts';
import { enginesFor } from '../plan/support.ts';
import { DRIVERS, useStateDb } from '../state/harness.ts';
import { applyPlan, failureOf, rows, runWork } from './support.ts';

/** Plans and runs happen at this time: January is over, the 3rd of February has begun. */
const NOW = Date.parse('2024-02-03T12:00:00Z');
const HOUR = 3_600_000;
const day = (month: number, n: number) => Date.UTC(2024, month - 1, n);
const jan = (n: number) => day(1, n);

const CONFIG = duckdbConfig();

/** Daily, re-running the day before every missing day (lookback 1). `version` tells definitions apart. */
const days = (version: number) => `MODEL (
  name src.days,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds,
    lookback 1
  )
);

SELECT CAST(d AS DATE) AS ds, CAST(strftime(d, '%d') AS INTEGER) AS v, ${version} AS version
FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-03-31', INTERVAL 1 DAY) AS days(d)
WHERE CAST(d AS DATE) BETWEEN @start_ds AND @end_ds
`;

const CHUNKED = `MODEL (
  name src.chunked,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds,
    batch_size 2
  )
);

SELECT CAST(d AS DATE) AS ds, 1 AS one
FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-03-31', INTERVAL 1 DAY) AS days(d)
WHERE CAST(d AS DATE) BETWEEN @start_ds AND @end_ds
`;

/** Hourly, downstream of the daily model: one row per hour with that day's value. */
const HOURLY = `MODEL (
  name mart.hourly,
  cron '@hourly',
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column hr
  )
);

SELECT h AS hr, e.v, e.version
FROM generate_series(CAST(@start_ts AS TIMESTAMP), CAST(@end_ts AS TIMESTAMP), INTERVAL 1 HOUR) AS hours(h)
JOIN src.days AS e ON e.ds = CAST(h AS DATE)
`;

/** Monthly, downstream of the daily model: a coarser unit. */
const MONTHLY = `MODEL (
  name mart.monthly,
  cron '@monthly',
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column month
  )
);

SELECT CAST(@start_ds AS DATE) AS month, count(*) AS days, sum(v) AS total
FROM src.days
WHERE ds BETWEEN @start_ds AND @end_ds
`;

/** Only in development environments, downstream of the daily model. */
const DEV_ONLY = `MODEL (
  name mart.dev_only,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds
  )
);

SELECT ds, v * 2 AS v2 FROM src.days WHERE ds BETWEEN @start_ds AND @end_ds
`;

describe.each(DRIVERS)('restatement (state on %s)', (driver) => {
  const state = useStateDb(driver, 'scheduler_restate');
  let dir: string;
  let engines: EnginePool;
  let activities: SchedulerActivities;

  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  const load = () => loadProject(dir, { now: NOW });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-restate-'));
    mkdirSync(join(dir, 'models'));
    write('config.yaml', CONFIG);
    write('models/days.sql', days(1));
    write('models/chunked.sql', CHUNKED);
    write('models/hourly.sql', HOURLY);
    write('models/monthly.sql', MONTHLY);
    engines = enginesFor(load());
    activities = createSchedulerActivities({ db: state.db, now: () => NOW });
  });

  afterEach(async () => {
    await engines.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });

  async function apply(environment: string): Promise<PlanDiff> {
    return (await applyPlan(state.db, activities, engines, load(), environment, NOW)).diff;
  }

  /** What the environment workflow does for a restatement trigger, up to the run's work. */
  async function restate(
    environment: string,
    selected: string[],
    range: { start: number; end: number },
  ): Promise<ModelWork[]> {
    const schedule = await activities.loadSchedule(environment);
    const wanted = [...withDownstream(schedule, selected)].sort();
    await activities.clearIntervals({ environment, models: wanted, ...range });
    const runnable = schedule.filter((m) => wanted.includes(m.name) && runsOnSchedule(m)).map((m) => m.name);
    return activities.findDueWork({ environment, models: runnable, now: NOW, restrict: range });
  }

  const batchesOf = (work: ModelWork[]) => Object.fromEntries(work.map((w) => [w.model, w.batches]));
  const hoursOf = (start: number, end: number) => (end - start) / HOUR;

  it('runs exactly the requested day of a lookback model, and the hours and the month it covers downstream', async () => {
    const diff = await apply('prod');
    const at = (name: string) => diff.snapshotMap[name]!;
    const before = await rows(engines, 'mart', 'hourly');

    const work = await restate('prod', ['src.days'], { start: jan(10), end: jan(11) });
    expect(batchesOf(work)).toEqual({
      'src.days': [[jan(10), jan(11)]],
      'mart.hourly': [[jan(10), jan(11)]],
      'mart.monthly': [[jan(1), day(2, 1)]],
    });
    expect(work.find((w) => w.model === 'mart.hourly')!.dependsOn).toEqual(['src.days']);
    expect(
      await completedIntervals(state.db, [at('src.days'), at('mart.hourly'), at('mart.monthly')]),
    ).toEqual({
      [at('src.days')]: [
        [jan(1), jan(10)],
        [jan(11), day(2, 3)],
      ],
      [at('mart.hourly')]: [
        [jan(1), jan(10)],
        [jan(11), day(2, 3) + 12 * HOUR],
      ],
      [at('mart.monthly')]: [],
    });
    // a scheduled run would also redo the day before (lookback) and the last day: a restatement does not
    const scheduled = await activities.findDueWork({ environment: 'prod', models: ['src.days'], now: NOW });
    expect(batchesOf(scheduled)['src.days']).toEqual([
      [jan(9), jan(11)],
      [day(2, 2), day(2, 3)],
    ]);

    const runId = 'sluice-run-prod-restatement-20240203T1200Z-1a2b3c4d';
    await activities.recordRunStarted({
      runId,
      environment: 'prod',
      trigger: 'restatement',
      scheduledAt: NOW,
      models: work.map((w) => w.model),
    });
    const ran = await runWork({
      activities,
      engines,
      runId,
      environment: 'prod',
      scheduledAt: NOW,
      work,
    });
    expect(ran.executed).toEqual([
      ['src.days', [jan(10), jan(11)]],
      ['mart.hourly', [jan(10), jan(11)]],
      ['mart.monthly', [jan(1), day(2, 1)]],
    ]);
    expect(hoursOf(...(ran.executed.find(([m]) => m === 'mart.hourly')![1] as [number, number]))).toBe(24);
    expect(await rows(engines, 'mart', 'hourly')).toEqual(before);
    expect(await rows(engines, 'mart', 'monthly')).toEqual([['2024-01-01', '31', '496']]);
    expect(
      await activities.findDueWork({ environment: 'prod', models: ['src.days', 'mart.hourly'], now: NOW }),
    ).toEqual([]);
  });

  it('restates the unit intervals a range touches, and keeps batch_size chunks inside the range', async () => {
    await apply('prod');
    const hour = await restate('prod', ['mart.hourly'], {
      start: jan(10) + 6 * HOUR,
      end: jan(10) + 7 * HOUR,
    });
    expect(batchesOf(hour)).toEqual({ 'mart.hourly': [[jan(10) + 6 * HOUR, jan(10) + 7 * HOUR]] });

    // an hour of the daily model restates its day, and so the 24 hours of that day downstream
    const day10 = await restate('prod', ['src.days'], { start: jan(10) + 6 * HOUR, end: jan(10) + 7 * HOUR });
    expect(batchesOf(day10)).toEqual({
      'src.days': [[jan(10), jan(11)]],
      'mart.hourly': [[jan(10), jan(11)]],
      'mart.monthly': [[jan(1), day(2, 1)]],
    });

    const chunked = await restate('prod', ['src.chunked'], { start: jan(10), end: jan(15) });
    expect(batchesOf(chunked)).toEqual({
      'src.chunked': [
        [jan(10), jan(12)],
        [jan(12), jan(14)],
        [jan(14), jan(15)],
      ],
    });
    // a range off the unit restates the days it touches
    const touched = await restate('prod', ['src.chunked'], {
      start: jan(20) + 6 * HOUR,
      end: jan(22) + HOUR,
    });
    expect(batchesOf(touched)).toEqual({
      'src.chunked': [
        [jan(20), jan(22)],
        [jan(22), jan(23)],
      ],
    });
  });

  it('clears a prod restatement from every other version of the models, which refill on their next run', async () => {
    const prod = await apply('prod');
    write('models/days.sql', days(2));
    write('models/dev_only.sql', DEV_ONLY);
    const first = await apply('dev');
    write('models/days.sql', days(3));
    const dev = await apply('dev');
    const ids = (diff: PlanDiff, names: string[]) => names.map((name) => diff.snapshotMap[name]!);
    const restated = ['src.days', 'mart.hourly', 'mart.monthly'];
    // dev's versions differ from prod's; the first dev plan's are no longer mapped by any environment
    for (const id of [...ids(dev, restated), ...ids(first, restated)])
      expect(ids(prod, restated)).not.toContain(id);
    expect(ids(first, restated)).not.toEqual(ids(dev, restated));
    expect(dev.snapshotMap['src.chunked']).toBe(prod.snapshotMap['src.chunked']);
    const untouched = await completedIntervals(state.db, [prod.snapshotMap['src.chunked']!]);

    await restate('prod', ['src.days'], { start: jan(10), end: jan(11) });
    const everyVersion = [
      ...ids(prod, restated),
      ...ids(dev, [...restated, 'mart.dev_only']),
      ...ids(first, [...restated, 'mart.dev_only']),
    ];
    const completed = await completedIntervals(state.db, everyVersion);
    for (const id of everyVersion) {
      // January is gone from every monthly version (February is not over yet), the 10th from the rest
      const end = id.startsWith('mart.hourly@') ? day(2, 3) + 12 * HOUR : day(2, 3);
      const expected = id.startsWith('mart.monthly@')
        ? []
        : [
            [jan(1), jan(10)],
            [jan(11), end],
          ];
      expect(completed[id], id).toEqual(expected);
    }
    expect(await completedIntervals(state.db, [prod.snapshotMap['src.chunked']!])).toEqual(untouched);

    // dev's next scheduled run refills the day (with its lookback, as any scheduled run)
    const schedule = await activities.loadSchedule('dev');
    const refill = await activities.findDueWork({
      environment: 'dev',
      models: schedule.filter(runsOnSchedule).map((m) => m.name),
      now: NOW,
    });
    expect(batchesOf(refill)).toEqual({
      'src.days': [
        [jan(9), jan(11)],
        [day(2, 2), day(2, 3)],
      ],
      'mart.hourly': [[jan(10), jan(11)]],
      'mart.dev_only': [[jan(10), jan(11)]],
      'mart.monthly': [[jan(1), day(2, 1)]],
    });
  });

  it("restates only dev's snapshots from dev, and the ones dev shares with prod", async () => {
    const prod = await apply('prod');
    write('models/days.sql', days(2));
    const dev = await apply('dev');
    const range = { start: jan(10), end: jan(11) };
    const prodIds = [prod.snapshotMap['src.days']!, prod.snapshotMap['mart.hourly']!];
    const prodBefore = await completedIntervals(state.db, prodIds);

    const work = await restate('dev', ['src.days'], range);
    expect(batchesOf(work)).toEqual({
      'src.days': [[jan(10), jan(11)]],
      'mart.hourly': [[jan(10), jan(11)]],
      'mart.monthly': [[jan(1), day(2, 1)]],
    });
    expect(work.map((w) => w.snapshotId)).toEqual(
      ['src.days', 'mart.hourly', 'mart.monthly'].map((name) => dev.snapshotMap[name]),
    );
    expect(await completedIntervals(state.db, prodIds)).toEqual(prodBefore);

    // src.chunked is the same snapshot in both: the same data, restated for both
    expect(dev.snapshotMap['src.chunked']).toBe(prod.snapshotMap['src.chunked']);
    await restate('dev', ['src.chunked'], range);
    expect(await completedIntervals(state.db, [prod.snapshotMap['src.chunked']!])).toEqual({
      [prod.snapshotMap['src.chunked']!]: [
        [jan(1), jan(10)],
        [jan(11), day(2, 3)],
      ],
    });
  });

  it('rejects a range that ends before it starts, and restates nothing outside the models start and now', async () => {
    const diff = await apply('prod');
    const ids = [diff.snapshotMap['src.days']!, diff.snapshotMap['mart.hourly']!];
    const before = await completedIntervals(state.db, ids);
    const backwards = await failureOf(
      activities.clearIntervals({ environment: 'prod', models: ['src.days'], start: jan(11), end: jan(10) }),
    );
    expect([backwards.type, backwards.nonRetryable]).toEqual([FAILURE_TYPES.invalidInput, true]);
    expect(backwards.message).toContain('clearIntervals: input.end must have its end after its start');
    const restrict = await failureOf(
      activities.findDueWork({
        environment: 'prod',
        models: ['src.days'],
        now: NOW,
        restrict: { start: jan(11), end: jan(11) },
      }),
    );
    expect(restrict.type).toBe(FAILURE_TYPES.invalidInput);
    expect(restrict.message).toContain('findDueWork: input.restrict.end must be after restrict.start');

    // before the models' start, and after now: nothing to clear, nothing to run
    expect(await restate('prod', ['src.days'], { start: Date.UTC(2023, 0, 1), end: jan(1) })).toEqual([]);
    expect(await restate('prod', ['src.days'], { start: day(2, 4), end: day(2, 10) })).toEqual([]);
    expect(await completedIntervals(state.db, ids)).toEqual(before);
  });
});
