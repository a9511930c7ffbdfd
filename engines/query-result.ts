/**
 * Collects the rows of a read query (`Engine.readQuery`) up to its row limit and its byte cap: the
 * engine feeds rows as it reads them and stops reading once the collector says it has enough, so a
 * large table is never read whole and the result stays well under Temporal's payload limit.
 */

import type { ColumnInfo, QueryRows, QueryValue, ReadQueryOptions } from './engine.ts';

export class QueryResultCollector {
  private readonly rows: QueryValue[][] = [];
  /** the JSON size of the rows kept so far, brackets and commas included. */
  private bytes = 2;
  private truncatedBy: QueryRows['truncatedBy'] = null;

  constructor(private readonly options: Pick<ReadQueryOptions, 'limit' | 'maxBytes'>) {}

  /** Keeps what fits of `rows`; false once no more rows are wanted. */
  add(rows: Iterable<QueryValue[]>): boolean {
    for (const row of rows) {
      if (this.rows.length >= this.options.limit) {
        this.truncatedBy = 'rows';
        return false;
      }
      const size = Buffer.byteLength(JSON.stringify(row)) + 1;
      if (this.bytes + size > this.options.maxBytes) {
        this.truncatedBy = 'bytes';
        return false;
      }
      this.rows.push(row);
      this.bytes += size;
    }
    return true;
  }

  result(columns: ColumnInfo[], durationMs: number): QueryRows {
    return { columns, rows: this.rows, truncatedBy: this.truncatedBy, durationMs };
  }
}
