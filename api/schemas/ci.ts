/** Pull requests' environments (`/api/ci/pull-requests/{number}`): plan one, read its summary, close it. */
import { z } from '@hono/zod-openapi';
import { pullRequestProblem } from '../../core/ci/pull-request.ts';
import { environmentNameProblem } from '../../core/validation/identifiers.ts';
import { checkedBy } from './common.ts';
import { PlanSchema } from './plans.ts';
import { ProjectSchema } from './project.ts';

export const PullRequestParams = z.object({
  number: z
    .string()
    .superRefine((value, ctx) => {
      const problem = pullRequestProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .openapi({ param: { name: 'number', in: 'path' }, example: '7' }),
});

export const CiPlanBody = z
  .object({
    project: ProjectSchema,
    ttl: z.string().optional().openapi({
      description:
        "once applied, the pull request's environment expires this long after (12h, 3d, 2w) and the janitor deletes it; the project's sluice: environment_ttl when not given",
    }),
    base: z
      .string()
      .min(1)
      .superRefine(checkedBy('base', environmentNameProblem))
      .optional()
      .openapi({
        description:
          "the environment the pull request's environment is created from (prod by default); once it exists, " +
          'each plan is computed against the environment itself',
      }),
  })
  .openapi('CiPlanRequest');

export const CiPlanSchema = z
  .object({
    pullRequest: z.number().int(),
    environment: z.string(),
    plan: PlanSchema,
  })
  .openapi('CiPlan');

const names = z.array(z.string());
const Progress = z.object({ done: z.number().int(), total: z.number().int() });

export const CiSummarySchema = z
  .object({
    pullRequest: z.number().int(),
    environment: z.string(),
    planId: z.string().nullable(),
    status: z.string().nullable().openapi({ description: "the plan's status" }),
    outcome: z.enum(['applied', 'failed', 'rejected', 'in_progress']),
    exitCode: z
      .number()
      .int()
      .nullable()
      .openapi({ description: '0 applied, 1 failed, 2 rejected; null while in progress' }),
    error: z.string().nullable(),
    base: z.string().nullable().openapi({ description: 'the environment the plan was computed against' }),
    models: z.object({
      added: names,
      breaking: names.openapi({ description: 'directly modified: rebuilt with their downstream' }),
      indirect: names.openapi({ description: 'indirectly modified: an upstream model changed' }),
      nonBreaking: names.openapi({ description: 'metadata only: nothing rebuilt' }),
      removed: names,
    }),
    backfill: z.object({
      start: z.number().nullable().openapi({ description: 'where the backfill starts, epoch ms' }),
      models: z.array(z.object({ model: z.string(), batches: z.number().int() })),
      progress: z.object({ models: Progress, batches: Progress }).nullable(),
    }),
    audits: z.array(
      z.object({
        model: z.string(),
        name: z.string(),
        blocking: z.boolean(),
        failingRows: z.number().int(),
        runs: z.number().int(),
      }),
    ),
    blockingAuditFailures: z.number().int(),
    failures: z.array(z.object({ model: z.string(), error: z.string() })),
    expiresAt: z.number().nullable(),
    links: z.object({ dashboard: z.string().nullable(), temporal: z.string().nullable() }),
    markdown: z.string().openapi({ description: 'the summary as a pull request comment' }),
  })
  .openapi('CiSummary');
