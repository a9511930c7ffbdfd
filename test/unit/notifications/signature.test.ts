/**
 * The signature contract receivers rely on: `Sluice-Signature: t=<unix seconds>,v1=<hex>` with the
 * hex an HMAC-SHA256 of `<t>.<body>` under the webhook's secret. The verifier is the receiver's
 * (test/support/webhook-receiver.ts), written from the README's description.
 */
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeader } from '../../../crypto/webhook-signature.ts';
import { verifySignature } from '../../support/webhook-receiver.ts';

const T = 1_796_000_000;

describe('webhook signatures', () => {
  it('signs `<t>.<body>` with HMAC-SHA256 in the Stripe layout', () => {
    const header = signatureHeader('whsec_test', '{"a":1}', T + 0.7);
    expect(header).toMatch(/^t=1796000000,v1=[0-9a-f]{64}$/);
    // HMAC-SHA256 under "whsec_test" of '1796000000.{"a":1}', as `openssl dgst -sha256 -hmac` gives it
    expect(header).toBe('t=1796000000,v1=085ae0e1f7d07c47ac6d09a4d065480abc30b77a8295721984b7a20f8b9c2000');
  });

  it('verifies for the receiver holding the secret, near the signing time only', () => {
    const body = JSON.stringify({ type: 'run.failed', environment: 'prod' });
    const secret = newWebhookSecret();
    const headers = { 'sluice-signature': signatureHeader(secret, body, T) };
    expect(verifySignature({ headers, body }, secret, T * 1000 + 5_000)).toBe(true);
    // another secret, an altered body, an old timestamp (a replay): refused
    expect(verifySignature({ headers, body }, newWebhookSecret(), T * 1000)).toBe(false);
    expect(verifySignature({ headers, body: body.replace('prod', 'dev') }, secret, T * 1000)).toBe(false);
    expect(verifySignature({ headers, body }, secret, (T + 301) * 1000)).toBe(false);
    // a timestamp moved forward breaks the HMAC
    const moved = { 'sluice-signature': headers['sluice-signature'].replace(`t=${T}`, `t=${T + 600}`) };
    expect(verifySignature({ headers: moved, body }, secret, (T + 600) * 1000)).toBe(false);
  });

  it('makes a fresh 32-byte secret each time', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
