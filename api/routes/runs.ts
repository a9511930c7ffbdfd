/** Runs: trigger one, list them, show one with its model executions, read an execution's log. */
import { createRoute } from '@hono/zod-openapi';
import { getExecution, runExecutions } from '../../state/executions.ts';
import { getRun, listRuns, type RunStatus, type RunTrigger } from '../../state/runs.ts';
import { audit } from '../audit.ts';
import { requirePermission } from '../auth/authorize.ts';
import { checkCursor } from '../cursor.ts';
import { ensureEnvironmentWorkflow, triggerRun } from '../environment-commands.ts';
import { notFound } from '../errors.ts';
import { checkRestatementRange } from '../restatement-range.ts';
import { router } from '../router.ts';
import { EnvParams, errors, json, jsonBody } from '../schemas/common.ts';
import {
  ExecutionLogSchema,
  ExecutionParams,
  RunDetailSchema,
  RunListQuery,
  RunPageSchema,
  RunParams,
  TriggeredRunSchema,
  TriggerRunBody,
} from '../schemas/runs.ts';
import { callTemporal } from '../temporal-calls.ts';
import { commaValues, readRange, readTime } from '../time-input.ts';
import { requireEnvironment, requireModel } from '../views/environment-models.ts';
import { executionView } from '../views/execution-view.ts';

const trigger = createRoute({
  method: 'post',
  path: '/environments/{env}/runs',
  tags: ['runs'],
  summary: 'Run now: every scheduled model, or a selection (with upstream), or a restatement of a range',
  middleware: [requirePermission('operate')],
  request: { params: EnvParams, body: jsonBody(TriggerRunBody) },
  responses: {
    202: json(TriggeredRunSchema, 'the run was queued on the environment workflow'),
    ...errors(400, 401, 403, 404, 409, 413, 415, 422, 503),
  },
});

const list = createRoute({
  method: 'get',
  path: '/runs',
  tags: ['runs'],
  summary: 'Runs, newest first',
  middleware: [requirePermission('read')],
  request: { query: RunListQuery },
  responses: { 200: json(RunPageSchema, 'one page of runs'), ...errors(400, 401, 403, 404) },
});

const show = createRoute({
  method: 'get',
  path: '/runs/{id}',
  tags: ['runs'],
  summary: 'One run with its model executions',
  middleware: [requirePermission('read')],
  request: { params: RunParams },
  responses: { 200: json(RunDetailSchema, 'the run'), ...errors(400, 401, 403, 404) },
});

const log = createRoute({
  method: 'get',
  path: '/runs/{id}/executions/{eid}/log',
  tags: ['runs'],
  summary: "An execution's rendered SQL, statements with timings, and warehouse notices",
  middleware: [requirePermission('read')],
  request: { params: ExecutionParams },
  responses: { 200: json(ExecutionLogSchema, 'the log'), ...errors(400, 401, 403, 404) },
});

export function runRoutes() {
  return router()
    .openapi(trigger, async (c) => {
      const deps = c.get('deps');
      const { env } = c.req.valid('param');
      const body = c.req.valid('json');
      await requireEnvironment(deps.db, env);
      const models = [...new Set(body.models ?? [])];
      for (const model of models) await requireModel(deps.db, env, model);
      const restate = body.restate ? readRange('restate', body.restate, deps.now()) : undefined;
      if (restate) await checkRestatementRange(deps.db, env, models, restate, deps.now());
      const { actor } = c.get('principal');
      const runId = await callTemporal(deps, `triggering a run in environment ${env}`, async () => {
        await ensureEnvironmentWorkflow(deps.client, env, deps.environmentOptions);
        return triggerRun(deps.client, env, {
          ...(models.length > 0 ? { models } : {}),
          ...(body.includeUpstream ? { includeUpstream: true } : {}),
          ...(restate ? { restate } : {}),
          requestedBy: actor,
        });
      });
      const kind = restate ? 'restatement' : 'manual';
      await audit(c, {
        action: restate ? 'run.restate' : 'run.trigger',
        target: runId,
        environment: env,
        details: { models, includeUpstream: body.includeUpstream ?? false, ...(restate ? { restate } : {}) },
      });
      return c.json(
        {
          runId,
          environment: env,
          trigger: kind,
          models,
          restate: restate
            ? { start: new Date(restate.start).toISOString(), end: new Date(restate.end).toISOString() }
            : null,
        } as const,
        202,
      );
    })
    .openapi(list, async (c) => {
      const { db, now } = c.get('deps');
      const q = c.req.valid('query');
      const page = await listRuns(db, {
        environment: q.environment,
        status: commaValues<RunStatus>(q.status),
        trigger: commaValues<RunTrigger>(q.trigger),
        since: q.since === undefined ? undefined : readTime('since', q.since, now()),
        until: q.until === undefined ? undefined : readTime('until', q.until, now()),
        limit: q.limit,
        cursor: checkCursor(q.cursor, 'string'),
      });
      // "no runs" of an environment that does not exist would hide a typo; runs kept of one since
      // removed stay readable
      if (page.items.length === 0 && q.environment !== undefined) await requireEnvironment(db, q.environment);
      return c.json(page, 200);
    })
    .openapi(show, async (c) => {
      const { db } = c.get('deps');
      const { id } = c.req.valid('param');
      const run = await getRun(db, id);
      if (!run) throw notFound(`unknown run "${id}"`, { run: id });
      const executions = await runExecutions(db, id);
      return c.json({ ...run, executions: executions.map(executionView) }, 200);
    })
    .openapi(log, async (c) => {
      const { db } = c.get('deps');
      const { id, eid } = c.req.valid('param');
      const execution = await getExecution(db, eid);
      if (!execution || execution.runId !== id) {
        throw notFound(`run "${id}" has no execution "${eid}"`, { run: id, execution: eid });
      }
      return c.json(
        {
          executionId: execution.id,
          runId: execution.runId,
          model: execution.model,
          status: execution.status,
          error: execution.error,
          skipReason: execution.skipReason,
          renderedSql: execution.log?.renderedSql ?? null,
          statements: (execution.log?.statements ?? []).map((s) => ({
            sql: s.sql,
            durationMs: s.durationMs,
            rowsAffected: s.rowsAffected ?? null,
          })),
          notices: execution.log?.notices ?? [],
        },
        200,
      );
    });
}
