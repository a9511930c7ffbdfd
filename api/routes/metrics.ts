/**
 * `GET /metrics`: the Prometheus text exposition of the API's metrics. With tokens on it needs an
 * API token of any role or SLUICE_METRICS_TOKEN (auth/metrics-access.ts); with authentication off it
 * is open.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiMetrics } from '../metrics/registry.ts';
import { router } from '../router.ts';
import { errors } from '../schemas/common.ts';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['health'],
  summary: 'Prometheus metrics: runs and executions by status, wait and duration histograms',
  description:
    'Send an API token of any role, or SLUICE_METRICS_TOKEN (for a Prometheus scrape config), unless ' +
    'authentication is off.',
  security: [{ bearer: [] }, { metricsToken: [] }],
  responses: {
    200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
    ...errors(401, 403),
  },
});

export function metricsRoutes(metrics: ApiMetrics) {
  return router().openapi(metricsRoute, async (c) => {
    const text = await metrics.registry.metrics();
    return c.text(text, 200, { 'Content-Type': metrics.registry.contentType });
  });
}
