/**
 * Notification webhooks: add one (its signing secret is in this reply and nowhere else), list
 * them, remove one, send one a test event, and list its deliveries with every attempt.
 *
 * Managing webhooks needs the operator role, the role that runs an environment day to day, and a
 * token whose patterns cover the webhook's environment pattern: an operator of `pr_*` may be told
 * about `pr_*` and `pr_42`, not about `prod`. Webhooks outside a token's patterns are left out of
 * its listing and refused with 403. Viewers are refused too: a webhook's URL may itself be a secret
 * (Slack's are), and a webhook sends the environment's errors out of sluice.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { TASK_QUEUES } from '../../activities/contracts.ts';
import { testEvent } from '../../core/notifications/bodies.ts';
import { newWebhookSecret } from '../../crypto/webhook-signature.ts';
import { addDeliveries, deleteDeliveries, listDeliveries } from '../../state/notifications/deliveries.ts';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  type WebhookWithSecret,
  withoutSecret,
} from '../../state/notifications/webhooks.ts';
import { notificationsWorkflow } from '../../workflows/notifications.ts';
import { audit } from '../audit.ts';
import { requirePermission } from '../auth/authorize.ts';
import { patternsCover } from '../auth/patterns.ts';
import type { AppEnv, Principal } from '../context.ts';
import { forbidden, notFound } from '../errors.ts';
import { router } from '../router.ts';
import { errors, json, jsonBody } from '../schemas/common.ts';
import {
  CreatedWebhookSchema,
  CreateWebhookBody,
  DeliveryListQuery,
  DeliveryListSchema,
  TestDeliverySchema,
  WebhookListSchema,
  WebhookParams,
  WebhookSchema,
} from '../schemas/notifications.ts';
import { callTemporal } from '../temporal-calls.ts';

const create = createRoute({
  method: 'post',
  path: '/notifications',
  tags: ['notifications'],
  summary: 'Add a webhook; its signing secret is shown once, in this reply',
  middleware: [requirePermission('manage_notifications')],
  request: { body: jsonBody(CreateWebhookBody) },
  responses: { 201: json(CreatedWebhookSchema, 'the new webhook'), ...errors(400, 401, 403, 413, 415) },
});

const list = createRoute({
  method: 'get',
  path: '/notifications',
  tags: ['notifications'],
  summary: "Webhooks within the token's environments, newest first, without their secrets",
  middleware: [requirePermission('manage_notifications')],
  responses: { 200: json(WebhookListSchema, 'webhooks'), ...errors(401, 403) },
});

const remove = createRoute({
  method: 'delete',
  path: '/notifications/{id}',
  tags: ['notifications'],
  summary: 'Remove a webhook and its delivery history; retries still pending stop',
  middleware: [requirePermission('manage_notifications')],
  request: { params: WebhookParams },
  responses: { 200: json(WebhookSchema, 'the removed webhook'), ...errors(400, 401, 403, 404) },
});

const test = createRoute({
  method: 'post',
  path: '/notifications/{id}/test',
  tags: ['notifications'],
  summary: 'Send the webhook a `test` event, delivered and retried like any other',
  middleware: [requirePermission('manage_notifications')],
  request: { params: WebhookParams },
  responses: {
    202: json(TestDeliverySchema, 'the test delivery was recorded and is being sent'),
    ...errors(400, 401, 403, 404, 503),
  },
});

const deliveries = createRoute({
  method: 'get',
  path: '/notifications/{id}/deliveries',
  tags: ['notifications'],
  summary: "A webhook's deliveries, newest first, each with every attempt",
  middleware: [requirePermission('manage_notifications')],
  request: { params: WebhookParams, query: DeliveryListQuery },
  responses: { 200: json(DeliveryListSchema, 'deliveries'), ...errors(400, 401, 403, 404) },
});

function covers(principal: Principal, environment: string): boolean {
  return patternsCover(principal.environments, [environment]);
}

function outOfScope(principal: Principal, environment: string) {
  return forbidden(
    `${principal.actor} may manage notifications for environments ${principal.environments.join(', ')}, ` +
      `not "${environment}"`,
    { environment, allowed: principal.environments },
  );
}

/** The webhook `id` when the principal may manage it; 404 or 403 otherwise. */
async function webhookInScope(c: Context<AppEnv>, id: string): Promise<WebhookWithSecret> {
  const webhook = await getWebhook(c.get('deps').db, id);
  if (!webhook) throw notFound(`unknown webhook "${id}"`, { webhook: id });
  const principal = c.get('principal');
  if (!covers(principal, webhook.environment)) throw outOfScope(principal, webhook.environment);
  return webhook;
}

export function notificationRoutes() {
  return router()
    .openapi(create, async (c) => {
      const { db } = c.get('deps');
      const principal = c.get('principal');
      const body = c.req.valid('json');
      if (!covers(principal, body.environment)) throw outOfScope(principal, body.environment);
      const webhook = await createWebhook(db, {
        ...body,
        secret: newWebhookSecret(),
        createdBy: principal.actor,
      });
      await audit(c, {
        action: 'notification.create',
        target: webhook.id,
        details: { environment: webhook.environment, events: webhook.events, format: webhook.format },
      });
      return c.json(webhook, 201);
    })
    .openapi(list, async (c) => {
      const principal = c.get('principal');
      const items = (await listWebhooks(c.get('deps').db))
        .filter((w) => covers(principal, w.environment))
        .map(withoutSecret);
      return c.json({ items }, 200);
    })
    .openapi(remove, async (c) => {
      const { id } = c.req.valid('param');
      const webhook = await webhookInScope(c, id);
      if (!(await deleteWebhook(c.get('deps').db, id)))
        throw notFound(`unknown webhook "${id}"`, { webhook: id });
      await audit(c, {
        action: 'notification.remove',
        target: id,
        details: { environment: webhook.environment, url: webhook.url },
      });
      return c.json(withoutSecret(webhook), 200);
    })
    .openapi(test, async (c) => {
      const deps = c.get('deps');
      const { id } = c.req.valid('param');
      const webhook = await webhookInScope(c, id);
      const event = testEvent(webhook.environment, deps.now());
      const [deliveryId] = await addDeliveries(deps.db, [
        {
          webhookId: webhook.id,
          eventType: event.type,
          eventKey: `${event.key}:${crypto.randomUUID()}`,
          environment: webhook.environment,
          body: event.body,
        },
      ]);
      try {
        await callTemporal(deps, `starting the test delivery to webhook ${id}`, () =>
          deps.client.workflow.start(notificationsWorkflow, {
            workflowId: `sluice-notify-test-${deliveryId}`,
            taskQueue: TASK_QUEUES.scheduler,
            args: [{ deliveries: [deliveryId!] }],
          }),
        );
      } catch (err) {
        // a delivery nobody will send is not left behind
        await deleteDeliveries(deps.db, [deliveryId!]);
        throw err;
      }
      return c.json({ deliveryId: deliveryId!, webhookId: webhook.id }, 202);
    })
    .openapi(deliveries, async (c) => {
      const { id } = c.req.valid('param');
      const { limit } = c.req.valid('query');
      await webhookInScope(c, id);
      return c.json({ items: await listDeliveries(c.get('deps').db, id, limit) }, 200);
    });
}
