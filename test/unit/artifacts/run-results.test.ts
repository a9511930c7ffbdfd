/** run_results.json from the records of a run: one result per model, dbt's fields beside sluice's. */
import { describe, expect, it } from 'vitest';
import {
  type BatchRecord,
  batchSql,
  buildRunResults,
  compiledPaths,
  type InvocationRecord,
  RUN_RESULTS_SCHEMA_VERSION,
} from '../../../core/artifacts/run-results.ts';

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const run: InvocationRecord = {
  id: 'sluice-run-prod-20261125T1000Z',
  environment: 'prod',
  trigger: 'schedule',
  status: 'failed',
  scheduledAt: iso(T0),
  startedAt: iso(T0 + 1_000),
  finishedAt: iso(T0 + 9_500),
  models: ['raw.orders', 'marts.revenue', 'marts.report'],
  planId: null,
  triggeredBy: null,
  error: 'marts.revenue failed: Binder Error: column "amount" not found',
};

function batch(overrides: Partial<BatchRecord> & Pick<BatchRecord, 'id' | 'model'>): BatchRecord {
  return {
    runId: run.id,
    snapshotId: `${overrides.model}@abc`,
    interval: null,
    status: 'succeeded',
    attempt: 1,
    executor: 'run@host:1',
    queuedAt: iso(T0 + 1_000),
    startedAt: iso(T0 + 2_000),
    finishedAt: iso(T0 + 3_000),
    durationMs: 1_000,
    rowsAffected: 10,
    error: null,
    skipReason: null,
    log: { renderedSql: 'SELECT 1', statements: [{ sql: 'INSERT INTO t SELECT 1' }] },
    ...overrides,
  };
}

const batches: BatchRecord[] = [
  batch({ id: 'e1', model: 'raw.orders', interval: [T0 - 2 * HOUR, T0 - HOUR], rowsAffected: 4 }),
  batch({
    id: 'e2',
    model: 'raw.orders',
    interval: [T0 - HOUR, T0],
    rowsAffected: 6,
    queuedAt: iso(T0 + 1_001),
    startedAt: iso(T0 + 3_000),
    finishedAt: iso(T0 + 4_500),
    durationMs: 1_500,
    executor: 'run@host:2',
  }),
  batch({
    id: 'e3',
    model: 'marts.revenue',
    status: 'failed',
    attempt: 3,
    rowsAffected: null,
    startedAt: iso(T0 + 5_000),
    finishedAt: iso(T0 + 9_000),
    durationMs: 4_000,
    error: 'Binder Error: column "amount" not found',
    log: {
      renderedSql: 'SELECT amount FROM raw.orders',
      plannedStatements: ['CREATE TABLE x AS SELECT amount FROM raw.orders'],
    },
  }),
  batch({
    id: 'e4',
    model: 'marts.report',
    status: 'skipped',
    attempt: 0,
    executor: null,
    startedAt: null,
    finishedAt: iso(T0 + 9_000),
    durationMs: null,
    rowsAffected: null,
    skipReason: 'upstream marts.revenue failed',
    log: null,
  }),
];

describe('run_results.json', () => {
  const results = buildRunResults({
    invocation: run,
    batches,
    generatedAt: T0 + 10_000,
    sluiceVersion: '9.9.9',
  });

  it("has dbt's metadata, elapsed time and args, the run's id as the invocation", () => {
    expect(results.metadata).toEqual({
      sluice_schema_version: RUN_RESULTS_SCHEMA_VERSION,
      sluice_version: '9.9.9',
      generated_at: iso(T0 + 10_000),
      invocation_id: run.id,
      env: {},
    });
    expect(results.elapsed_time).toBe(8.5);
    expect(results.args).toMatchObject({
      environment: 'prod',
      trigger: 'schedule',
      status: 'failed',
      error: run.error,
    });
  });

  it('gives one result per model, sorted, with its batches, rows, executors and attempts', () => {
    expect(results.results.map((r) => r.unique_id)).toEqual([
      'model.marts.report',
      'model.marts.revenue',
      'model.raw.orders',
    ]);
    const orders = results.results.find((r) => r.model === 'raw.orders')!;
    expect(orders).toMatchObject({
      status: 'success',
      sluice_status: 'succeeded',
      batches: 2,
      rows_affected: 10,
      adapter_response: { rows_affected: 10, _message: '10 rows in 2 of 2 batches' },
      executors: ['run@host:1', 'run@host:2'],
      thread_id: 'run@host:2',
      attempts: 1,
      error: null,
      message: 'OK',
      failures: null,
      timing: [{ name: 'execute', started_at: iso(T0 + 2_000), completed_at: iso(T0 + 4_500) }],
      execution_time: 2.5,
    });
    expect(orders.batch_results.map((b) => [b.interval, b.rows_affected, b.compiled_path])).toEqual([
      [
        { start: iso(T0 - 2 * HOUR), end: iso(T0 - HOUR) },
        4,
        'compiled/raw.orders/20261125T0800Z_20261125T0900Z.sql',
      ],
      [{ start: iso(T0 - HOUR), end: iso(T0) }, 6, 'compiled/raw.orders/20261125T0900Z_20261125T1000Z.sql'],
    ]);
  });

  it('names a failed model with its error and attempts, and a skipped one with its reason', () => {
    const revenue = results.results.find((r) => r.model === 'marts.revenue')!;
    expect(revenue).toMatchObject({
      status: 'error',
      sluice_status: 'failed',
      error: 'Binder Error: column "amount" not found',
      message: 'Binder Error: column "amount" not found',
      attempts: 3,
      rows_affected: 0,
    });
    expect(revenue.batch_results[0]).toMatchObject({
      status: 'failed',
      compiled_path: 'compiled/marts.revenue/full.sql',
    });
    const report = results.results.find((r) => r.model === 'marts.report')!;
    expect(report).toMatchObject({
      status: 'skipped',
      message: 'upstream marts.revenue failed',
      error: null,
      executors: [],
      execution_time: 0,
    });
    expect(report.batch_results[0]!.compiled_path).toBeNull();
  });

  it('counts the rows audits found as failures', () => {
    const audited = buildRunResults({
      invocation: run,
      batches: [
        batch({
          id: 'a',
          model: 'm',
          log: {
            audits: [
              { name: 'not_null', blocking: false, failingRows: 3 },
              { name: 'unique', blocking: true, failingRows: 0 },
            ],
          },
        }),
      ],
      generatedAt: T0,
      sluiceVersion: '1',
    });
    expect(audited.results[0]!.failures).toBe(3);
  });

  it("writes each batch's SQL: the statements it ran, else those it was prepared with", () => {
    expect(batchSql(batches[0]!)).toContain('INSERT INTO t SELECT 1;');
    expect(batchSql(batches[2]!)).toContain('CREATE TABLE x AS SELECT amount FROM raw.orders;');
    expect(batchSql(batches[2]!)).toContain('-- status: failed, attempt 3 on run@host:1');
    expect(batchSql(batches[3]!)).toBeNull();
  });

  it('keeps two batches of the same model and interval apart', () => {
    const twice = [batch({ id: 'x1', model: 'm' }), batch({ id: 'x2', model: 'm' })];
    expect([...compiledPaths(twice).values()]).toEqual(['compiled/m/full.sql', 'compiled/m/full.2.sql']);
  });
});
