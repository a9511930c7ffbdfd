/** A read-only query of an environment's warehouse, run by an executor (`sluice fetchdf`). */
import { z } from '@hono/zod-openapi';
import { DEFAULT_QUERY_ROWS, QUERY_ROW_LIMIT, QUERY_TIMEOUT_LIMIT } from '../../core/query/limits.ts';
import { OpaqueName } from './common.ts';

/** The longest query text accepted. */
export const MAX_QUERY_SQL_CHARS = 100_000;

export const QueryBody = z
  .object({
    sql: z
      .string()
      .max(MAX_QUERY_SQL_CHARS)
      .refine((sql) => sql.trim() !== '', 'must hold a statement, not empty text')
      .openapi({
        description:
          "one read-only SELECT; the environment's model names (`schema.table`) read the environment's views",
        example: 'SELECT * FROM marts.customer_orders ORDER BY 1',
      }),
    gateway: OpaqueName('gateway')
      .optional()
      .openapi({ description: "the gateway to query (the project's default gateway when absent)" }),
    limit: z
      .number()
      .int()
      .min(QUERY_ROW_LIMIT.min)
      .max(QUERY_ROW_LIMIT.max)
      .optional()
      .openapi({
        description: `rows to return at most (${QUERY_ROW_LIMIT.min}-${QUERY_ROW_LIMIT.max}, ${DEFAULT_QUERY_ROWS} by default)`,
      }),
    timeoutMs: z
      .number()
      .int()
      .min(QUERY_TIMEOUT_LIMIT.min)
      .max(QUERY_TIMEOUT_LIMIT.max)
      .optional()
      .openapi({ description: 'how long the query may run on the warehouse, in ms (30000 by default)' }),
  })
  .strict()
  .openapi('QueryRequest');

const QueryValue: z.ZodType<unknown> = z.unknown().openapi({
  description:
    'a JSON value: integers as numbers when safe, else strings; decimals as strings; times as ISO-8601; bytes as base64',
});

export const QueryResultSchema = z
  .object({
    environment: z.string(),
    gateway: z.string(),
    executor: z.string().openapi({ description: 'the run executor that ran the query' }),
    models: z.array(z.string()).openapi({ description: "the environment's models the query read" }),
    columns: z.array(z.object({ name: z.string(), type: z.string() })),
    rows: z.array(z.array(QueryValue)).openapi({ description: 'one array per row, in the order of columns' }),
    rowCount: z.number().int(),
    truncated: z.boolean().openapi({ description: 'true when the query had more rows than returned' }),
    truncatedBy: z.enum(['rows', 'bytes']).nullable().openapi({
      description: 'the row limit, or the byte cap that keeps the answer under about 1 MB',
    }),
    durationMs: z.number().int(),
  })
  .openapi('QueryResult');
