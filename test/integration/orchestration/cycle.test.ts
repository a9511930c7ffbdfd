/**
 * The whole loop on real parts: a Temporal dev server, the scheduler worker with a PostgreSQL state
 * database, an apply executor in this process, and run executors as separate `sluice worker --role run`
 * processes, against a real PostgreSQL warehouse. A plan is applied to prod, then scheduled runs fire on
 * the model's minute cron; then a run executor is killed with SIGKILL in the middle of a statement and
 * another one finishes the batch, with no interval lost and none applied twice; and one killed in the
 * middle of a segment (a chain of three models run by one executor activity) leaves the models it
 * finished alone: the next executor resumes at the model it was running.
 */
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { environmentState, restate } from '../../../api/environment-commands.ts';
import { queryRows } from '../../../db/query-rows.ts';
import { getPlan } from '../../../state/plans.ts';
import { waitFor } from '../../support/waiting.ts';
import { applyPlan, floorMinute, MINUTE, modelFile, useOrchestrationStack } from './stack.ts';

describe('plan, scheduled runs and a killed executor on the real stack', () => {
  const hourStart = new Date(
    Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE - 120 * MINUTE,
  ).toISOString();
  const stack = useOrchestrationStack(() => ({
    tag: 'cycle',
    start: floorMinute(Date.now()) - 5 * MINUTE,
    models: {
      'ticks.sql': modelFile(
        [
          'name cycle.ticks',
          'kind INCREMENTAL_BY_TIME_RANGE (time_column minute, batch_size 1)',
          "cron '* * * * *'",
        ],
        'SELECT CAST(@start_ts AS TIMESTAMP) AS minute, 1 AS n',
      ),
      'tick_count.sql': modelFile(
        ['name cycle.tick_count', 'kind FULL', "cron '* * * * *'"],
        'SELECT COUNT(*) AS minutes FROM cycle.ticks',
      ),
      'slow.sql': modelFile(
        [
          'name cycle.slow',
          'kind INCREMENTAL_BY_TIME_RANGE (time_column hour, batch_size 1)',
          "cron '@hourly'",
          `start '${hourStart}'`,
        ],
        'SELECT CAST(@start_ts AS TIMESTAMP) AS hour, (SELECT 1 FROM pg_sleep(6)) AS slept',
      ),
      'seg_a.sql': modelFile(
        [
          'name cycle.seg_a',
          'kind INCREMENTAL_BY_TIME_RANGE (time_column hour)',
          "cron '@hourly'",
          `start '${hourStart}'`,
        ],
        'SELECT CAST(@start_ts AS TIMESTAMP) AS hour, 1 AS n',
      ),
      'seg_slow.sql': modelFile(
        [
          'name cycle.seg_slow',
          'kind INCREMENTAL_BY_TIME_RANGE (time_column hour)',
          "cron '@hourly'",
          `start '${hourStart}'`,
        ],
        'SELECT hour, n, (SELECT 1 FROM pg_sleep(6)) AS slept FROM cycle.seg_a WHERE hour BETWEEN @start_ts AND @end_ts',
      ),
      'seg_c.sql': modelFile(
        [
          'name cycle.seg_c',
          'kind INCREMENTAL_BY_TIME_RANGE (time_column hour)',
          "cron '@hourly'",
          `start '${hourStart}'`,
        ],
        'SELECT hour, n FROM cycle.seg_slow WHERE hour BETWEEN @start_ts AND @end_ts',
      ),
    },
    runExecutor: 'run-1@test',
  }));

  it('applies a plan to prod, then runs each model on its minute cron', async () => {
    const { db, client, wh } = stack();
    const submitted = await applyPlan(stack());
    expect(submitted.position).toBe(1);
    expect(submitted.diff.added.sort()).toEqual([
      'cycle.seg_a',
      'cycle.seg_c',
      'cycle.seg_slow',
      'cycle.slow',
      'cycle.tick_count',
      'cycle.ticks',
    ]);
    expect((await getPlan(db, submitted.planId))?.finishedAt).not.toBeNull();
    // Views exist in the prod schema and read the backfilled physical tables.
    const [afterPlan] = await wh`select count(*)::int as n from cycle.ticks`;
    expect(afterPlan!.n).toBeGreaterThanOrEqual(5);
    const [slowRows] = await wh`select count(*)::int as n from cycle.slow`;
    expect(slowRows!.n).toBeGreaterThanOrEqual(2);

    // The environment workflow has taken the new schedule from the apply child.
    const state1 = await environmentState(client, 'prod');
    expect(state1.models.map((m) => m.name).sort()).toEqual([
      'cycle.seg_a',
      'cycle.seg_c',
      'cycle.seg_slow',
      'cycle.slow',
      'cycle.tick_count',
      'cycle.ticks',
    ]);
    // The next tick is a minute's; at the top of the hour the hourly models are due on it too.
    const nextTick = /sleeping until (?:\d{4}-\d\d-\d\d )?\d\d:(\d\d) UTC for ([^;]*)/.exec(
      state1.details ?? '',
    );
    expect(nextTick, state1.details ?? '').not.toBeNull();
    expect(nextTick![2]).toBe(
      nextTick![1] === '00'
        ? 'cycle.seg_a, cycle.seg_c, cycle.seg_slow, cycle.slow, cycle.tick_count, +1 more'
        : 'cycle.tick_count, cycle.ticks',
    );

    // The next minute tick runs both minute models: one more minute, and the count rebuilt.
    const before = afterPlan!.n as number;
    const tick = await waitFor(
      'a scheduled run',
      async () => {
        const rows = await wh`select count(*)::int as n from cycle.ticks`;
        const [counted] = await wh`select minutes::int as m from cycle.tick_count`;
        return rows[0]!.n > before && counted?.m === rows[0]!.n ? rows[0]!.n : undefined;
      },
      150_000,
    );
    expect(tick).toBeGreaterThan(before);
    const [dupes] =
      await wh`select count(*)::int as n from (select minute from cycle.ticks group by minute having count(*) > 1) d`;
    expect(dupes!.n).toBe(0);
    // The warehouse commits before the segment's outcome is recorded (and a later tick may already
    // be queued): wait for the first scheduled execution's record.
    const recorded = await waitFor(
      'the scheduled execution recorded',
      async () => {
        const [first] = await queryRows<{ status: string; wait_ms: number; executor: string }>(
          db,
          sql`select status, wait_ms, executor from sluice.model_executions
              where run_id like 'sluice-run-prod-2%' and model = 'cycle.ticks'
              order by queued_at limit 1`,
        );
        return first && first.status !== 'queued' && first.status !== 'running' ? first : undefined;
      },
      30_000,
    );
    expect(recorded).toMatchObject({ status: 'succeeded', executor: 'run-1@test' });
    expect(Number(recorded.wait_ms)).toBeLessThan(10_000);
  }, 300_000);

  it('finishes a batch on another executor after one is killed mid-statement, with no interval lost or doubled', async () => {
    const { db, client, wh } = stack();
    const now = Date.now();
    const lastHour = Math.floor(now / (60 * MINUTE)) * 60 * MINUTE;
    const [before] = await wh`select count(*)::int as n from cycle.slow`;
    const runId = await restate(client, 'prod', {
      models: ['cycle.slow'],
      start: lastHour - 60 * MINUTE,
      end: lastHour,
      requestedBy: 'ci',
    });
    // Wait until the statement is running on the warehouse, then kill its executor outright.
    await waitFor(
      'the slow statement to run',
      async () => {
        const [r] =
          await wh`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(6)%' and state = 'active' and pid <> pg_backend_pid()`;
        return r!.n > 0 ? true : undefined;
      },
      60_000,
    );
    await stack().runExecutors[0]!.stop('SIGKILL');
    await stack().startRunExecutor('run-2@test');
    const finished = await waitFor(
      'the restatement to finish',
      async () => {
        const list = await queryRows<{ status: string; attempt: number; executor: string }>(
          db,
          sql`select status, attempt, executor from sluice.model_executions where run_id = ${runId} and model = 'cycle.slow'`,
        );
        return list.find((e) => e.status === 'succeeded');
      },
      120_000,
    );
    expect(finished.executor).toBe('run-2@test');
    expect(Number(finished.attempt)).toBeGreaterThanOrEqual(2);
    const [after] = await wh`select count(*)::int as n from cycle.slow`;
    expect(after!.n).toBe(before!.n);
    const [dupes] =
      await wh`select count(*)::int as n from (select hour from cycle.slow group by hour having count(*) > 1) d`;
    expect(dupes!.n).toBe(0);
  }, 300_000);

  it('resumes a segment after its executor is killed, without running again the models it finished', async () => {
    const { db, client, wh } = stack();
    const lastHour = Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE;
    const runId = await restate(client, 'prod', {
      models: ['cycle.seg_a'],
      start: lastHour - 60 * MINUTE,
      end: lastHour,
      requestedBy: 'ci',
    });
    // The segment runs seg_a, then seg_slow; once the server has heard (by heartbeat) that seg_a
    // committed and seg_slow's statement is running, its executor is killed outright.
    await waitFor(
      "seg_slow's statement to run",
      async () => {
        const [r] =
          await wh`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(6)%' and query like '%seg_a%' and state = 'active' and pid <> pg_backend_pid()`;
        return r!.n > 0 ? true : undefined;
      },
      60_000,
    );
    await waitFor(
      'the heartbeat naming seg_a as finished',
      async () => {
        const described = await client.workflow.getHandle(runId).describe();
        const payloads = (described.raw.pendingActivities ?? [])
          .filter((a) => a.activityType?.name === 'executeSegment')
          .flatMap((a) => a.heartbeatDetails?.payloads?.slice(0, 1) ?? []);
        const beats = payloads.map((p) =>
          client.options.loadedDataConverter.payloadConverter.fromPayload<{
            results?: Array<{ model: string }>;
            running?: string[];
          }>(p),
        );
        // seg_a reported committed, and the next batch (seg_slow) running
        return beats.some(
          (beat) => beat?.results?.some((r) => r.model === 'cycle.seg_a') && (beat.running?.length ?? 0) > 0,
        )
          ? true
          : undefined;
      },
      30_000,
    );
    await stack().runExecutors.at(-1)!.stop('SIGKILL');
    await stack().startRunExecutor('run-4@test');
    const rows = await waitFor(
      'the restatement to finish',
      async () => {
        const list = await queryRows<{ model: string; status: string; attempt: number; executor: string }>(
          db,
          sql`select model, status, attempt, executor from sluice.model_executions where run_id = ${runId} order by model`,
        );
        return list.length === 3 && list.every((e) => e.status === 'succeeded') ? list : undefined;
      },
      120_000,
    );
    const byModel = Object.fromEntries(rows.map((r) => [r.model, r]));
    // seg_a committed before the kill: its execution is the first attempt's, on the killed executor
    expect(byModel['cycle.seg_a']).toMatchObject({ attempt: 1 });
    expect(byModel['cycle.seg_a']!.executor).not.toBe('run-4@test');
    // seg_slow was running: the retry on the new executor ran it, and seg_c after it
    expect(byModel['cycle.seg_slow']).toMatchObject({ executor: 'run-4@test' });
    expect(Number(byModel['cycle.seg_slow']!.attempt)).toBeGreaterThanOrEqual(2);
    expect(byModel['cycle.seg_c']).toMatchObject({ executor: 'run-4@test' });
    for (const table of ['seg_a', 'seg_slow', 'seg_c']) {
      const [dupes] =
        await wh`select count(*)::int as n from (select hour from ${wh(`cycle.${table}`)} group by hour having count(*) > 1) d`;
      expect(dupes!.n).toBe(0);
    }
  }, 300_000);
});
