/** Pauses of an environment: list them, pause one model, resume one model. */
import { createRoute } from '@hono/zod-openapi';
import { withDownstream } from '../../core/schedule.ts';
import { requirePermission } from '../auth/authorize.ts';
import { changePause } from '../pausing.ts';
import { router } from '../router.ts';
import { EnvParams, errors, json, jsonBody } from '../schemas/common.ts';
import { ModelParams, PauseChangeSchema, PauseListSchema, PauseModelBody } from '../schemas/pauses.ts';
import { toScheduled } from '../views/environment-detail.ts';
import { environmentModels } from '../views/environment-models.ts';
import { pausesOf, readLiveState } from '../views/workflow-state.ts';

const list = createRoute({
  method: 'get',
  path: '/environments/{env}/pauses',
  tags: ['pauses'],
  summary: "The environment's active pauses and the models each one keeps from running",
  middleware: [requirePermission('read')],
  request: { params: EnvParams },
  responses: { 200: json(PauseListSchema, 'active pauses'), ...errors(400, 401, 403, 404) },
});

const pauseModel = createRoute({
  method: 'post',
  path: '/environments/{env}/pauses',
  tags: ['pauses'],
  summary: 'Pause one model: it and its downstream do not run on schedule',
  middleware: [requirePermission('operate')],
  request: { params: EnvParams, body: jsonBody(PauseModelBody) },
  responses: {
    202: json(PauseChangeSchema, 'the pause was sent to the environment workflow'),
    ...errors(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

const resumeModel = createRoute({
  method: 'delete',
  path: '/environments/{env}/pauses/{model}',
  tags: ['pauses'],
  summary: 'Resume a paused model; it catches up every missed interval',
  middleware: [requirePermission('operate')],
  request: { params: ModelParams },
  responses: {
    202: json(PauseChangeSchema, 'the resume was sent to the environment workflow'),
    ...errors(400, 401, 403, 404, 409, 503),
  },
});

export function pauseRoutes() {
  return router()
    .openapi(list, async (c) => {
      const deps = c.get('deps');
      const { env } = c.req.valid('param');
      const models = (await environmentModels(deps.db, env)).map(toScheduled);
      const pauses = await pausesOf(deps, env, await readLiveState(deps, env));
      const items = [];
      if (pauses.environment) {
        items.push({
          environment: env,
          model: null,
          reason: pauses.environment.reason,
          pausedBy: pauses.environment.actor,
          pausedAt: pauses.environment.at,
          blocks: models.map((m) => m.name),
        });
      }
      for (const [model, info] of Object.entries(pauses.models).sort(([a], [b]) => (a < b ? -1 : 1))) {
        items.push({
          environment: env,
          model,
          reason: info.reason,
          pausedBy: info.actor,
          pausedAt: info.at,
          blocks: [...withDownstream(models, [model])].sort(),
        });
      }
      return c.json({ items }, 200);
    })
    .openapi(pauseModel, async (c) => {
      const { env } = c.req.valid('param');
      const { model, reason } = c.req.valid('json');
      return c.json(await changePause(c, { environment: env, model, action: 'pause', reason }), 202);
    })
    .openapi(resumeModel, async (c) => {
      const { env, model } = c.req.valid('param');
      return c.json(await changePause(c, { environment: env, model, action: 'resume' }), 202);
    });
}
