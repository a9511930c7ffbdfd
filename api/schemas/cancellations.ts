/** What a cancellation answers: the run or plan, the status it had, and who asked. */
import { z } from '@hono/zod-openapi';
import { PLAN_STATUSES, RUN_STATUSES } from '../../db/schema.ts';

export const CancelledRunSchema = z
  .object({
    runId: z.string(),
    environment: z.string(),
    status: z.enum(RUN_STATUSES).openapi({ description: 'the run’s status when the cancellation was asked' }),
    cancelledBy: z.string(),
  })
  .openapi('CancelledRun');

export const CancelledPlanSchema = z
  .object({
    planId: z.string(),
    environment: z.string(),
    status: z.enum(PLAN_STATUSES).openapi({
      description: 'cancelled at once for a pending plan; otherwise the status when it was asked',
    }),
    cancelledBy: z.string(),
  })
  .openapi('CancelledPlan');
