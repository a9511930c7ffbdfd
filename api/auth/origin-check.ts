/**
 * Which web pages may change anything. A browser names the page's origin in the `Origin` header of
 * every request that is not a plain GET; a request that changes something (any method but GET,
 * HEAD and OPTIONS) from an origin other than the API's own (`http://` or `https://` and the Host
 * it was sent to) is refused with 403, whether authentication is on or off, so a page elsewhere
 * cannot make a browser act on the API (cross-site request forgery). Requests without an Origin
 * (the CLI, curl, Prometheus) are not browsers' and pass. The codec endpoint keeps its own, stricter
 * origin list (codecCors, SLUICE_CODEC_CORS_ORIGINS), which the Temporal Web UI calls it from.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { forbidden } from '../errors.ts';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface OriginCheckOptions {
  /** where the codec endpoint is served, when it is: its origins are checked there (codecCors). */
  codecPath?: string;
}

export function originCheck(options: OriginCheckOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined || READ_METHODS.has(c.req.method)) return next();
    if (options.codecPath !== undefined && c.req.path.startsWith(`${options.codecPath}/`)) return next();
    const host = (c.req.header('host') ?? new URL(c.req.url).host).trim().toLowerCase();
    const own = [`http://${host}`, `https://${host}`];
    if (own.includes(origin.trim().toLowerCase())) return next();
    throw forbidden(
      `Origin "${origin}" is not this API's own (${own[0]}): a ${c.req.method} from another site's page is ` +
        'refused so that no page can act through a browser (cross-site request forgery); send the request ' +
        "without an Origin header (the CLI, curl) or from the API's own origin",
      { origin },
    );
  };
}
