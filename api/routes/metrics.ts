/** `GET /metrics`: the Prometheus text exposition of the API's metrics; it needs no token. */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiMetrics } from '../metrics/registry.ts';
import { router } from '../router.ts';
import { errors } from '../schemas/common.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['health'],
  summary: 'Prometheus metrics: runs and executions by status, wait and duration histograms',
  security: [],
  responses: {
    200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
    ...errors(403),
  },
});

export function metricsRoutes(metrics: ApiMetrics) {
  return router().openapi(metricsRoute, async (c) => {
    const text = await metrics.registry.metrics();
    return c.text(text, 200, { 'Content-Type': metrics.registry.contentType });
  });
}
