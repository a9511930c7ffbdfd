/** Pausing and resuming environments and single models. */
import { z } from '@hono/zod-openapi';
import { EnvironmentName, ModelName, Timestamp } from './common.ts';

const Reason = z.string().trim().min(1, 'a reason is required (say why, e.g. "late source data")').max(2000);

export const PauseEnvironmentBody = z.object({ reason: Reason }).openapi('PauseEnvironmentRequest');

export const PauseModelBody = z.object({ model: ModelName, reason: Reason }).openapi('PauseModelRequest');

export const PauseChangeSchema = z
  .object({
    environment: z.string(),
    model: z.string().nullable(),
    action: z.enum(['pause', 'resume']),
    reason: z.string().nullable(),
    actor: z.string(),
    confirmed: z.boolean().openapi({
      description:
        'true when the environment workflow already shows the change; false when it has accepted the signal but not processed it yet',
    }),
  })
  .openapi('PauseChange');

export const PauseSchema = z
  .object({
    environment: z.string(),
    model: z.string().nullable(),
    reason: z.string().nullable(),
    pausedBy: z.string(),
    pausedAt: Timestamp,
    blocks: z
      .array(z.string())
      .openapi({ description: 'models a scheduled run leaves out because of this pause' }),
  })
  .openapi('Pause');

export const PauseListSchema = z.object({ items: z.array(PauseSchema) }).openapi('PauseList');

export const ModelParams = z.object({
  env: EnvironmentName,
  model: ModelName.openapi({ param: { name: 'model', in: 'path' }, example: 'sales.orders' }),
});

export type PauseChange = z.infer<typeof PauseChangeSchema>;
