/** Runs, their model executions and logs, and triggering a run. */
import { z } from '@hono/zod-openapi';
import { EXECUTION_STATUSES, RUN_STATUSES, RUN_TRIGGERS } from '../../db/schema.ts';
import {
  commaList,
  EnvironmentFilter,
  ModelName,
  OpaqueName,
  PageQuery,
  pageOf,
  TimeInput,
  Timestamp,
} from './common.ts';

export const RunSchema = z
  .object({
    id: z.string(),
    environment: z.string(),
    trigger: z.enum(RUN_TRIGGERS),
    status: z.enum(RUN_STATUSES),
    scheduledAt: Timestamp,
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    models: z.array(z.string()),
    planId: z.string().nullable(),
    triggeredBy: z.string().nullable(),
    error: z.string().nullable(),
    skipReason: z.string().nullable(),
    cancelledBy: z.string().nullable().openapi({ description: 'who cancelled the run, when someone did' }),
    queuedReason: z.string().nullable().openapi({
      description:
        'why the run waits (or waited) while `queued`: for a run slot ("waiting for a run slot: 3 of 3 in use by ...") or for another run holding its models',
    }),
    readyAt: Timestamp.nullable().openapi({ description: 'when a run slot and its models were free' }),
    firstStatementAt: Timestamp.nullable().openapi({
      description: 'when its first statement reached the warehouse',
    }),
    waitMs: z.number().nullable().openapi({
      description:
        'wait time: from scheduledAt (the tick, or the request) until a run slot and its models were free',
    }),
    prepMs: z.number().nullable().openapi({
      description: 'prep time: from then until its first statement reached the warehouse',
    }),
    runMs: z
      .number()
      .nullable()
      .openapi({ description: 'run time: from its first statement until it ended' }),
  })
  .openapi('Run');

export const ExecutionSchema = z
  .object({
    id: z.string(),
    runId: z.string(),
    environment: z.string(),
    model: z.string(),
    snapshotId: z.string(),
    interval: z
      .object({ start: Timestamp, end: Timestamp })
      .nullable()
      .openapi({ description: 'the batch [start, end); null for models without time intervals' }),
    status: z.enum(EXECUTION_STATUSES),
    attempt: z.number().int(),
    executor: z.string().nullable(),
    queuedAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    waitMs: z.number().nullable(),
    durationMs: z.number().nullable(),
    rowsAffected: z.number().nullable(),
    error: z.string().nullable(),
    skipReason: z.string().nullable(),
    hasLog: z.boolean(),
  })
  .openapi('Execution');

export const RunDetailSchema = RunSchema.extend({ executions: z.array(ExecutionSchema) }).openapi(
  'RunDetail',
);

export const RunPageSchema = pageOf(RunSchema, 'RunPage');
export const ExecutionPageSchema = pageOf(ExecutionSchema, 'ExecutionPage');

export const ExecutionLogSchema = z
  .object({
    executionId: z.string(),
    runId: z.string(),
    model: z.string(),
    status: z.enum(EXECUTION_STATUSES),
    error: z.string().nullable(),
    skipReason: z.string().nullable(),
    renderedSql: z.string().nullable(),
    statements: z.array(
      z.object({ sql: z.string(), durationMs: z.number(), rowsAffected: z.number().nullable() }),
    ),
    notices: z.array(z.string()),
  })
  .openapi('ExecutionLog');

export const RunListQuery = z.object({
  environment: EnvironmentFilter,
  status: commaList('status', RUN_STATUSES),
  trigger: commaList('trigger', RUN_TRIGGERS),
  since: z.string().min(1).optional().openapi({ description: 'runs scheduled at or after this time' }),
  until: z.string().min(1).optional().openapi({ description: 'runs scheduled before this time' }),
  ...PageQuery,
});

export const ExecutionListQuery = z.object({
  environment: EnvironmentFilter,
  status: commaList('status', EXECUTION_STATUSES),
  since: z.string().min(1).optional().openapi({ description: 'executions queued at or after this time' }),
  until: z.string().min(1).optional().openapi({ description: 'executions queued before this time' }),
  ...PageQuery,
});

export const TriggerRunBody = z
  .object({
    models: z.array(ModelName).max(10_000).optional().openapi({
      description: 'models to run; every scheduled model of the environment when omitted or empty',
    }),
    includeUpstream: z.boolean().optional(),
    restate: z.object({ start: TimeInput, end: TimeInput }).optional().openapi({
      description: 'clear completed intervals in [start, end) and run them again; downstream follows',
    }),
  })
  .openapi('TriggerRunRequest');

export const TriggeredRunSchema = z
  .object({
    runId: z.string(),
    environment: z.string(),
    trigger: z.enum(['manual', 'restatement']),
    models: z.array(z.string()),
    restate: z.object({ start: Timestamp, end: Timestamp }).nullable(),
  })
  .openapi('TriggeredRun');

export const RunParams = z.object({
  id: OpaqueName('id').openapi({
    param: { name: 'id', in: 'path' },
    example: 'sluice-run-prod-20261125T1000Z',
  }),
});

export const ExecutionParams = RunParams.extend({
  eid: OpaqueName('eid').openapi({ param: { name: 'eid', in: 'path' } }),
});

export type ExecutionView = z.infer<typeof ExecutionSchema>;
