/**
 * Submitting a plan, as `POST /api/plans` and a pull request's `POST /api/ci/pull-requests/{n}/plan`
 * both do: the token must reach the environment, the project must be consistent, then the plan is
 * computed and stored pending and, with `autoApply`, queued behind whatever the environment's queue
 * holds. Each step is written to the audit log; a refused request writes nothing.
 */
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { NamingError } from '../core/naming.ts';
import { PlanRequestError } from '../core/plan/request-error.ts';
import type { PlanDiff } from '../core/plan/types.ts';
import type { Project, ProjectIssue } from '../core/project/types.ts';
import { storableProject } from '../state/plan/stored-project.ts';
import { getPlan } from '../state/plans.ts';
import { audit } from './audit.ts';
import { checkEnvironment } from './auth/authorize.ts';
import type { AppEnv } from './context.ts';
import { createPendingPlan, planChangesSomething, queueAutoAppliedPlan } from './environment-commands.ts';
import { ApiError, badRequest, formatPath, validationError } from './errors.ts';
import { checkProject } from './project-checks.ts';
import { callTemporal } from './temporal-calls.ts';
import { planView } from './views/plan-view.ts';

export interface PlanSubmission {
  environment: string;
  project: Project;
  /** development plans only: backfill from here (epoch ms, inclusive). */
  start?: number;
  /** development plans only: backfill up to here (epoch ms, exclusive). */
  end?: number;
  /** the environment a new environment starts from (prod by default). */
  createFrom?: string;
  /** once applied, the environment expires this long after (api/ttl-input.ts); null never. */
  environmentTtlMs?: number | null;
  autoApply: boolean;
}

/**
 * Stores (and with `autoApply` queues) the plan; returns its view with the status to answer: 201
 * stored (or applied at once, changing nothing), 202 queued.
 */
export async function submitPlan(c: Context<AppEnv>, submission: PlanSubmission) {
  const deps = c.get('deps');
  const { environment, autoApply } = submission;
  checkEnvironment(c.get('principal'), environment);
  const issues = checkProject(submission.project);
  if (issues.length > 0) throw invalidProject(issues);
  // connection settings stay with the executors: the scheduler side plans without them
  const project = storableProject(submission.project);
  const submittedBy = c.get('principal').actor;
  let created: { planId: string; diff: PlanDiff };
  try {
    created = await createPendingPlan({
      db: deps.db,
      project,
      environment,
      submittedBy,
      now: deps.now(),
      start: submission.start,
      end: submission.end,
      ...(submission.createFrom === undefined ? {} : { createFrom: submission.createFrom }),
      environmentTtlMs: submission.environmentTtlMs ?? null,
      // stays on only for a plan that queues behind another (see queueAutoAppliedPlan)
      recomputeOnTurn: autoApply,
    });
  } catch (err) {
    if (err instanceof PlanRequestError) throw badRequest(err.message, { field: err.field });
    if (err instanceof NamingError)
      throw invalidProject([{ file: 'project', line: 0, message: err.message }]);
    throw err;
  }
  const { planId } = created;
  await audit(c, {
    action: 'plan.create',
    target: planId,
    environment,
    details: { changes: planChangesSomething(created.diff), models: project.models.length },
  });
  let position: number | null = null;
  if (autoApply) {
    // Temporal away: the plan stays pending (the workflow may have it), as a reviewed one does.
    ({ position } = await callTemporal(deps, `queueing plan ${planId} on environment ${environment}`, () =>
      queueAutoAppliedPlan({
        db: deps.db,
        client: deps.client,
        planId,
        project,
        environment,
        submittedBy,
        options: deps.environmentOptions,
      }),
    ));
    await audit(c, {
      action: 'plan.apply',
      target: planId,
      environment,
      details: { position, autoApply: true },
    });
  }
  const plan = await getPlan(deps.db, planId);
  if (!plan) throw new Error(`plan "${planId}" vanished right after it was stored`);
  if (position !== null) return { status: 202 as const, plan: await planView(deps.db, plan, position) };
  return { status: 201 as const, plan: await planView(deps.db, plan, null) };
}

export function invalidProject(issues: Array<ProjectIssue & { path?: string }>): ApiError {
  const first = issues[0];
  const where = first ? (first.line > 0 ? `${first.file}:${first.line}` : first.file) : '';
  return new ApiError(
    422,
    'invalid_project',
    `project is not valid: ${issues.length} problem${issues.length === 1 ? '' : 's'}${first ? `, first ${where}: ${first.message}` : ''}; fix them and plan again (sluice validate shows them all)`,
    { issues },
  );
}

/**
 * A body whose only problems are in `project` is an invalid project (422), each problem placed at
 * the model file it concerns when the body says which; anything else is a 400.
 */
export function projectShapeError(target: string, error: z.ZodError, body: unknown): ApiError {
  const issues = error.issues;
  if (target !== 'json' || issues.some((issue) => issue.path[0] !== 'project')) {
    return validationError(target, error);
  }
  return invalidProject(
    issues.map((issue) => {
      const path = formatPath('project', issue.path.slice(1));
      const [, collection, index, ...rest] = issue.path;
      const location =
        collection === 'models' && typeof index === 'number' ? modelLocation(body, index) : null;
      if (location)
        return { ...location, message: `${formatPath('', rest) || 'model'}: ${issue.message}`, path };
      return { file: 'project', line: 0, message: `${path}: ${issue.message}`, path };
    }),
  );
}

function modelLocation(body: unknown, index: number): { file: string; line: number } | null {
  const model = (body as { project?: { models?: unknown[] } } | null)?.project?.models?.[index];
  const location = (model as { location?: { file?: unknown; line?: unknown } } | undefined)?.location;
  if (typeof location?.file !== 'string' || typeof location.line !== 'number') return null;
  return { file: location.file, line: location.line };
}
