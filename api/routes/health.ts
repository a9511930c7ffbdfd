/**
 * `GET /api/health`: whether Temporal and the state database answer, execution success over the last
 * 24 hours and the last 100 executions, and how many runs wait or run. 200 when both dependencies
 * answer, 503 otherwise. It needs no token: with tokens on, a caller without one gets only the
 * liveness answer (status and time), which is what health checks and probes read; a token of any
 * role (or authentication off) shows the whole report.
 */
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { AppDeps } from '../context.ts';
import { router } from '../router.ts';
import { errors, json } from '../schemas/common.ts';
import { type Health, HealthAnswerSchema, type Liveness } from '../schemas/health.ts';
import { executionSuccess, runCounts } from '../views/health-stats.ts';

const HEALTH_TIMEOUT_MS = 3_000;

/** no token, or an API token (OpenAPI's empty requirement makes the token optional). */
const ANY_OR_BEARER: RouteConfig['security'] = [{}, { bearer: [] }];

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Reachability of Temporal and the state DB, success rates, runs queued and running',
  description:
    'Without a token, when authentication is on, only `status` and `time` (liveness); with a token of any role, ' +
    'or with authentication off, the whole report.',
  security: ANY_OR_BEARER,
  responses: {
    200: json(HealthAnswerSchema, 'everything answers'),
    503: json(HealthAnswerSchema, 'Temporal or the state database does not answer'),
    ...errors(401, 403),
  },
});

/** Times `fn`; a call with no deadline of its own is given up on after HEALTH_TIMEOUT_MS. */
async function probe(fn: () => Promise<unknown>, ownDeadline = false) {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await (ownDeadline
      ? fn()
      : Promise.race([
          fn(),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)),
              HEALTH_TIMEOUT_MS,
            );
          }),
        ]));
    return { reachable: true, latencyMs: Math.round(performance.now() - started), error: null };
  } catch (err) {
    return { reachable: false, latencyMs: null, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

function probeDependencies(deps: AppDeps) {
  return Promise.all([
    probe(
      () =>
        deps.client.connection.withDeadline(Date.now() + HEALTH_TIMEOUT_MS, () =>
          deps.client.workflowService.getSystemInfo({}),
        ),
      true,
    ),
    probe(() => deps.db.execute(sql`select 1`)),
  ]);
}

/** The bare answer: whether both dependencies answer, and when it was asked. */
export async function liveness(deps: AppDeps): Promise<Liveness> {
  const [temporal, database] = await probeDependencies(deps);
  return {
    status: temporal.reachable && database.reachable ? 'ok' : 'degraded',
    time: new Date(deps.now()).toISOString(),
  };
}

export async function healthReport(deps: AppDeps): Promise<Health> {
  const [temporal, database] = await probeDependencies(deps);
  const now = deps.now();
  const [executions, runs] = database.reachable
    ? await Promise.all([executionSuccess(deps.db, now), runCounts(deps.db)])
    : [null, null];
  return {
    status: temporal.reachable && database.reachable ? 'ok' : 'degraded',
    time: new Date(now).toISOString(),
    auth: deps.auth,
    temporal,
    database,
    executions,
    runs,
  };
}

export function healthRoutes() {
  return router().openapi(health, async (c) => {
    const deps = c.get('deps');
    const report = c.get('principal') === undefined ? await liveness(deps) : await healthReport(deps);
    return report.status === 'ok' ? c.json(report, 200) : c.json(report, 503);
  });
}
