/**
 * A Prometheus histogram computed from the state DB at each scrape: bucket counts, sum and count of
 * a milliseconds column of model executions, per environment. Every API process reports the same
 * figures, and they survive restarts, because they come from the recorded history rather than from
 * what one process happened to observe.
 */
import { isNotNull, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { StateDb } from '../../db/client.ts';
import { modelExecutions } from '../../db/schema.ts';

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
    /** the execution column, in milliseconds. */
    private readonly column: PgColumn,
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
    const counts: Record<string, SQL<number>> = {};
    this.buckets.forEach((bound, index) => {
      counts[`b${index}`] =
        sql<number>`(count(*) filter (where ${this.column} <= ${Math.round(bound * 1000)}))::int`;
    });
    const rows = (await this.db
      .select({
        environment: modelExecutions.environment,
        total: sql<number>`count(*)::int`,
        sumMs: sql<number>`coalesce(sum(${this.column}), 0)::float8`,
        ...counts,
      })
      .from(modelExecutions)
      .where(isNotNull(this.column))
      .groupBy(modelExecutions.environment)
      .orderBy(modelExecutions.environment)) as Array<Record<string, unknown> & { environment: string }>;
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
