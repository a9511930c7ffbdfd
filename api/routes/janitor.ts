/** The janitor: run a pass now (or see what it would do), and the history of what it dropped. */
import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { listDrops } from '../../state/janitor-drops.ts';
import type { janitorRunWorkflow } from '../../workflows/index.ts';
import { audit } from '../audit.ts';
import { requirePermission } from '../auth/authorize.ts';
import { checkCursor } from '../cursor.ts';
import { router } from '../router.ts';
import { errors, json, jsonBody } from '../schemas/common.ts';
import {
  JanitorDropPageSchema,
  JanitorDropQuery,
  JanitorRunBody,
  JanitorRunSchema,
} from '../schemas/janitor.ts';
import { callTemporal } from '../temporal-calls.ts';

/** How long a pass asked for through the API may take before the request gives up waiting. */
const RUN_TIMEOUT_MS = 10 * 60_000;

const run = createRoute({
  method: 'post',
  path: '/janitor/runs',
  tags: ['janitor'],
  summary:
    'Run a janitor pass now: delete expired environments and drop unused tables on the apply executors (or, with dryRun, say what it would)',
  middleware: [requirePermission('deploy', { everyEnvironment: 'the janitor' })],
  request: { body: jsonBody(JanitorRunBody) },
  responses: { 200: json(JanitorRunSchema, 'what the pass did'), ...errors(400, 401, 403, 413, 415, 503) },
});

const drops = createRoute({
  method: 'get',
  path: '/janitor/drops',
  tags: ['janitor'],
  summary: 'The tables the janitor dropped (or is dropping), newest first',
  middleware: [requirePermission('read')],
  request: { query: JanitorDropQuery },
  responses: { 200: json(JanitorDropPageSchema, 'one page of drops'), ...errors(400, 401, 403) },
});

export function janitorRoutes() {
  return router()
    .openapi(run, async (c) => {
      const deps = c.get('deps');
      const dryRun = c.req.valid('json').dryRun === true;
      const workflowId = `sluice-janitor-run-${randomUUID()}`;
      const handle = await callTemporal(deps, 'starting a janitor pass', () =>
        deps.client.workflow.start<typeof janitorRunWorkflow>('janitorRunWorkflow', {
          taskQueue: TASK_QUEUES.scheduler,
          workflowId,
          args: [{ dryRun }],
          staticSummary: dryRun ? 'janitor dry run' : 'janitor pass asked for through the API',
        }),
      );
      if (!dryRun) await audit(c, { action: 'janitor.run', target: workflowId });
      const result = await callTemporal(deps, 'running the janitor', () => handle.result(), RUN_TIMEOUT_MS);
      const { storedPayloads, ...rest } = result;
      return c.json(
        {
          workflowId,
          ...rest,
          ...(storedPayloads === undefined
            ? {}
            : {
                storedPayloads: {
                  ...storedPayloads,
                  before:
                    storedPayloads.before === null ? null : new Date(storedPayloads.before).toISOString(),
                },
              }),
        },
        200,
      );
    })
    .openapi(drops, async (c) => {
      const q = c.req.valid('query');
      const page = await listDrops(c.get('deps').db, {
        limit: q.limit,
        cursor: checkCursor(q.cursor, 'string'),
      });
      return c.json(page, 200);
    });
}
