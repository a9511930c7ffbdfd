/** Notification webhooks and their deliveries. */
import { z } from '@hono/zod-openapi';
import { NOTIFICATION_EVENTS } from '../../core/notifications/events.ts';
import { WEBHOOK_FORMATS, webhookUrlProblem } from '../../core/notifications/webhook-input.ts';
import { patternProblem } from '../auth/patterns.ts';
import { OpaqueName, Timestamp } from './common.ts';

/** A refinement reporting `problem(value)` without its leading `field: ` (the issue's path names it). */
function refinedBy(problem: (value: string) => string | undefined) {
  return (value: string, ctx: z.core.$RefinementCtx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message: message.replace(/^[a-z]+: /, '') });
  };
}

export const WebhookSchema = z
  .object({
    id: z.string(),
    environment: z.string().openapi({ description: 'an environment name or pattern (`prod`, `pr_*`, `*`)' }),
    url: z.string(),
    events: z.array(z.enum(NOTIFICATION_EVENTS)),
    format: z.enum(WEBHOOK_FORMATS),
    createdBy: z.string(),
    createdAt: Timestamp,
  })
  .openapi('Webhook');

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({
    description: 'the signing secret (`whsec_…`): shown only in this reply, store it with the receiver now',
  }),
}).openapi('CreatedWebhook');

export const WebhookListSchema = z.object({ items: z.array(WebhookSchema) }).openapi('WebhookList');

export const CreateWebhookBody = z
  .object({
    environment: z.string().min(1).max(200).superRefine(refinedBy(patternProblem)),
    url: z.string().min(1).superRefine(refinedBy(webhookUrlProblem)),
    events: z
      .array(z.enum(NOTIFICATION_EVENTS))
      .min(1)
      .default([...NOTIFICATION_EVENTS])
      .openapi({ description: 'the events to be told about; all of them when left out' }),
    format: z
      .enum(WEBHOOK_FORMATS)
      .default('json')
      .openapi({ description: '`json` (signed sluice event) or `slack` (a `{text, blocks}` message)' }),
  })
  .openapi('CreateWebhookRequest');

export const WebhookParams = z.object({
  id: OpaqueName('id').openapi({ param: { name: 'id', in: 'path' }, example: 'wh_1a2b3c4d5e6f' }),
});

export const DeliveryListQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .openapi({ description: 'most deliveries listed (50)' }),
});

const AttemptSchema = z
  .object({
    attempt: z.number().int(),
    at: Timestamp,
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
  })
  .openapi('DeliveryAttempt');

export const DeliverySchema = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    eventType: z.string(),
    eventKey: z.string(),
    environment: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    createdAt: Timestamp,
    body: z.record(z.string(), z.unknown()).openapi({ description: 'the JSON event every attempt sent' }),
    attempts: z.array(AttemptSchema),
  })
  .openapi('Delivery');

export const DeliveryListSchema = z.object({ items: z.array(DeliverySchema) }).openapi('DeliveryList');

export const TestDeliverySchema = z
  .object({ deliveryId: z.string(), webhookId: z.string() })
  .openapi('TestDelivery');
