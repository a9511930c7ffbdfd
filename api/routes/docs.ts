/** The OpenAPI document (built from the same zod schemas that validate requests) and its HTML page. */
import { createRoute, z } from '@hono/zod-openapi';
import { DOCS_PAGE } from '../docs-page.ts';
import { router } from '../router.ts';
import { errors } from '../schemas/common.ts';

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'sluice',
    version: '0.1.0',
    description:
      'Scheduler for SQL model projects on Temporal: environments, pauses, runs, plans, schedules, audit log. ' +
      'Send "Authorization: Bearer <token>" unless the server runs with authentication off.',
  },
  security: [{ bearer: [] }],
};

const documentRoute = createRoute({
  method: 'get',
  path: '/api/openapi.json',
  tags: ['docs'],
  summary: 'This OpenAPI document',
  security: [],
  responses: {
    200: {
      description: 'OpenAPI 3.1',
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
    },
    ...errors(403),
  },
});

const pageRoute = createRoute({
  method: 'get',
  path: '/api/docs',
  tags: ['docs'],
  summary: 'The API reference as an HTML page',
  security: [],
  responses: {
    200: { description: 'HTML', content: { 'text/html': { schema: z.string() } } },
    ...errors(403),
  },
});

export function docsRoutes(document: () => unknown) {
  return router()
    .openapi(documentRoute, (c) => c.json(document() as Record<string, unknown>, 200))
    .openapi(pageRoute, (c) => c.html(DOCS_PAGE, 200));
}
