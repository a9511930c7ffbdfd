/**
 * The loaded project as the CLI sends it (core/project/types.ts `Project`), as a zod schema: the
 * API refuses a body that does not have this shape before anything looks at it.
 */

import { z } from '@hono/zod-openapi';
import { MAX_TTL_MS } from '../../core/environment/ttl.ts';
import { INTERVAL_UNITS } from '../../core/interval-unit.ts';
import { MAX_CI_BACKFILL_DAYS } from '../../core/project/sluice-settings.ts';
import type { IntervalUnit, Project } from '../../core/project/types.ts';

const text = z.string();
const location = z.object({ file: text, line: z.number().int().min(0) });
const timeValue = z.object({ raw: text, ms: z.number().int() });
const intervalUnit = z.enum(INTERVAL_UNITS as [IntervalUnit, ...IntervalUnit[]]);
const batchSize = z.number().int().min(1).optional();

export const ModelKindSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('VIEW'), materialized: z.boolean() }),
  z.object({ name: z.literal('FULL') }),
  z.object({
    name: z.literal('INCREMENTAL_BY_TIME_RANGE'),
    timeColumn: text.min(1),
    timeColumnFormat: text.optional(),
    batchSize,
    lookback: z.number().int().min(0),
  }),
  z.object({
    name: z.literal('INCREMENTAL_BY_UNIQUE_KEY'),
    uniqueKey: z.array(text.min(1)).min(1),
    batchSize,
    lookback: z.number().int().min(0),
  }),
  z.object({ name: z.literal('SEED'), path: text.min(1), batchSize }),
  z.object({ name: z.literal('EMBEDDED') }),
]);

export const ModelSchema = z
  .object({
    name: text.min(1),
    schema: text.min(1),
    table: text.min(1),
    kind: ModelKindSchema,
    dialect: text.min(1),
    cron: text.min(1),
    cronTz: text.min(1),
    intervalUnit,
    start: timeValue,
    end: timeValue.optional(),
    dependsOn: z.array(text),
    explicitDependsOn: z.array(text),
    grains: z.array(text),
    columns: z.array(z.object({ name: text, type: text })),
    audits: z.array(z.object({ name: text.min(1), args: z.record(text, text) })),
    owner: text.optional(),
    description: text.optional(),
    tags: z.array(text),
    enabled: z.boolean(),
    gateway: text.optional(),
    query: text,
    seed: z.object({ path: text, content: text }).optional(),
    location,
  })
  .openapi('Model');

const AuditSchema = z.object({
  name: text.min(1),
  query: text,
  blocking: z.boolean(),
  dialect: text.optional(),
  defaults: z.record(text, text),
  location,
});

const GatewayConnectionSchema = z
  .object({ type: z.enum(['duckdb', 'postgres']) })
  .catchall(z.union([z.string(), z.number(), z.boolean()]));

const ModelDefaultsSchema = z.object({
  dialect: text.optional(),
  kind: text.optional(),
  cron: text.optional(),
  cron_tz: text.optional(),
  start: text.optional(),
  interval_unit: intervalUnit.optional(),
  owner: text.optional(),
  enabled: z.boolean().optional(),
  gateway: text.optional(),
});

export const ProjectSchema = z
  .object({
    root: text,
    config: z.object({
      gateways: z.record(text, z.object({ connection: GatewayConnectionSchema })),
      defaultGateway: text.min(1),
      modelDefaults: ModelDefaultsSchema,
      ci: z
        .object({ backfillDays: z.number().int().min(1).max(MAX_CI_BACKFILL_DAYS) })
        .optional()
        .openapi({
          description: "`sluice: ci:` in config.yaml: how a pull request's environment is planned",
        }),
      environmentTtlMs: z.number().int().positive().max(MAX_TTL_MS).optional().openapi({
        description: "`sluice: environment_ttl` in config.yaml: a non-prod plan's TTL when it names none",
      }),
    }),
    models: z.array(ModelSchema),
    audits: z.record(text, AuditSchema),
    notices: z.array(text),
  })
  .openapi('Project');

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile when the schema and the loader's `Project` type drift apart. */
const sameShape: Same<z.output<typeof ProjectSchema>, Project> = true;
void sameShape;
