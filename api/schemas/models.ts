/** One model as an environment holds it: definition, versions elsewhere, lineage, coverage, history. */
import { z } from '@hono/zod-openapi';
import { EnvironmentName, ModelName, Timestamp } from './common.ts';
import { OverScheduledSchema } from './environments.ts';
import { ExecutionPageSchema } from './runs.ts';

export const ModelParams = z.object({
  env: EnvironmentName,
  name: ModelName.openapi({ param: { name: 'name', in: 'path' }, example: 'sales.orders' }),
});

export const MAX_COVERAGE_RANGES = 500;
export const MODEL_EXECUTIONS_SHOWN = 20;

const CoverageRangeSchema = z.object({
  start: Timestamp,
  end: Timestamp,
  status: z.enum(['complete', 'missing', 'running', 'failed']),
});

export const ModelDetailSchema = z
  .object({
    environment: z.string(),
    name: z.string(),
    snapshotId: z.string(),
    fingerprint: z.string(),
    kind: z.string(),
    cron: z.string(),
    cronTz: z.string(),
    intervalUnit: z.string(),
    start: Timestamp,
    end: Timestamp.nullable(),
    owner: z.string().nullable(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    gateway: z.string(),
    scheduled: z.boolean().openapi({ description: 'whether the model has work on its cron' }),
    nextRun: Timestamp.nullable(),
    overScheduled: OverScheduledSchema.nullable(),
    definition: z.object({
      header: z.record(z.string(), z.unknown()).openapi({
        description:
          "the model's header as loaded (kind, cron, start, grains, columns, audits...), without its query",
      }),
      query: z.string().openapi({ description: 'the query as written after the header' }),
      file: z.string().openapi({ description: 'the model file, relative to the project, and its line' }),
      line: z.number().int(),
    }),
    environments: z
      .array(
        z.object({
          environment: z.string(),
          snapshotId: z.string(),
          fingerprint: z.string(),
          same: z.boolean().openapi({ description: 'whether it is the snapshot this environment holds' }),
        }),
      )
      .openapi({ description: 'every environment that holds the model, with its snapshot there' }),
    parents: z.array(z.string()).openapi({ description: 'the models it reads, by name' }),
    children: z.array(z.string()).openapi({ description: 'the models of this environment that read it' }),
    lastBatch: z
      .object({
        executionId: z.string(),
        runId: z.string(),
        status: z.string(),
        interval: z.object({ start: Timestamp, end: Timestamp }).nullable(),
        renderedSql: z.string().nullable(),
        statements: z.array(z.object({ sql: z.string(), durationMs: z.number().nullable() })),
      })
      .nullable()
      .openapi({ description: 'the SQL of its latest execution that left a log; null when none did' }),
    coverage: z
      .object({
        start: Timestamp,
        end: Timestamp,
        ranges: z.array(CoverageRangeSchema),
        omitted: z
          .number()
          .int()
          .openapi({
            description: `older ranges left out: at most ${MAX_COVERAGE_RANGES} ranges, the newest, are returned`,
          }),
        missingIntervals: z.number().int(),
      })
      .nullable()
      .openapi({
        description:
          'its intervals from its start to the last ready one, as runs of one status; null for kinds without ' +
          'intervals of their own (views, seeds, embedded models)',
      }),
    /** its latest executions in this environment; the next page from `/api/models/{name}/executions`. */
    executions: ExecutionPageSchema,
  })
  .openapi('ModelDetail');

export type ModelDetail = z.infer<typeof ModelDetailSchema>;
