/**
 * Webhook signatures, the scheme Stripe uses: `Sluice-Signature: t=<unix seconds>,v1=<hex>` where
 * the hex is HMAC-SHA256 under the webhook's secret of `<t>.<body>`. A receiver recomputes it over
 * the raw body and refuses a timestamp too far from its clock, so a captured delivery cannot be
 * replayed later.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SIGNATURE_HEADER = 'Sluice-Signature';
export const DELIVERY_HEADER = 'Sluice-Delivery';
export const EVENT_HEADER = 'Sluice-Event';

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and 32 random bytes as hex. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('hex')}`;
}

/** The `Sluice-Signature` value for `body` sent at `unixSeconds`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
