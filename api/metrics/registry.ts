/**
 * The Prometheus metrics `GET /metrics` serves: runs and model executions by environment and status,
 * histograms of how long executions waited for an executor and how long they ran and of each run's
 * wait, prep and run time, the over-scheduled models (all from the state DB), and the API's own
 * requests by route and status.
 */
import { sql } from 'drizzle-orm';
import { Counter, Gauge, type Metric, Registry } from 'prom-client';
import { DEFAULT_STUCK_AFTER_MS, stuckWork } from '../../core/watchdog.ts';
import type { StateDb } from '../../db/client.ts';
import { modelExecutions, runs } from '../../db/schema.ts';
import { type EnvironmentWorkInFlight, workInFlight } from '../../state/work-in-flight.ts';
import { DbHistogram, runSpanMs } from './db-histogram.ts';
import { registerOverScheduledGauges } from './over-scheduled.ts';

const WAIT_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600];
const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600, 10800];

export interface ApiMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
}

export function createMetrics(db: StateDb, stuckAfterMs: number = DEFAULT_STUCK_AFTER_MS): ApiMetrics {
  const registry = new Registry();
  // Both watchdog gauges read the same work in flight, once per scrape.
  let inFlight: { at: number; work: Promise<EnvironmentWorkInFlight[]> } | undefined;
  const workNow = () => {
    const now = Date.now();
    if (!inFlight || now - inFlight.at > 1000) inFlight = { at: now, work: workInFlight(db, stuckAfterMs) };
    return inFlight.work.then((work) => ({ work, now }));
  };
  new Gauge({
    name: 'sluice_stuck_work',
    help: 'Runs and plan applications going on for longer than their watchdog limit (a few times the longest batch seen for their models, at least SLUICE_STUCK_AFTER), by environment and kind',
    labelNames: ['environment', 'kind'],
    registers: [registry],
    async collect() {
      const { work, now } = await workNow();
      this.reset();
      for (const w of work) this.inc({ environment: w.environment, kind: w.kind }, 0);
      for (const w of stuckWork(work, now)) this.inc({ environment: w.environment, kind: w.kind });
    },
  });
  new Gauge({
    name: 'sluice_work_in_flight_oldest_seconds',
    help: 'How long the oldest run (or plan application) in flight has been going, by environment and kind',
    labelNames: ['environment', 'kind'],
    registers: [registry],
    async collect() {
      const { work, now } = await workNow();
      this.reset();
      const oldest = new Map<string, { environment: string; kind: string; ms: number }>();
      for (const w of work) {
        const key = `${w.environment}\u0000${w.kind}`;
        const ms = Math.max(0, now - w.startedAt);
        if ((oldest.get(key)?.ms ?? -1) < ms)
          oldest.set(key, { environment: w.environment, kind: w.kind, ms });
      }
      for (const o of oldest.values()) this.set({ environment: o.environment, kind: o.kind }, o.ms / 1000);
    },
  });
  new Gauge({
    name: 'sluice_runs',
    help: 'Runs recorded in the state database, by environment and status',
    labelNames: ['environment', 'status'],
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ environment: runs.environment, status: runs.status, n: sql<number>`count(*)::int` })
        .from(runs)
        .groupBy(runs.environment, runs.status);
      this.reset();
      for (const row of rows) this.set({ environment: row.environment, status: row.status }, Number(row.n));
    },
  });
  new Gauge({
    name: 'sluice_model_executions',
    help: 'Model executions recorded in the state database, by environment and status',
    labelNames: ['environment', 'status'],
    registers: [registry],
    async collect() {
      const rows = await db
        .select({
          environment: modelExecutions.environment,
          status: modelExecutions.status,
          n: sql<number>`count(*)::int`,
        })
        .from(modelExecutions)
        .groupBy(modelExecutions.environment, modelExecutions.status);
      this.reset();
      for (const row of rows) this.set({ environment: row.environment, status: row.status }, Number(row.n));
    },
  });
  registry.registerMetric(
    new DbHistogram(
      'sluice_model_execution_wait_seconds',
      'How long model executions waited from queued to their first start',
      db,
      { table: modelExecutions, ms: modelExecutions.waitMs },
      WAIT_BUCKETS,
    ) as unknown as Metric,
  );
  registry.registerMetric(
    new DbHistogram(
      'sluice_model_execution_duration_seconds',
      'How long model executions ran, from their latest start to their finish',
      db,
      { table: modelExecutions, ms: modelExecutions.durationMs },
      DURATION_BUCKETS,
    ) as unknown as Metric,
  );
  // A run's wait, prep and run time, as dbt Cloud splits them.
  for (const [name, help, from, to, buckets] of [
    [
      'sluice_run_wait_seconds',
      'How long runs waited, from their tick or request until a run slot and their models were free',
      runs.scheduledAt,
      runs.readyAt,
      WAIT_BUCKETS,
    ],
    [
      'sluice_run_prep_seconds',
      'How long runs took from then until their first statement reached the warehouse',
      runs.readyAt,
      runs.firstStatementAt,
      WAIT_BUCKETS,
    ],
    [
      'sluice_run_duration_seconds',
      'How long runs ran, from their first statement until they ended',
      runs.firstStatementAt,
      runs.finishedAt,
      DURATION_BUCKETS,
    ],
  ] as const) {
    registry.registerMetric(
      new DbHistogram(name, help, db, { table: runs, ms: runSpanMs(from, to) }, buckets) as unknown as Metric,
    );
  }
  registerOverScheduledGauges(registry, db);
  const requests = new Counter({
    name: 'sluice_api_requests_total',
    help: 'API requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  return { registry, requests };
}
