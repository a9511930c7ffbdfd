/**
 * Cancelling a run (`POST /runs/{id}/cancel`, operator) or a plan (`POST /plans/{id}/cancel`,
 * deployer). A run's workflow is cancelled: its executors stop their statements on the warehouse
 * (rolled back, so nothing half-written stays visible), the models not yet started stay unrun, and
 * the run ends `cancelled`; a triggered run still waiting for other runs' models leaves its
 * environment's queue and ends `cancelled`. A queued plan leaves the queue; a plan being applied has its backfill
 * cancelled before its views change. Either way the record says who cancelled it. The answer is
 * 202: the workflow records the end once its statements have stopped.
 */
import { createRoute } from '@hono/zod-openapi';
import { getPlan, PLAN_FINAL, updatePlan } from '../../state/plans.ts';
import { getRun, RUN_FINAL, updateRunStatus } from '../../state/runs.ts';
import { audit } from '../audit.ts';
import { checkEnvironment, requirePermission } from '../auth/authorize.ts';
import { cancelPlan, cancelQueuedRun, cancelRun } from '../environment-commands.ts';
import { conflict, notFound } from '../errors.ts';
import { router } from '../router.ts';
import { CancelledPlanSchema, CancelledRunSchema } from '../schemas/cancellations.ts';
import { errors, json } from '../schemas/common.ts';
import { PlanParams } from '../schemas/plans.ts';
import { RunParams } from '../schemas/runs.ts';
import { callTemporal } from '../temporal-calls.ts';

const cancelRunRoute = createRoute({
  method: 'post',
  path: '/runs/{id}/cancel',
  tags: ['runs'],
  summary: 'Cancel a run: its statements are cancelled on the warehouse, and it ends cancelled',
  middleware: [requirePermission('operate')],
  request: { params: RunParams },
  responses: {
    202: json(CancelledRunSchema, 'the cancellation was asked; the run records its end'),
    ...errors(400, 401, 403, 404, 409, 503),
  },
});

const cancelPlanRoute = createRoute({
  method: 'post',
  path: '/plans/{id}/cancel',
  tags: ['plans'],
  summary: 'Cancel a plan: a queued one leaves the queue, one being applied stops before its views change',
  middleware: [requirePermission('deploy')],
  request: { params: PlanParams },
  responses: {
    202: json(CancelledPlanSchema, 'the cancellation was asked; the plan records its end'),
    ...errors(400, 401, 403, 404, 409, 503),
  },
});

export function cancellationRoutes() {
  return router()
    .openapi(cancelRunRoute, async (c) => {
      const deps = c.get('deps');
      const { id } = c.req.valid('param');
      const run = await getRun(deps.db, id);
      if (!run) throw notFound(`unknown run "${id}"`, { run: id });
      const { actor } = c.get('principal');
      checkEnvironment(c.get('principal'), run.environment);
      if (RUN_FINAL.has(run.status))
        throw conflict(`run ${id} is already ${run.status}`, { status: run.status });
      if (run.planId) {
        throw conflict(`run ${id} is the backfill of plan ${run.planId}: cancel the plan instead`, {
          plan: run.planId,
        });
      }
      await updateRunStatus(deps.db, id, run.status, { cancelledBy: actor });
      await callTemporal(deps, `cancelling run ${id}`, () =>
        run.status === 'queued'
          ? cancelQueuedRun(deps.client, run.environment, id, actor)
          : cancelRun(deps.client, id),
      );
      await audit(c, { action: 'run.cancel', target: id, environment: run.environment });
      return c.json({ runId: id, environment: run.environment, status: run.status, cancelledBy: actor }, 202);
    })
    .openapi(cancelPlanRoute, async (c) => {
      const deps = c.get('deps');
      const { id } = c.req.valid('param');
      const plan = await getPlan(deps.db, id);
      if (!plan) throw notFound(`unknown plan "${id}"`, { plan: id });
      const { actor } = c.get('principal');
      checkEnvironment(c.get('principal'), plan.environment);
      if (PLAN_FINAL.has(plan.status)) {
        throw conflict(`plan ${id} is already ${plan.status}`, { status: plan.status });
      }
      let status = plan.status;
      if (plan.status === 'pending') {
        // Never queued: nothing runs it, so it ends here.
        status = (
          await updatePlan(deps.db, id, {
            status: 'cancelled',
            cancelledBy: actor,
            error: `cancelled by ${actor}`,
          })
        ).status;
      } else {
        await updatePlan(deps.db, id, { cancelledBy: actor });
        await callTemporal(deps, `cancelling plan ${id}`, () =>
          cancelPlan(deps.client, plan.environment, id, actor),
        );
      }
      await audit(c, { action: 'plan.cancel', target: id, environment: plan.environment });
      return c.json({ planId: id, environment: plan.environment, status, cancelledBy: actor }, 202);
    });
}
