/** Environments: the list, and one environment's models and schedule as the DB and its workflow see them. */
import { z } from '@hono/zod-openapi';
import { Timestamp } from './common.ts';

export const PauseInfoSchema = z
  .object({ reason: z.string().nullable(), actor: z.string(), at: Timestamp })
  .openapi('PauseInfo');

export const LastExecutionSchema = z
  .object({
    executionId: z.string(),
    runId: z.string(),
    status: z.string(),
    queuedAt: Timestamp,
    finishedAt: Timestamp.nullable(),
    durationMs: z.number().nullable(),
    error: z.string().nullable(),
  })
  .openapi('LastExecution');

export const OverScheduledSchema = z
  .object({
    executions: z.number().int().openapi({ description: 'how many recent executions were averaged' }),
    averageMs: z.number().int(),
    periodMs: z.number().int().openapi({ description: 'the usual gap between two ticks of its cron' }),
    message: z.string(),
  })
  .openapi('OverScheduled', {
    description:
      'the model is over-scheduled: its recent scheduled and manual executions (at least 3, at most the last 5) ' +
      'took longer on average than its cron period, so ticks find it still running and are skipped; their ' +
      'intervals run in its next execution',
  });

export const EnvironmentSummarySchema = z
  .object({
    name: z.string(),
    planId: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    finalizedAt: Timestamp.nullable(),
    expiresAt: Timestamp.nullable(),
    modelCount: z.number().int(),
    paused: z.boolean(),
    pausedModels: z.array(z.string()),
  })
  .openapi('EnvironmentSummary');

export const EnvironmentListSchema = z
  .object({ items: z.array(EnvironmentSummarySchema) })
  .openapi('EnvironmentList');

export const EnvironmentModelSchema = z
  .object({
    name: z.string(),
    snapshotId: z.string(),
    kind: z.string(),
    cron: z.string(),
    cronTz: z.string(),
    intervalUnit: z.string(),
    enabled: z.boolean(),
    /** whether the model has work on its cron (views and seeds do not). */
    scheduled: z.boolean(),
    nextRun: Timestamp.nullable(),
    paused: PauseInfoSchema.nullable(),
    /** why a scheduled run leaves the model out now (it or an upstream model is paused). */
    blockedReason: z.string().nullable(),
    running: z.boolean(),
    lastExecution: LastExecutionSchema.nullable(),
    overScheduled: OverScheduledSchema.nullable(),
    missingIntervals: z
      .number()
      .int()
      .nullable()
      .openapi({
        description:
          'unit intervals since the model’s start that are ready and not complete (what its next run processes); ' +
          'null for kinds without intervals of their own (views, seeds, embedded models)',
      }),
  })
  .openapi('EnvironmentModel');

export const WorkflowStateSchema = z
  .object({
    running: z.boolean(),
    /** why the state could not be read (Temporal unreachable, no scheduler worker); null otherwise. */
    error: z.string().nullable(),
    details: z.string().nullable(),
    nextWake: z.object({ at: Timestamp, models: z.array(z.string()) }).nullable(),
    runsInFlight: z.array(
      z.object({
        runId: z.string(),
        trigger: z.string(),
        models: z.array(z.string()),
        done: z.array(z.string()),
        scheduledAt: Timestamp,
        startedAt: Timestamp,
      }),
    ),
    plansQueued: z.array(
      z.object({
        planId: z.string(),
        submittedBy: z.string(),
        submittedAt: Timestamp,
        position: z.number().int(),
      }),
    ),
    applyingPlan: z.string().nullable(),
    workInFlight: z
      .array(
        z.object({
          kind: z.enum(['run', 'plan']),
          id: z.string(),
          workflowId: z.string(),
          startedAt: Timestamp,
          runningForMs: z.number().int(),
          limitMs: z.number().int(),
          stuck: z.boolean(),
        }),
      )
      .openapi({
        description:
          'each run in flight and the plan being applied: how long it has been going, and whether it went past its limit (a few times the longest batch seen for its models, at least SLUICE_STUCK_AFTER)',
      }),
    lastError: z.object({ at: Timestamp, message: z.string() }).nullable().openapi({
      description: "the environment's last step that failed for good; the environment carried on",
    }),
  })
  .openapi('WorkflowState');

export const EnvironmentDetailSchema = EnvironmentSummarySchema.extend({
  pause: PauseInfoSchema.nullable(),
  workflow: WorkflowStateSchema,
  models: z.array(EnvironmentModelSchema),
}).openapi('EnvironmentDetail');

export type EnvironmentDetail = z.infer<typeof EnvironmentDetailSchema>;
export type EnvironmentModelView = z.infer<typeof EnvironmentModelSchema>;
export type WorkflowStateView = z.infer<typeof WorkflowStateSchema>;
export type PauseInfoView = z.infer<typeof PauseInfoSchema>;
export type OverScheduledView = z.infer<typeof OverScheduledSchema>;

export const EnvironmentDeletionSchema = z
  .object({
    environment: z.string(),
    workflowId: z.string(),
    status: z.string().openapi({
      description: "the deletion workflow's status as Temporal says it: RUNNING, COMPLETED, FAILED, ...",
    }),
    startedAt: Timestamp.nullable(),
    closedAt: Timestamp.nullable(),
    result: z
      .object({
        environment: z.string(),
        removed: z.boolean(),
        runs: z.array(z.string()),
        plans: z.array(z.string()),
        schemas: z.array(z.string()),
        keptSchemas: z.array(z.string()),
      })
      .nullable()
      .openapi({
        description:
          'what the deletion did, once completed: whether state was removed, the runs and plans it stopped, the schemas it dropped and those it kept because they hold other objects',
      }),
    error: z.string().nullable(),
  })
  .openapi('EnvironmentDeletion');
