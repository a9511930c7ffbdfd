/**
 * A model that fails on every tick, on the real stack (dev server, scheduler worker, a run executor
 * process, a PostgreSQL warehouse). `e2e.staged` reads an external table, `raw.src`; `e2e.totals`
 * reads `e2e.staged`; `e2e.beat` reads nothing of theirs. All three run on a minute cron, one batch
 * a minute. Once the plan is applied the source table is dropped: each run that reaches
 * `e2e.staged` ends within its minute as `failed`, with the failed execution's error and attempts
 * and its downstream skipped with the reason, while `e2e.beat` runs once a tick, and a plan
 * submitted meanwhile is applied. When the table is back, the next tick fills every minute the two
 * models missed, with no gap and none twice, in the warehouse and in the state database.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentState } from '../../../api/environment-commands.ts';
import { compactInstant } from '../../../core/workflow-ids.ts';
import { queryRows } from '../../../db/query-rows.ts';
import { waitFor } from '../../support/waiting.ts';
import { applyPlan, floorMinute, MINUTE, minuteModel, modelFile, useOrchestrationStack } from './stack.ts';

type RunRow = {
  id: string;
  status: string;
  error: string | null;
  scheduled_ms: number;
  finished_ms: number | null;
};

type ExecutionRow = {
  run_id: string;
  model: string;
  status: string;
  attempt: number;
  error: string | null;
  skip_reason: string | null;
  start_ms: number | null;
};

describe('a model that fails on its minute cron, on the real stack', () => {
  const start = floorMinute(Date.now()) - 3 * MINUTE;
  const stack = useOrchestrationStack(() => ({
    tag: 'failing',
    start,
    models: {
      'staged.sql': minuteModel(
        'e2e.staged',
        'SELECT CAST(@start_ts AS TIMESTAMP) AS minute, (SELECT COUNT(*) FROM raw.src)::int AS src_rows',
      ),
      'totals.sql': minuteModel(
        'e2e.totals',
        'SELECT minute, src_rows FROM e2e.staged WHERE minute >= @start_ts AND minute < @end_ts',
      ),
      'beat.sql': minuteModel('e2e.beat', 'SELECT CAST(@start_ts AS TIMESTAMP) AS minute, 1 AS n'),
    },
    runExecutor: 'run-1@test',
  }));

  const runs = (where = sql`true`) =>
    queryRows<RunRow>(
      stack().db,
      sql`select id, status, error,
            (extract(epoch from scheduled_at) * 1000)::float8 as scheduled_ms,
            (extract(epoch from finished_at) * 1000)::float8 as finished_ms
          from sluice.runs where environment = 'prod' and trigger = 'schedule' and ${where}
          order by scheduled_at`,
    );
  const executions = (where = sql`true`) =>
    queryRows<ExecutionRow>(
      stack().db,
      sql`select run_id, model, status, attempt, error, skip_reason, interval_start_ms::float8 as start_ms
          from sluice.model_executions where environment = 'prod' and ${where}
          order by queued_at, model, interval_start_ms`,
    );
  /** the completed intervals recorded for the model's snapshot in prod, in order. */
  const intervals = (model: string) =>
    queryRows<{ start_ms: number; end_ms: number }>(
      stack().db,
      sql`select i.start_ms::float8 as start_ms, i.end_ms::float8 as end_ms
          from sluice.intervals i join sluice.environment_snapshots s on s.snapshot_id = i.snapshot_id
          where s.environment = 'prod' and s.model_name = ${model}
          order by i.start_ms, i.end_ms`,
    );
  /** the end of the model's completed intervals when they run from the start without a gap. */
  const completedUntil = async (model: string): Promise<number | null> => {
    let end = start;
    for (const i of await intervals(model)) {
      if (i.start_ms !== end) return null;
      end = i.end_ms;
    }
    return end;
  };
  /** every minute the model's table holds, in order, and how many rows each has. */
  const minutesIn = (table: string) =>
    stack().wh<{ minute: number; rows: number; src_rows: number | null }[]>`
      select (extract(epoch from minute) * 1000)::float8 as minute, count(*)::int as rows,
             max(${stack().wh(table === 'e2e.beat' ? 'n' : 'src_rows')})::int as src_rows
      from ${stack().wh(table)} group by minute order by minute`;

  /** the first run that found `raw.src` missing, once it has ended. */
  async function failedRunAfter(after: number): Promise<RunRow> {
    return waitFor(
      `a run after ${new Date(after).toISOString()} to fail on e2e.staged and end`,
      async () => {
        const [failed] = await runs(
          sql`scheduled_at > to_timestamp(${after / 1000}::float8) and id in (
                select run_id from sluice.model_executions where model = 'e2e.staged' and status = 'failed')`,
        );
        return failed && failed.status !== 'running' && failed.status !== 'queued' ? failed : undefined;
      },
      2 * MINUTE,
    );
  }

  beforeAll(async () => {
    await stack().wh`create schema raw`;
    await stack().wh`create table raw.src as select generate_series(1, 2) as id`;
  });

  it(
    'ends each failing run within its minute, keeps the rest on schedule and fills every missed minute once the source is back',
    async () => {
      const { client, wh } = stack();
      await applyPlan(stack());

      // The source disappears: e2e.staged's SQL fails from now on.
      await wh`drop table raw.src`;
      const droppedAt = Date.now();

      const failed = await failedRunAfter(droppedAt - MINUTE);
      expect(failed.status).toBe('failed');
      expect(failed.finished_ms! - failed.scheduled_ms).toBeLessThan(MINUTE);
      expect(failed.error).toMatch(/e2e\.staged failed/);
      const inFailed = await executions(sql`run_id = ${failed.id}`);
      const staged = inFailed.find((e) => e.model === 'e2e.staged' && e.status !== 'succeeded');
      expect(staged).toMatchObject({ status: 'failed', attempt: 1 });
      expect(staged!.error).toMatch(/SQL_ERROR.*raw\.src.*does not exist/s);
      // the first minute e2e.staged could not compute
      const firstMissed = staged!.start_ms!;
      expect(firstMissed).toBe(failed.scheduled_ms - MINUTE);
      const totals = inFailed.filter((e) => e.model === 'e2e.totals');
      expect(totals.length).toBeGreaterThan(0);
      for (const skipped of totals) {
        expect(skipped).toMatchObject({ status: 'skipped', skip_reason: 'upstream e2e.staged failed' });
      }
      expect(inFailed.filter((e) => e.model === 'e2e.beat').map((e) => e.status)).toEqual(['succeeded']);
      // No execution is left open behind the run.
      expect(inFailed.filter((e) => e.status === 'queued' || e.status === 'running')).toEqual([]);

      // A plan submitted while the model fails is applied, not blocked behind the failures.
      stack().writeModel(
        'beat_count.sql',
        modelFile(['name e2e.beat_count', 'kind VIEW'], 'SELECT COUNT(*) AS minutes FROM e2e.beat'),
      );
      const second = await applyPlan(stack(), { timeoutMs: MINUTE });
      expect(second.diff.added).toEqual(['e2e.beat_count']);

      // ... and the environment carries on failing e2e.staged on the next tick, on the new plan.
      const again = await failedRunAfter(failed.scheduled_ms);
      expect(again.status).toBe('failed');
      expect(again.finished_ms! - again.scheduled_ms).toBeLessThan(MINUTE);

      // The source is back (with one more row, to tell refilled minutes from the plan's).
      await wh`create table raw.src as select generate_series(1, 3) as id`;
      const restoredAt = Date.now();
      const fillTick = floorMinute(restoredAt) + MINUTE;
      const filled = await waitFor(
        'the next tick to fill every minute e2e.staged and e2e.totals missed',
        async () => {
          const staged = await completedUntil('e2e.staged');
          const totals = await completedUntil('e2e.totals');
          if (staged === null || totals === null || staged < fillTick || totals < fillTick) return undefined;
          const [run] = await runs(sql`scheduled_at = to_timestamp(${fillTick / 1000}::float8)`);
          return run?.status === 'succeeded' ? { run, until: staged } : undefined;
        },
        2 * MINUTE,
      );
      expect(filled.run.id).toBe(`sluice-run-prod-${compactInstant(fillTick)}`);

      // In the warehouse: one row per minute from the start, none missing and none twice; the
      // minutes missed while the source was gone were computed after it came back.
      for (const table of ['e2e.staged', 'e2e.totals']) {
        const minutes = await minutesIn(table);
        expect(minutes.length, table).toBeGreaterThanOrEqual((filled.until - start) / MINUTE);
        minutes.forEach((m, i) => {
          expect(m, `${table} minute ${i}`).toMatchObject({ minute: start + i * MINUTE, rows: 1 });
        });
        for (const m of minutes) {
          const at = `${table} ${new Date(m.minute).toISOString()}`;
          expect(m.src_rows, at).toBe(m.minute < firstMissed ? 2 : 3);
        }
      }
      // In the state database: each minute recorded complete once, no range overlapping another.
      for (const model of ['e2e.staged', 'e2e.totals', 'e2e.beat']) {
        const recorded = await intervals(model);
        recorded.forEach((i, n) => {
          expect(i, `${model} interval ${n}`).toEqual({
            start_ms: start + n * MINUTE,
            end_ms: start + (n + 1) * MINUTE,
          });
        });
      }

      // e2e.beat kept its cadence: every tick from the first failure to the fill ran it once.
      const ticks: number[] = [];
      for (let tick = failed.scheduled_ms; tick <= fillTick; tick += MINUTE) ticks.push(tick);
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      for (const tick of ticks) {
        const runId = `sluice-run-prod-${compactInstant(tick)}`;
        const beats = await executions(sql`run_id = ${runId} and model = 'e2e.beat'`);
        expect(beats, runId).toMatchObject([{ status: 'succeeded', start_ms: tick - MINUTE }]);
      }
      const beat = await minutesIn('e2e.beat');
      beat.forEach((m, i) => {
        expect(m, `e2e.beat minute ${i}`).toMatchObject({ minute: start + i * MINUTE, rows: 1 });
      });

      // The environment took every failure in its stride.
      const state = await environmentState(client, 'prod');
      expect(state.lastError).toBeNull();
      expect(state.models.map((m) => m.name).sort()).toEqual([
        'e2e.beat',
        'e2e.beat_count',
        'e2e.staged',
        'e2e.totals',
      ]);
      expect(state.lastExecutions['e2e.staged']?.status).toBe('succeeded');
    },
    6 * MINUTE,
  );
});
