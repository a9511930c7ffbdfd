/** An environment's lineage graph: its models and the edges between them. */
import { createRoute } from '@hono/zod-openapi';
import { requirePermission } from '../auth/authorize.ts';
import { router } from '../router.ts';
import { EnvParams, errors, json } from '../schemas/common.ts';
import { LineageSchema } from '../schemas/lineage.ts';
import { environmentLineageView } from '../views/lineage.ts';

const lineage = createRoute({
  method: 'get',
  path: '/environments/{env}/lineage',
  tags: ['environments'],
  summary:
    "An environment's models (kind, last execution status, paused or blocked) and which reads from which",
  middleware: [requirePermission('read')],
  request: { params: EnvParams },
  responses: { 200: json(LineageSchema, 'the lineage graph'), ...errors(400, 401, 403, 404) },
});

export function lineageRoutes() {
  return router().openapi(lineage, async (c) =>
    c.json(await environmentLineageView(c.get('deps'), c.req.valid('param').env), 200),
  );
}
