/**
 * `deliverNotification`: one attempt at one delivery. The body (JSON, or Slack's `{text, blocks}`)
 * is signed with the webhook's secret at the moment of sending, posted with its delivery id and
 * event type, and the attempt recorded whatever happens. An answer outside 2xx, or none, fails the
 * attempt so Temporal retries it; the attempt that gives up marks the delivery failed.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ErrorCode } from '../../core/errors.ts';
import { slackMessage } from '../../core/notifications/slack.ts';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
} from '../../crypto/webhook-signature.ts';
import { getDelivery, recordAttempt } from '../../state/notifications/deliveries.ts';
import { getWebhook } from '../../state/notifications/webhooks.ts';
import type { NotificationContext } from './context.ts';
import type { AttemptResult } from './contracts.ts';

/** The failure type of an attempt the receiver did not accept (retried). */
export const DELIVERY_FAILED = 'NOTIFICATION_DELIVERY_FAILED' satisfies ErrorCode;

/** The longest part of a receiver's answer kept with a failed attempt. */
const KEPT_ANSWER = 500;

export async function deliverNotification(
  ctx: NotificationContext,
  deliveryId: string,
): Promise<AttemptResult> {
  const info = Context.current().info;
  const delivery = await getDelivery(ctx.db, deliveryId);
  const webhook = delivery ? await getWebhook(ctx.db, delivery.webhookId) : null;
  if (!delivery || !webhook) return { deliveryId, outcome: 'gone', statusCode: null };
  const body = JSON.stringify(webhook.format === 'slack' ? slackMessage(delivery.body) : delivery.body);
  const started = ctx.now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'sluice-notifications',
        [SIGNATURE_HEADER]: signatureHeader(webhook.secret, body, started / 1000),
        [DELIVERY_HEADER]: delivery.id,
        [EVENT_HEADER]: delivery.eventType,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    statusCode = response.status;
    const answer = (await response.text().catch(() => '')).slice(0, KEPT_ANSWER);
    if (statusCode < 200 || statusCode > 299) {
      error = `the receiver answered ${statusCode}${answer ? `: ${answer}` : ''}`;
    }
  } catch (err) {
    error = describeFetchError(err, ctx.timeoutMs);
  }
  const last =
    info.retryPolicy?.maximumAttempts !== undefined && info.attempt >= info.retryPolicy.maximumAttempts;
  await recordAttempt(ctx.db, {
    deliveryId,
    attempt: info.attempt,
    at: new Date(started),
    statusCode,
    error,
    durationMs: ctx.now() - started,
    status: error === null ? 'delivered' : last ? 'failed' : 'pending',
  });
  if (error !== null) {
    throw ApplicationFailure.retryable(`delivery ${deliveryId} to ${webhook.id}: ${error}`, DELIVERY_FAILED);
  }
  return { deliveryId, outcome: 'delivered', statusCode };
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err instanceof Error ? err.message : String(err)}${cause}`;
}
