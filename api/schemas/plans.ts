/** Plans: computing one from a project, applying it, and following its application. */
import { z } from '@hono/zod-openapi';
import { PLAN_STATUSES } from '../../db/schema.ts';
import {
  commaList,
  EnvironmentFilter,
  OpaqueName,
  PageQuery,
  pageOf,
  TimeInput,
  Timestamp,
} from './common.ts';
import { ProjectSchema } from './project.ts';

const names = z.array(z.string());

export const PlanDiffSchema = z
  .object({
    environment: z.string(),
    base: z.string().nullable(),
    now: z.number(),
    start: z.number().nullable(),
    end: z.number().nullable(),
    added: names,
    removed: names,
    directlyModified: names,
    indirectlyModified: names,
    metadataOnly: names,
    unchanged: names,
    newSnapshots: z.array(z.object({ model: z.string(), fingerprint: z.string(), snapshotId: z.string() })),
    snapshotMap: z.record(z.string(), z.string()),
    previousSnapshotMap: z.record(z.string(), z.string()),
    backfill: z.array(
      z.object({
        model: z.string(),
        snapshotId: z.string(),
        kind: z.string(),
        execution: z.enum(['batched', 'single']),
        intervals: z.array(z.tuple([z.number(), z.number()])),
      }),
    ),
    virtualUpdateOnly: z.boolean(),
  })
  .openapi('PlanDiff');

export const CreatePlanBody = z
  .object({
    environment: z.string().min(1),
    project: ProjectSchema,
    start: TimeInput.optional().openapi({
      description: 'development environments only: backfill from this time (prod always covers full history)',
    }),
    end: TimeInput.optional().openapi({
      description: 'development environments only: backfill up to this time (a date covers that whole day)',
    }),
    ttl: z.string().optional().openapi({
      description:
        'non-prod environments only: once the plan is applied the environment expires this long after (12h, 3d, 2w), and the janitor deletes it',
    }),
    autoApply: z
      .boolean()
      .optional()
      .openapi({
        description:
          "queue the plan on the environment's workflow at once, behind any plan queued or applying there; " +
          'a plan that queues behind another is computed again against the environment when its turn comes',
      }),
  })
  .openapi('CreatePlanRequest');

const PlanStatus = z.enum(PLAN_STATUSES).openapi({
  description:
    '`pending` stored, not queued; `queued`; `applying`; `applied` (also a plan that, when its turn came, ' +
    'changed nothing: its progress is `{ "step": "unchanged" }`); `failed`; `cancelled`; `rejected` refused ' +
    'before it was queued (stale, changes nothing, another plan in the way), never applied, the reason in ' +
    '`error`; `terminated` its apply workflow was terminated from the Temporal side',
});

const Progress = z.object({ done: z.number().int(), total: z.number().int() });

export const BackfillProgressSchema = z
  .object({ models: Progress, batches: Progress })
  .openapi('BackfillProgress', {
    description:
      "the plan's backfill: models whose every batch succeeded, and batches (executions) that succeeded, " +
      'each of the total its diff asks for; 0 done until the plan applies',
  });

/** What a plan's full record and its list item both say of it. */
const PlanHeadSchema = z.object({
  id: z.string(),
  environment: z.string(),
  status: PlanStatus,
  submittedBy: z.string(),
  submittedAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
  error: z.string().nullable().openapi({ description: 'why the plan failed or was rejected' }),
  cancelledBy: z.string().nullable().openapi({ description: 'who cancelled the plan, when someone did' }),
  recomputeOnTurn: z.boolean().openapi({
    description:
      'an auto-applied plan that queued behind another: its diff is computed again against the environment ' +
      'when its turn comes, and `diff` is then the diff applied',
  }),
});

export const PlanSchema = PlanHeadSchema.extend({
  progress: z
    .unknown()
    .nullable()
    .openapi({ description: 'the step the application reached, as it records it' }),
  backfillProgress: BackfillProgressSchema,
  diff: PlanDiffSchema,
  text: z.string().openapi({ description: 'the diff as `sqlmesh plan` prints it' }),
  changes: z.boolean().openapi({ description: 'false when applying the plan would change nothing' }),
  queuePosition: z
    .number()
    .int()
    .nullable()
    .openapi({ description: "position in the environment's plan queue (1 = applying or next)" }),
}).openapi('Plan');

export const AppliedPlanSchema = z
  .object({
    planId: z.string(),
    environment: z.string(),
    status: PlanStatus,
    position: z.number().int(),
  })
  .openapi('AppliedPlan');

export const PlanParams = z.object({
  id: OpaqueName('id').openapi({ param: { name: 'id', in: 'path' } }),
});

export const PlanSummarySchema = PlanHeadSchema.extend({
  counts: z
    .object({
      added: z.number().int(),
      removed: z.number().int(),
      directlyModified: z.number().int(),
      indirectlyModified: z.number().int(),
      metadataOnly: z.number().int(),
    })
    .openapi({ description: "how many models each kind of change in the plan's diff names" }),
  backfillProgress: BackfillProgressSchema,
}).openapi('PlanSummary');

export const PlanPageSchema = pageOf(PlanSummarySchema, 'PlanPage');

export const PlanListQuery = z.object({
  environment: EnvironmentFilter,
  status: commaList('status', PLAN_STATUSES),
  since: z.string().min(1).optional().openapi({ description: 'plans submitted at or after this time' }),
  until: z.string().min(1).optional().openapi({ description: 'plans submitted before this time' }),
  ...PageQuery,
});
