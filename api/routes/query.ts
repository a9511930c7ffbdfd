/**
 * `POST /api/environments/{env}/query`: one read-only query of the environment's warehouse, run by
 * a run executor (which holds the credentials), its model names resolved to the environment's
 * views (api/query-target.ts). Needs the operator role on the environment: rows of data are more
 * than a viewer reads elsewhere. The audit log records who queried what once it is answered,
 * without the rows; a refused query writes nothing.
 */
import { createRoute } from '@hono/zod-openapi';
import { DEFAULT_CONNECTION_TEST_TIMEOUT_MS } from '../../config/defaults.ts';
import { DEFAULT_QUERY_ROWS, DEFAULT_QUERY_TIMEOUT_MS } from '../../core/query/limits.ts';
import { audit } from '../audit.ts';
import { requirePermission } from '../auth/authorize.ts';
import { runQuery } from '../query.ts';
import { queryTarget } from '../query-target.ts';
import { router } from '../router.ts';
import { EnvParams, ErrorSchema, errors, json, jsonBody } from '../schemas/common.ts';
import { QueryBody, QueryResultSchema } from '../schemas/query.ts';

export interface QueryRouteOptions {
  /** how long a query waits for a run executor to take it (30 s). */
  pickupTimeoutMs?: number;
}

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

const query = createRoute({
  method: 'post',
  path: '/environments/{env}/query',
  tags: ['query'],
  summary: "Run one read-only query on the environment's warehouse through a run executor",
  middleware: [requirePermission('query')],
  request: { params: EnvParams, body: jsonBody(QueryBody) },
  responses: {
    200: json(QueryResultSchema, 'the first rows of the query'),
    ...errors(400, 401, 403, 404, 413, 415),
    408: error('the query ran longer than its timeout and was stopped (`query_timeout`)'),
    422: error(
      'the statement is not one read-only SELECT (`query_not_read_only`, nothing ran), or the warehouse refused it (`query_failed`)',
    ),
    503: error(
      'no run executor took the query in time, or it does not serve the gateway, or Temporal is unreachable',
    ),
  },
});

export function queryRoutes(options: QueryRouteOptions = {}) {
  const pickupTimeoutMs = options.pickupTimeoutMs ?? DEFAULT_CONNECTION_TEST_TIMEOUT_MS;
  return router().openapi(query, async (c) => {
    const deps = c.get('deps');
    const { env } = c.req.valid('param');
    const body = c.req.valid('json');
    const target = await queryTarget(deps.db, env, body.sql, body.gateway);
    const limit = body.limit ?? DEFAULT_QUERY_ROWS;
    const timeoutMs = body.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    const result = await runQuery(deps, {
      environment: env,
      gateway: target.gateway,
      sql: target.sql,
      limit,
      timeoutMs,
      pickupTimeoutMs,
    });
    // recorded once answered: a refused query writes nothing, like every refused request
    await audit(c, {
      action: 'query.run',
      target: target.gateway,
      environment: env,
      details: { sql: body.sql.slice(0, 2_000), models: target.models, limit, timeoutMs },
    });
    return c.json(
      {
        environment: env,
        gateway: result.gateway,
        executor: result.executor,
        models: target.models,
        columns: result.columns,
        rows: result.rows,
        rowCount: result.rows.length,
        truncated: result.truncated,
        truncatedBy: result.truncatedBy,
        durationMs: result.durationMs,
      },
      200,
    );
  });
}
