/**
 * Schedule precision: 100 environments whose models all tick on the same minute; for each scheduled
 * execution, the time from its cron tick to its first statement on the executor (the wait recorded
 * in history), p50 and p99 over two ticks.
 *
 *   npx tsx bench/schedule-precision.ts
 */
import { join } from 'node:path';
import { readConfig } from '../config/read.ts';
import { loadProject } from '../core/project/load.ts';
import { percentile, rows, startBenchStack, writeProject } from './support/stack.ts';

const ENVIRONMENTS = readConfig('bench', process.env).BENCH_ENVIRONMENTS;
const TICKS = 2;
const MINUTE = 60_000;

const stack = await startBenchStack();
try {
  const start = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE).toISOString();
  const t0 = Date.now();
  for (let i = 0; i < ENVIRONMENTS; i++) {
    // A distinct literal per environment gives each its own snapshot, so no two share an interval.
    const dir = writeProject(
      join(stack.dir, `env${i}`),
      {
        'ticks.sql': `MODEL (name bench.ticks, kind INCREMENTAL_BY_TIME_RANGE (time_column minute, batch_size 1), cron '* * * * *');\nSELECT CAST(@start_ts AS TIMESTAMP) AS minute, ${i} AS environment_no\n`,
      },
      start,
    );
    await stack.apply(loadProject(dir, { env: {} }), `bench_${String(i).padStart(3, '0')}`);
  }
  console.log(`${ENVIRONMENTS} environments planned in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Measure the ticks that come after every environment is in place.
  const from = Math.ceil(Date.now() / MINUTE) * MINUTE;
  const until = from + TICKS * MINUTE;
  await new Promise((r) => setTimeout(r, until - Date.now() + 20_000));
  const waits = await rows<{ wait_ms: number }>(
    stack.db,
    `select e.wait_ms from sluice.model_executions e join sluice.runs r on r.id = e.run_id
      where r.trigger = 'schedule' and e.status = 'succeeded'
        and r.scheduled_at >= '${new Date(from).toISOString()}' and r.scheduled_at < '${new Date(until).toISOString()}'`,
  );
  const values = waits.map((w) => Number(w.wait_ms));
  if (values.length < ENVIRONMENTS)
    throw new Error(`expected at least ${ENVIRONMENTS} scheduled executions, got ${values.length}`);
  console.log(
    `schedule precision: cron tick -> first statement on the executor, ${values.length} executions, ${ENVIRONMENTS} environments ticking together:`,
  );
  console.log(
    `  p50 ${percentile(values, 50)} ms   p99 ${percentile(values, 99)} ms   max ${Math.max(...values)} ms`,
  );
  console.log(`  target p99 < 1000 ms: ${percentile(values, 99) < 1000 ? 'met' : 'not met'}`);
  console.log(
    '  anchors: Dagster 1-6 s tick drift, Prefect workers poll every 10 s, dbt Cloud 27-106 s prep time',
  );
} finally {
  await stack.stop();
}
