/**
 * Environments: list them, show one (models, schedule, pauses, workflow), pause and resume one,
 * delete one and read how its deletion went.
 */
import { createRoute } from '@hono/zod-openapi';
import { audit } from '../audit.ts';
import { requirePermission } from '../auth/authorize.ts';
import { environmentDeletion, startEnvironmentDeletion } from '../environment-deletion.ts';
import { changePause } from '../pausing.ts';
import { router } from '../router.ts';
import { EnvParams, errors, json, jsonBody } from '../schemas/common.ts';
import {
  EnvironmentDeletionSchema,
  EnvironmentDetailSchema,
  EnvironmentListSchema,
} from '../schemas/environments.ts';
import { PauseChangeSchema, PauseEnvironmentBody } from '../schemas/pauses.ts';
import { environmentDetail, environmentSummaries } from '../views/environment-detail.ts';

const list = createRoute({
  method: 'get',
  path: '/environments',
  tags: ['environments'],
  summary: 'List environments',
  middleware: [requirePermission('read')],
  responses: { 200: json(EnvironmentListSchema, 'every environment'), ...errors(401, 403) },
});

const show = createRoute({
  method: 'get',
  path: '/environments/{env}',
  tags: ['environments'],
  summary: "One environment's models, schedule, pauses and workflow state",
  middleware: [requirePermission('read')],
  request: { params: EnvParams },
  responses: { 200: json(EnvironmentDetailSchema, 'the environment'), ...errors(400, 401, 403, 404) },
});

const pause = createRoute({
  method: 'post',
  path: '/environments/{env}/pause',
  tags: ['environments'],
  summary: 'Pause a whole environment: no model runs on schedule until it is resumed',
  middleware: [requirePermission('operate')],
  request: { params: EnvParams, body: jsonBody(PauseEnvironmentBody) },
  responses: {
    202: json(PauseChangeSchema, 'the pause was sent to the environment workflow'),
    ...errors(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

const resume = createRoute({
  method: 'post',
  path: '/environments/{env}/resume',
  tags: ['environments'],
  summary: 'Resume a paused environment; every model catches up what it missed',
  middleware: [requirePermission('operate')],
  request: { params: EnvParams },
  responses: {
    202: json(PauseChangeSchema, 'the resume was sent to the environment workflow'),
    ...errors(400, 401, 403, 404, 409, 503),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/environments/{env}',
  tags: ['environments'],
  summary:
    'Delete a non-prod environment: stop its workflow and runs, drop its views and schemas on an apply executor, remove its state',
  middleware: [requirePermission('deploy')],
  request: { params: EnvParams },
  responses: {
    202: json(EnvironmentDeletionSchema, 'the deletion started, or was already under way'),
    ...errors(400, 401, 403, 503),
  },
});

const deletion = createRoute({
  method: 'get',
  path: '/environments/{env}/deletion',
  tags: ['environments'],
  summary: "How the environment's last deletion went",
  middleware: [requirePermission('read')],
  request: { params: EnvParams },
  responses: { 200: json(EnvironmentDeletionSchema, 'the deletion'), ...errors(400, 401, 403, 404, 503) },
});

export function environmentRoutes() {
  return router()
    .openapi(list, async (c) => c.json({ items: await environmentSummaries(c.get('deps')) }, 200))
    .openapi(show, async (c) => c.json(await environmentDetail(c.get('deps'), c.req.valid('param').env), 200))
    .openapi(pause, async (c) => {
      const { env } = c.req.valid('param');
      const { reason } = c.req.valid('json');
      return c.json(await changePause(c, { environment: env, model: null, action: 'pause', reason }), 202);
    })
    .openapi(resume, async (c) => {
      const { env } = c.req.valid('param');
      return c.json(await changePause(c, { environment: env, model: null, action: 'resume' }), 202);
    })
    .openapi(remove, async (c) => {
      const { env } = c.req.valid('param');
      const started = await startEnvironmentDeletion(c.get('deps'), env, c.get('principal').actor);
      await audit(c, {
        action: 'environment.delete',
        target: env,
        environment: env,
        details: { workflowId: started.workflowId },
      });
      return c.json(started, 202);
    })
    .openapi(deletion, async (c) =>
      c.json(await environmentDeletion(c.get('deps'), c.req.valid('param').env), 200),
    );
}
