/**
 * The executor's side of `sluice fetchdf`: one read-only statement on the gateway's engine (the
 * engine the executor already holds, so a DuckDB file it has open is read in-process), at most
 * `limit` rows and MAX_QUERY_RESULT_BYTES of them, stopped at the timeout. Read-only is the
 * engine's to enforce (Engine.readQuery); model names were resolved by the API before the query
 * was sent.
 */

import { MAX_QUERY_RESULT_BYTES } from '../../core/query/limits.ts';
import type { Engine } from '../../engines/engine.ts';
import type { QueryResult } from '../contracts.ts';

export async function fetchQuery(
  engine: Engine,
  query: { sql: string; limit: number; timeoutMs: number },
  signal: AbortSignal,
): Promise<Omit<QueryResult, 'executor'>> {
  const result = await engine.readQuery(query.sql, {
    limit: query.limit,
    timeoutMs: query.timeoutMs,
    maxBytes: MAX_QUERY_RESULT_BYTES,
    signal,
  });
  return {
    gateway: engine.gateway,
    columns: result.columns,
    rows: result.rows,
    truncated: result.truncatedBy !== null,
    truncatedBy: result.truncatedBy,
    durationMs: Math.round(result.durationMs),
  };
}
