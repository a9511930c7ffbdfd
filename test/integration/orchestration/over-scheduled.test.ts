/**
 * An over-scheduled model on the real stack (dev server, scheduler worker, a run executor process, a
 * PostgreSQL warehouse): a minute-cron model whose batch takes 90 s once it is scheduled (its
 * backfill is quick: the query sleeps while a switch in the warehouse says so). Every execution ends after
 * the next tick, so ticks find it still running and are skipped; once three executions have taken
 * 90 s, the skips say it is over-scheduled, the environment and model API and the metrics flag it,
 * and every minute interval still ends up complete, in the execution after each skipped tick. A run
 * asked for through the API while the model runs is not skipped: it waits, queued, and then runs.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../../api/app.ts';
import { STILL_RUNNING } from '../../../core/environment/in-flight.ts';
import { queryRows } from '../../../db/query-rows.ts';
import { environmentSnapshotMap } from '../../../state/environments.ts';
import { completedIntervals } from '../../../state/intervals.ts';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { waitFor } from '../../support/waiting.ts';
import { applyPlan, floorMinute, MINUTE, modelFile, useOrchestrationStack } from './stack.ts';

const MODEL = 'over.slow';
const OVER =
  /^over-scheduled: its last [3-5] executions took \d+ s on average, longer than its cron period of 60 s \(\* \* \* \* \*\); give it a longer cron or larger batches \(batch_size\)$/;

type Skip = { scheduled_ms: string | number; skip_reason: string };

describe('an over-scheduled model on the real stack', () => {
  const start = floorMinute(Date.now()) - 3 * MINUTE;
  const stack = useOrchestrationStack(() => ({
    tag: 'over_sched',
    start,
    models: {},
    runExecutor: 'run-1@test',
  }));
  let app: SluiceApp;
  let token: string;

  beforeAll(async () => {
    app = testApp({ db: stack().db, client: stack().client, temporalTimeoutMs: 10_000 });
    token = await tokenFor(stack().db, 'viewer', ['*']);
    await stack().wh`create schema knobs`;
    await stack().wh`create table knobs.speed as select false as slow`;
  });

  const get = async (path: string) => {
    const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, path).toBe(200);
    return res;
  };

  const skips = () =>
    queryRows<Skip>(
      stack().db,
      sql`select (extract(epoch from queued_at) * 1000)::bigint as scheduled_ms, skip_reason
            from sluice.model_executions
           where model = ${MODEL} and status = 'skipped'
           order by queued_at`,
    );

  it(
    'flags it, skips its busy ticks with the message and loses no interval',
    async () => {
      // The backfill is quick; once the plan is applied, every batch sleeps 90 s.
      stack().writeModel(
        'slow.sql',
        modelFile(
          [`name ${MODEL}`, 'kind INCREMENTAL_BY_TIME_RANGE (time_column minute)', "cron '* * * * *'"],
          `SELECT minute, (SELECT 1 FROM pg_sleep(CASE WHEN (SELECT slow FROM knobs.speed) THEN 90 ELSE 0 END)) AS slept
FROM generate_series(CAST(@start_ts AS TIMESTAMP), CAST(@end_ts AS TIMESTAMP), INTERVAL '1 minute') AS minute`,
        ),
      );
      const { diff } = await applyPlan(stack(), { timeoutMs: 4 * MINUTE });
      const snapshotId = diff.snapshotMap[MODEL]!;
      await stack().wh`update knobs.speed set slow = true`;
      expect((await environmentSnapshotMap(stack().db, 'prod'))[MODEL]).toBe(snapshotId);

      // Ticks find it still running: skipped with the plain reason until three executions took 90 s,
      // then with the over-scheduled message.
      const flagged = await waitFor(
        'a tick skipped with the over-scheduled message',
        async () => (await skips()).find((s) => s.skip_reason.includes('over-scheduled')),
        10 * MINUTE,
      );
      const cut = flagged.skip_reason.indexOf('; over-scheduled');
      const [still, over] = [flagged.skip_reason.slice(0, cut), flagged.skip_reason.slice(cut + 2)];
      expect(still).toMatch(new RegExp(`^${STILL_RUNNING} sluice-run-prod-`));
      expect(over).toMatch(OVER);
      const all = await skips();
      expect(all.length).toBeGreaterThan(1);
      for (const s of all) expect(s.skip_reason.startsWith(STILL_RUNNING), s.skip_reason).toBe(true);
      // before three executions finished the reason was the plain one
      expect(all[0]!.skip_reason).not.toContain('over-scheduled');

      // The status flags it: the environment's models, the model's page, the metrics.
      const detail = (await (await get('/api/environments/prod')).json()) as {
        models: Array<{
          name: string;
          overScheduled: { message: string; periodMs: number; averageMs: number } | null;
        }>;
      };
      const mine = detail.models.find((m) => m.name === MODEL)!;
      expect(mine.overScheduled).toMatchObject({ periodMs: MINUTE, message: expect.stringMatching(OVER) });
      expect(mine.overScheduled!.averageMs).toBeGreaterThan(MINUTE);
      const model = (await (await get(`/api/environments/prod/models/${MODEL}`)).json()) as {
        overScheduled: { message: string } | null;
      };
      expect(model.overScheduled?.message).toMatch(OVER);
      const metrics = await (await get('/metrics')).text();
      expect(metrics).toContain('sluice_over_scheduled_models{environment="prod"} 1');
      expect(metrics).toMatch(
        /sluice_model_over_scheduled_ratio\{environment="prod",model="over\.slow"\} 1\.\d+/,
      );

      // `sluice run` of it while an execution holds it is never skipped: the run waits, queued with
      // the reason, and runs once the model is free. Asked early in a 90 s batch, so it finds one.
      await waitFor(
        'a slow batch that began in the last 20 s',
        async () => {
          const [row] = await stack().wh`select count(*)::int as n from pg_stat_activity
            where query like '%pg_sleep(CASE%' and state = 'active'
              and query_start > now() - interval '20 seconds' and pid <> pg_backend_pid()`;
          return row!.n > 0 ? true : undefined;
        },
        3 * MINUTE,
      );
      const operator = await tokenFor(stack().db, 'operator', ['*']);
      const asked = await app.request('/api/environments/prod/runs', {
        method: 'POST',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: JSON.stringify({ models: [MODEL] }),
      });
      expect(asked.status).toBe(202);
      const { runId } = (await asked.json()) as { runId: string };
      type RunView = { status: string; queuedReason: string | null; waitMs: number | null };
      const run = async () => (await (await get(`/api/runs/${runId}`)).json()) as RunView;
      const waiting = await waitFor(
        'the triggered run recorded as queued',
        async () => {
          const res = await app.request(`/api/runs/${runId}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          return res.status === 200 ? ((await res.json()) as RunView) : undefined;
        },
        MINUTE,
      );
      expect(waiting.status).toBe('queued');
      expect(waiting.queuedReason).toMatch(/^waiting for run sluice-run-prod-\S+ of the same models$/);

      // No interval is lost: every minute from the model's start to the last skipped tick ends up
      // complete, run by the execution after the skip (quick from now on, to keep the test short).
      await stack().wh`update knobs.speed set slow = false`;
      const { ranges, lastSkipped } = await waitFor(
        'the skipped ticks caught up',
        async () => {
          const lastSkipped = Math.max(...(await skips()).map((skip) => Number(skip.scheduled_ms)));
          const ranges = (await completedIntervals(stack().db, [snapshotId]))[snapshotId] ?? [];
          return ranges.some(([, end]) => end >= lastSkipped) ? { ranges, lastSkipped } : undefined;
        },
        4 * MINUTE,
      );
      const ran = await waitFor(
        'the triggered run to end',
        async () => {
          const view = await run();
          return view.status === 'queued' || view.status === 'running' ? undefined : view;
        },
        4 * MINUTE,
      );
      expect(ran.status).toBe('succeeded');
      expect(ran.waitMs).toBeGreaterThan(0);
      expect(ranges).toEqual([[start, expect.any(Number)]]);
      expect(ranges[0]![1]).toBeGreaterThanOrEqual(lastSkipped);
      const [dupes] = await stack().wh`
        select count(*)::int as n from (select minute from over.slow group by minute having count(*) > 1) d`;
      expect(dupes!.n).toBe(0);
    },
    20 * MINUTE,
  );
});
