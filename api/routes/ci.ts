/**
 * Pull requests' environments, for a CI system that speaks HTTP (what `sluice ci` calls):
 * `POST /ci/pull-requests/{number}/plan` plans a project into `pr_<number>` and queues it at once,
 * its backfill bounded to the project's `sluice: ci: backfill_days` (core/ci/backfill-range.ts);
 * `GET /ci/pull-requests/{number}` summarises the latest plan (JSON and Markdown for a comment);
 * `DELETE /ci/pull-requests/{number}` deletes the environment. Changing something needs role
 * deployer and a token whose patterns match `pr_<number>` (`pr_*` for a CI token, which reaches
 * no other environment).
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ciBackfillStart } from '../../core/ci/backfill-range.ts';
import { pullRequestEnvironment } from '../../core/ci/pull-request.ts';
import { audit } from '../audit.ts';
import { checkEnvironment, requirePermission } from '../auth/authorize.ts';
import type { AppEnv } from '../context.ts';
import { startEnvironmentDeletion } from '../environment-deletion.ts';
import { projectShapeError, submitPlan } from '../plan-submission.ts';
import { router } from '../router.ts';
import { CiPlanBody, CiPlanSchema, CiSummarySchema, PullRequestParams } from '../schemas/ci.ts';
import { errors, json, jsonBody } from '../schemas/common.ts';
import { EnvironmentDeletionSchema } from '../schemas/environments.ts';
import { readTtl } from '../ttl-input.ts';
import { pullRequestSummary } from '../views/ci-summary.ts';

const plan = createRoute({
  method: 'post',
  path: '/ci/pull-requests/{number}/plan',
  tags: ['ci'],
  summary: "Plan a project into a pull request's environment (pr_<number>) and queue it at once",
  middleware: [requirePermission('deploy')],
  request: { params: PullRequestParams, body: jsonBody(CiPlanBody) },
  responses: {
    201: json(CiPlanSchema, 'nothing to change and nothing queued: the plan is applied'),
    202: json(CiPlanSchema, "the plan is queued on the environment's workflow (see plan.queuePosition)"),
    ...errors(400, 401, 403, 413, 415, 422, 503),
  },
});

const summary = createRoute({
  method: 'get',
  path: '/ci/pull-requests/{number}',
  tags: ['ci'],
  summary: "The summary of a pull request's latest plan, with its Markdown for a comment",
  middleware: [requirePermission('read')],
  request: { params: PullRequestParams },
  responses: { 200: json(CiSummarySchema, 'the summary'), ...errors(400, 401, 403, 404) },
});

const close = createRoute({
  method: 'delete',
  path: '/ci/pull-requests/{number}',
  tags: ['ci'],
  summary: "Delete a pull request's environment (its views, schemas, workflow and state)",
  middleware: [requirePermission('deploy')],
  request: { params: PullRequestParams },
  responses: {
    202: json(EnvironmentDeletionSchema, 'the deletion started, or was already under way'),
    ...errors(400, 401, 403, 503),
  },
});

export interface CiRouteOptions {
  /** SLUICE_PUBLIC_API_URL: the dashboard's address in summaries; the request's own origin otherwise. */
  publicApiUrl?: string;
  /** SLUICE_TEMPORAL_UI_URL: summaries link the plan's workflow there. */
  temporalUiUrl?: string;
  namespace: () => string;
}

function environmentOf(c: Context<AppEnv>, number: string): string {
  const environment = pullRequestEnvironment(Number(number));
  checkEnvironment(c.get('principal'), environment);
  return environment;
}

export function ciRoutes(options: CiRouteOptions) {
  return router()
    .openapi(
      plan,
      async (c) => {
        const { number } = c.req.valid('param');
        const body = c.req.valid('json');
        const environment = environmentOf(c, number);
        const now = c.get('deps').now();
        const submitted = await submitPlan(c, {
          environment,
          project: body.project,
          start: ciBackfillStart(now, body.project.config.ci?.backfillDays),
          ...(body.base === undefined ? {} : { createFrom: body.base }),
          environmentTtlMs: readTtl(body.ttl, environment, body.project.config.environmentTtlMs),
          autoApply: true,
        });
        return c.json({ pullRequest: Number(number), environment, plan: submitted.plan }, submitted.status);
      },
      (result) => {
        if (!result.success) {
          throw projectShapeError(result.target, result.error, (result as { data?: unknown }).data);
        }
        return undefined;
      },
    )
    .openapi(summary, async (c) => {
      const { number } = c.req.valid('param');
      const summary = await pullRequestSummary(c.get('deps').db, Number(number), {
        api: options.publicApiUrl ?? new URL(c.req.url).origin,
        ...(options.temporalUiUrl === undefined ? {} : { temporalUi: options.temporalUiUrl }),
        namespace: options.namespace(),
      });
      return c.json(summary, 200);
    })
    .openapi(close, async (c) => {
      const { number } = c.req.valid('param');
      const environment = environmentOf(c, number);
      const started = await startEnvironmentDeletion(c.get('deps'), environment, c.get('principal').actor);
      await audit(c, {
        action: 'environment.delete',
        target: environment,
        environment,
        details: { workflowId: started.workflowId, pullRequest: Number(number) },
      });
      return c.json(started, 202);
    });
}
