/**
 * A live tail of one run as Server-Sent Events: `run` when the run changes, `execution` when a model
 * execution appears or changes, and `end` once the run has finished, after which the stream closes.
 * The state DB is polled; each event carries the full current record.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { runExecutions } from '../../state/executions.ts';
import { getRun, type RunRecord } from '../../state/runs.ts';
import { requirePermission } from '../auth/authorize.ts';
import { notFound } from '../errors.ts';
import { router } from '../router.ts';
import { errors } from '../schemas/common.ts';
import { RunParams } from '../schemas/runs.ts';
import { executionView } from '../views/execution-view.ts';

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'skipped', 'terminated']);
const KEEPALIVE_MS = 15_000;

const events = createRoute({
  method: 'get',
  path: '/runs/{id}/events',
  tags: ['runs'],
  summary: 'Live tail of a run (Server-Sent Events) until it ends',
  description:
    'Events: `run` (data: a Run), `execution` (data: an Execution), `end` (data: the final Run). The stream closes after `end`.',
  middleware: [requirePermission('read')],
  request: { params: RunParams },
  responses: {
    200: {
      description: 'a text/event-stream of run, execution and end events',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...errors(400, 401, 403, 404),
  },
});

export function runEventRoutes() {
  return router().openapi(events, async (c) => {
    const { db, eventPollMs } = c.get('deps');
    const { id } = c.req.valid('param');
    const first = await getRun(db, id);
    if (!first) throw notFound(`unknown run "${id}"`, { run: id });
    return streamSSE(c, async (stream) => {
      let closed = false;
      stream.onAbort(() => {
        closed = true;
      });
      let sequence = 0;
      const send = (event: string, data: unknown) =>
        stream.writeSSE({ event, data: JSON.stringify(data), id: String(++sequence) });
      const seen = new Map<string, string>();
      let lastRun = '';
      let lastWrite = Date.now();
      let run: RunRecord | null = first;
      while (!closed && run) {
        const runKey = JSON.stringify(run);
        if (runKey !== lastRun) {
          lastRun = runKey;
          await send('run', run);
          lastWrite = Date.now();
        }
        for (const execution of await runExecutions(db, id)) {
          const view = executionView(execution);
          const key = JSON.stringify(view);
          if (seen.get(view.id) === key) continue;
          seen.set(view.id, key);
          await send('execution', view);
          lastWrite = Date.now();
        }
        if (FINAL.has(run.status)) {
          await send('end', run);
          break;
        }
        if (Date.now() - lastWrite >= KEEPALIVE_MS) {
          await stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await stream.sleep(eventPollMs);
        run = await getRun(db, id);
      }
    });
  });
}
