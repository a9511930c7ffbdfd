/**
 * Who may read `GET /metrics` with authentication on: any active API token, or the separate bearer
 * secret SLUICE_METRICS_TOKEN that a Prometheus scrape config holds instead of an API token. The
 * secret is compared in constant time (as SHA-256 digests, so its length does not show either).
 * With authentication off the metrics stay open, like every route.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { authenticate, bearerToken, unauthorized } from './authenticate.ts';

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function metricsAccess(metricsToken: string | undefined): MiddlewareHandler<AppEnv> {
  const expected = metricsToken === undefined ? undefined : digest(metricsToken);
  const accepted = expected === undefined ? 'an API token' : 'an API token or SLUICE_METRICS_TOKEN';
  const apiToken = authenticate({
    invalidMessage: `the bearer token is not ${accepted}: an API token must be active (not revoked or expired); ask an admin for one`,
  });
  return async (c, next) => {
    if (c.get('deps').auth === 'off') return apiToken(c, next);
    const header = c.req.header('authorization');
    if (!header) {
      throw unauthorized(
        `missing Authorization header: /metrics needs "Authorization: Bearer <token>" with ${accepted} ` +
          '(a Prometheus scrape config sends it with authorization.credentials_file)',
      );
    }
    const token = bearerToken(header);
    if (expected !== undefined && timingSafeEqual(digest(token), expected)) {
      await next();
      return;
    }
    return apiToken(c, next);
  };
}
