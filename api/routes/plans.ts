/**
 * Plans: `POST /plans` computes a project's plan against an environment and stores it, pending,
 * without applying anything, or, with `autoApply`, queues it at once behind whatever the
 * environment's queue holds (computed again when its turn comes); `POST /plans/{id}/apply` queues a
 * reviewed plan on the environment's workflow, strictly as computed; `GET /plans/{id}` follows it
 * (status, progress, queue position); `GET /plans` lists them.
 *
 * A request the user can fix is refused with a 4xx and one line naming the field or the reason,
 * and leaves nothing pending behind: a reviewed plan refused at apply is marked `rejected` with
 * that line as its error.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { validateEnvironmentName } from '../../core/naming.ts';
import type { PlanDiff } from '../../core/plan/types.ts';
import type { Project } from '../../core/project/types.ts';
import { firstProblem } from '../../core/validation/problem.ts';
import { instantProblem } from '../../core/validation/range.ts';
import { isCheckFailure } from '../../state/check-failure.ts';
import { checkPlanApplicable } from '../../state/plan/check.ts';
import {
  getPlan,
  getPlanProject,
  listPlanSummaries,
  type PlanRecord,
  type PlanStatus,
  rejectPendingPlan,
  setRecomputeOnTurn,
} from '../../state/plans.ts';
import { audit } from '../audit.ts';
import { checkEnvironment, requirePermission } from '../auth/authorize.ts';
import type { AppEnv } from '../context.ts';
import { checkCursor } from '../cursor.ts';
import { planChangesSomething, queuePlan } from '../environment-commands.ts';
import { type ApiError, badRequest, conflict, invalidRange, notFound } from '../errors.ts';
import { projectShapeError, submitPlan } from '../plan-submission.ts';
import { router } from '../router.ts';
import { errors, json, jsonBody } from '../schemas/common.ts';
import {
  AppliedPlanSchema,
  CreatePlanBody,
  PlanListQuery,
  PlanPageSchema,
  PlanParams,
  PlanSchema,
} from '../schemas/plans.ts';
import { callTemporal } from '../temporal-calls.ts';
import { commaValues, readEnd, readTime } from '../time-input.ts';
import { readTtl } from '../ttl-input.ts';
import { requireEnvironment } from '../views/environment-models.ts';
import { planSummaryViews, planView } from '../views/plan-view.ts';
import { readLiveState } from '../views/workflow-state.ts';

const create = createRoute({
  method: 'post',
  path: '/plans',
  tags: ['plans'],
  summary: "Compute and store a project's plan against an environment; with autoApply, queue it too",
  middleware: [requirePermission('deploy')],
  request: { body: jsonBody(CreatePlanBody) },
  responses: {
    201: json(
      PlanSchema,
      'the stored plan with its diff: pending, or applied when autoApply found nothing to change and nothing queued',
    ),
    202: json(PlanSchema, "autoApply: the plan is queued on the environment's workflow (see queuePosition)"),
    ...errors(400, 401, 403, 413, 415, 422, 503),
  },
});

const apply = createRoute({
  method: 'post',
  path: '/plans/{id}/apply',
  tags: ['plans'],
  summary: "Queue a pending plan on its environment's workflow",
  middleware: [requirePermission('deploy')],
  request: { params: PlanParams },
  responses: {
    202: json(AppliedPlanSchema, 'the plan is queued; position 1 applies next'),
    ...errors(400, 401, 403, 404, 409, 503),
  },
});

const list = createRoute({
  method: 'get',
  path: '/plans',
  tags: ['plans'],
  summary: 'Plans, newest first, with their diff counted and how far their backfill got',
  middleware: [requirePermission('read')],
  request: { query: PlanListQuery },
  responses: { 200: json(PlanPageSchema, 'one page of plans'), ...errors(400, 401, 403, 404) },
});

const show = createRoute({
  method: 'get',
  path: '/plans/{id}',
  tags: ['plans'],
  summary: 'A plan with its status, progress and queue position',
  middleware: [requirePermission('read')],
  request: { params: PlanParams },
  responses: { 200: json(PlanSchema, 'the plan'), ...errors(400, 401, 403, 404) },
});

export function planRoutes() {
  return router()
    .openapi(
      create,
      async (c) => {
        const deps = c.get('deps');
        const body = c.req.valid('json');
        try {
          validateEnvironmentName(body.environment);
        } catch (err) {
          throw badRequest(`environment: ${(err as Error).message}`, { field: 'environment' });
        }
        checkEnvironment(c.get('principal'), body.environment);
        const now = deps.now();
        const start = body.start === undefined ? undefined : readTime('start', body.start, now);
        const end = body.end === undefined ? undefined : readEnd('end', body.end, now);
        const outOfBounds = firstProblem(
          start === undefined ? null : instantProblem('start', start),
          end === undefined ? null : instantProblem('end', end),
        );
        if (outOfBounds) throw invalidRange(outOfBounds.message, { field: outOfBounds.field });
        if (start !== undefined && end !== undefined && !(start < end)) {
          throw invalidRange(
            `end ${JSON.stringify(body.end)} must be after start ${JSON.stringify(body.start)} ` +
              `(the range is [${new Date(start).toISOString()}, ${new Date(end).toISOString()}))`,
            { field: 'end' },
          );
        }
        const submitted = await submitPlan(c, {
          environment: body.environment,
          project: body.project,
          start,
          end,
          environmentTtlMs: readTtl(body.ttl, body.environment, body.project.config.environmentTtlMs),
          autoApply: body.autoApply === true,
        });
        return c.json(submitted.plan, submitted.status);
      },
      (result) => {
        if (!result.success) {
          throw projectShapeError(result.target, result.error, (result as { data?: unknown }).data);
        }
        return undefined;
      },
    )
    .openapi(apply, async (c) => {
      const deps = c.get('deps');
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const plan = await getPlan(deps.db, id);
      if (!plan) throw notFound(`unknown plan "${id}"`, { plan: id });
      checkEnvironment(principal, plan.environment);
      const env = plan.environment;
      if (plan.status !== 'pending') {
        if (plan.status === 'rejected') {
          throw conflict(
            `plan ${id} was rejected: ${plan.error ?? 'it cannot be applied'}; compute a new plan to change environment ${env}`,
            { plan: id, status: plan.status },
          );
        }
        if (plan.status === 'queued' || plan.status === 'applying') {
          const live = await readLiveState(deps, env);
          const position = positionIn(live.state?.plansQueued ?? [], id);
          throw conflict(
            `plan ${id} is already ${plan.status}${position === null ? '' : ` (position ${position} in environment ${env}'s queue)`}`,
            { plan: id, status: plan.status, position },
          );
        }
        throw conflict(`plan ${id} is ${plan.status}; compute a new plan to change environment ${env}`, {
          plan: id,
          status: plan.status,
        });
      }
      const diff = plan.diff as PlanDiff;
      if (!planChangesSomething(diff)) {
        throw await reject(
          c,
          plan,
          conflict(`plan ${id} changes nothing in environment ${env}; there is nothing to apply`, {
            plan: id,
          }),
        );
      }
      await refuseStale(c, plan, diff);
      const live = await readLiveState(deps, env);
      if (live.failure) throw live.failure;
      await refuseBehindOtherPlans(c, plan, live.state?.plansQueued ?? []);
      // a reviewed plan applies as computed, even one first stored to be applied automatically
      if (plan.recomputeOnTurn) await setRecomputeOnTurn(deps.db, id, false);
      const { position } = await callTemporal(deps, `queueing plan ${id} on environment ${env}`, () =>
        queuePlan({
          db: deps.db,
          client: deps.client,
          planId: id,
          environment: env,
          submittedBy: principal.actor,
          options: deps.environmentOptions,
        }),
      );
      await audit(c, { action: 'plan.apply', target: id, environment: env, details: { position } });
      const now = await getPlan(deps.db, id);
      return c.json({ planId: id, environment: env, status: now?.status ?? 'queued', position }, 202);
    })
    .openapi(list, async (c) => {
      const { db, now } = c.get('deps');
      const q = c.req.valid('query');
      const page = await listPlanSummaries(db, {
        environment: q.environment,
        status: commaValues<PlanStatus>(q.status),
        since: q.since === undefined ? undefined : readTime('since', q.since, now()),
        until: q.until === undefined ? undefined : readTime('until', q.until, now()),
        limit: q.limit,
        cursor: checkCursor(q.cursor, 'string'),
      });
      // "no plans" for an environment that does not exist would hide a typo
      if (page.items.length === 0 && q.environment !== undefined) await requireEnvironment(db, q.environment);
      return c.json({ items: await planSummaryViews(db, page.items), nextCursor: page.nextCursor }, 200);
    })
    .openapi(show, async (c) => {
      const deps = c.get('deps');
      const { id } = c.req.valid('param');
      const plan = await getPlan(deps.db, id);
      if (!plan) throw notFound(`unknown plan "${id}"`, { plan: id });
      let position: number | null = null;
      if (plan.status === 'queued' || plan.status === 'applying') {
        const live = await readLiveState(deps, plan.environment);
        position = positionIn(live.state?.plansQueued ?? [], id);
      }
      return c.json(await planView(deps.db, plan, position), 200);
    });
}

function positionIn(queue: ReadonlyArray<{ planId: string }>, planId: string): number | null {
  const index = queue.findIndex((p) => p.planId === planId);
  return index < 0 ? null : index + 1;
}

/**
 * A plan waiting or applying in the environment's queue will change the environment; a reviewed
 * plan computed before it ran would undo its work, so it is rejected with the waiting plan's
 * position (`sluice plan --auto-apply` queues behind it instead).
 */
async function refuseBehindOtherPlans(
  c: Context<AppEnv>,
  plan: PlanRecord,
  queue: ReadonlyArray<{ planId: string }>,
): Promise<void> {
  const index = queue.findIndex((p) => p.planId !== plan.id);
  const first = queue[index];
  if (first === undefined) return;
  throw await reject(
    c,
    plan,
    conflict(
      `plan ${first.planId} is already queued for environment ${plan.environment} at position ${index + 1}; ` +
        'wait until it has been applied, then plan again',
      { plan: first.planId, position: index + 1, environment: plan.environment },
    ),
  );
}

/**
 * The environment must still be what the plan was computed against: the same check the apply
 * workflow makes when it begins, made here so a stale plan is rejected before it is queued.
 */
async function refuseStale(c: Context<AppEnv>, plan: PlanRecord, diff: PlanDiff): Promise<void> {
  const { db } = c.get('deps');
  const project = await getPlanProject(db, plan.id);
  if (project === null) {
    throw await reject(
      c,
      plan,
      conflict(`plan ${plan.id} was stored without its project; compute a new plan`, { plan: plan.id }),
    );
  }
  try {
    await checkPlanApplicable({ db, project: project as Project, diff, planId: plan.id });
  } catch (err) {
    // the state database away is no reason to reject the plan
    if (!isCheckFailure(err)) throw err;
    throw await reject(
      c,
      plan,
      conflict(`plan ${plan.id} cannot be applied: ${err.message}`, { plan: plan.id }),
    );
  }
}

/**
 * Marks a pending plan that can never be applied `rejected`, with the refusal's message as its
 * error, and returns the refusal to throw: it is not left pending for ever.
 */
async function reject(c: Context<AppEnv>, plan: PlanRecord, refusal: ApiError): Promise<ApiError> {
  const { db, now } = c.get('deps');
  if (await rejectPendingPlan(db, plan.id, refusal.message, now())) {
    await audit(c, {
      action: 'plan.reject',
      target: plan.id,
      environment: plan.environment,
      reason: refusal.message,
    });
  }
  return refusal;
}
