/**
 * A request refused before its body was read (too large, no valid token, a role too low, no such
 * route) leaves that body on the connection. Node then resets the connection, and a client that
 * kept it alive (fetch's pool, an HTTP agent, a proxy) fails its next, unrelated request on it. So
 * every refusal of a request that carries a body says `Connection: close`: the client opens a new
 * connection for what it sends next.
 */
import type { MiddlewareHandler } from 'hono';

export function closeAfterRefusal(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.status < 400) return;
    const length = c.req.header('content-length');
    const carriesBody =
      c.req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
    if (carriesBody) c.res.headers.set('Connection', 'close');
  };
}
