/** Every model's schedule: cron, time zone, interval unit, next run, paused state, last status. */
import { z } from '@hono/zod-openapi';
import { EnvironmentFilter, Timestamp } from './common.ts';

export const ScheduleEntrySchema = z
  .object({
    environment: z.string(),
    model: z.string(),
    kind: z.string(),
    cron: z.string(),
    cronTz: z.string(),
    intervalUnit: z.string(),
    nextRun: Timestamp.nullable(),
    enabled: z.boolean().openapi({ description: 'the model is enabled (`enabled` in its MODEL header)' }),
    scheduled: z.boolean().openapi({
      description:
        'the model is enabled and has work on its cron; SEED and plain VIEW models are built by plans only',
    }),
    paused: z.boolean(),
    blockedReason: z.string().nullable(),
    lastStatus: z.string().nullable(),
    lastRunAt: Timestamp.nullable(),
  })
  .openapi('ScheduleEntry');

export const ScheduleListSchema = z.object({ items: z.array(ScheduleEntrySchema) }).openapi('ScheduleList');

export const ScheduleQuery = z.object({ environment: EnvironmentFilter });
