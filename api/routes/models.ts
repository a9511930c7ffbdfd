/**
 * Models: one model as an environment holds it (definition, snapshot per environment, lineage,
 * last batch's SQL, interval coverage, latest executions), and a model's executions across runs,
 * newest first, in every environment or one.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { snapshots } from '../../db/schema.ts';
import { type ExecutionStatus, listExecutions } from '../../state/executions.ts';
import { requirePermission } from '../auth/authorize.ts';
import { checkCursor } from '../cursor.ts';
import { notFound } from '../errors.ts';
import { router } from '../router.ts';
import { errors, json, ModelName } from '../schemas/common.ts';
import { ModelDetailSchema, ModelParams } from '../schemas/models.ts';
import { ExecutionListQuery, ExecutionPageSchema } from '../schemas/runs.ts';
import { commaValues, readTime } from '../time-input.ts';
import { requireEnvironment } from '../views/environment-models.ts';
import { executionView } from '../views/execution-view.ts';
import { modelDetail } from '../views/model-detail.ts';

const ModelNameParams = z.object({
  name: ModelName.openapi({ param: { name: 'name', in: 'path' }, example: 'sales.orders' }),
});

const executions = createRoute({
  method: 'get',
  path: '/models/{name}/executions',
  tags: ['models'],
  summary: "A model's executions, newest first",
  middleware: [requirePermission('read')],
  request: { params: ModelNameParams, query: ExecutionListQuery },
  responses: { 200: json(ExecutionPageSchema, 'one page of executions'), ...errors(400, 401, 403, 404) },
});

const show = createRoute({
  method: 'get',
  path: '/environments/{env}/models/{name}',
  tags: ['models'],
  summary:
    "One model as an environment holds it: definition, snapshot per environment, lineage, last batch's SQL, interval coverage, executions",
  middleware: [requirePermission('read')],
  request: { params: ModelParams },
  responses: { 200: json(ModelDetailSchema, 'the model'), ...errors(400, 401, 403, 404) },
});

export function modelRoutes() {
  return router()
    .openapi(show, async (c) => {
      const { db, now } = c.get('deps');
      const { env, name } = c.req.valid('param');
      return c.json(await modelDetail(db, env, name, now()), 200);
    })
    .openapi(executions, async (c) => {
      const { db, now } = c.get('deps');
      const { name } = c.req.valid('param');
      const q = c.req.valid('query');
      if (q.environment !== undefined) await requireEnvironment(db, q.environment);
      const known = await db
        .select({ id: snapshots.id })
        .from(snapshots)
        .where(eq(snapshots.name, name))
        .limit(1);
      if (known.length === 0) {
        throw notFound(`unknown model "${name}": no plan has ever included it`, { model: name });
      }
      const page = await listExecutions(db, {
        model: name,
        environment: q.environment,
        status: commaValues<ExecutionStatus>(q.status),
        since: q.since === undefined ? undefined : readTime('since', q.since, now()),
        until: q.until === undefined ? undefined : readTime('until', q.until, now()),
        limit: q.limit,
        cursor: checkCursor(q.cursor, 'string'),
      });
      return c.json({ items: page.items.map(executionView), nextCursor: page.nextCursor }, 200);
    });
}
