/**
 * A Prometheus histogram computed from the state DB at each scrape: bucket counts, sum and count of
 * a milliseconds value of model executions or runs, per environment. Every API process reports the same
 * figures, and they survive restarts, because they come from the recorded history rather than from
 * what one process happened to observe.
 */
import { isNotNull, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { StateDb } from '../../db/client.ts';
import type { modelExecutions, runs } from '../../db/schema.ts';

/** What a histogram counts: a milliseconds value (null rows left out) of a table with an environment. */
export type HistogramSource =
  | { table: typeof modelExecutions; ms: PgColumn | SQL<number | null> }
  | { table: typeof runs; ms: PgColumn | SQL<number | null> };

/** Milliseconds between two timestamp columns of a run (null while either is). */
export function runSpanMs(from: PgColumn, to: PgColumn): SQL<number | null> {
  return sql<number | null>`(extract(epoch from (${to} - ${from})) * 1000)`;
}

interface HistogramValue {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export class DbHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly db: StateDb,
    /** the table and its value in milliseconds. */
    private readonly source: HistogramSource,
    /** upper bounds in seconds, ascending. */
    private readonly buckets: readonly number[],
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: HistogramValue[];
  }> {
    const { table, ms } = this.source;
    const counts: Record<string, SQL<number>> = {};
    this.buckets.forEach((bound, index) => {
      counts[`b${index}`] = sql<number>`(count(*) filter (where ${ms} <= ${Math.round(bound * 1000)}))::int`;
    });
    const rows = (await this.db
      .select({
        environment: table.environment,
        total: sql<number>`count(*)::int`,
        sumMs: sql<number>`coalesce(sum(${ms}), 0)::float8`,
        ...counts,
      })
      .from(table)
      .where(isNotNull(ms))
      .groupBy(table.environment)
      .orderBy(table.environment)) as Array<Record<string, unknown> & { environment: string }>;
    const values: HistogramValue[] = [];
    for (const row of rows) {
      const environment = row.environment;
      this.buckets.forEach((bound, index) => {
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { environment, le: bound },
          value: Number(row[`b${index}`]),
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { environment, le: '+Inf' },
        value: Number(row.total),
      });
      values.push({
        metricName: `${this.name}_sum`,
        labels: { environment },
        value: Number(row.sumMs) / 1000,
      });
      values.push({ metricName: `${this.name}_count`, labels: { environment }, value: Number(row.total) });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Nothing is held in memory, so there is nothing to reset. */
  reset(): void {}
}
