/**
 * Which Host names the API serves. A page whose name an attacker re-points at 127.0.0.1 (DNS
 * rebinding) reaches a loopback server from the victim's browser, with its own name in the Host
 * header. So with authentication off (a loopback server, every caller acting as admin) only the
 * loopback names with the port the connection came in on are served: `127.0.0.1:<port>`,
 * `localhost:<port>`, `[::1]:<port>`. With tokens on, any Host is served unless
 * SLUICE_API_ALLOWED_HOSTS lists the names a proxy sends (the loopback names stay served, for
 * health checks inside the container). Anything else, a missing Host included, is refused with 403.
 *
 * The port is the listening socket's own, read from the connection (it is right for port 0 too).
 * A request handed to the app in-process (`app.request`, tests and benchmarks) crossed no network
 * and has no connection to read: it is not checked.
 */
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.ts';
import { forbidden } from '../errors.ts';

export interface HostCheckOptions {
  /** SLUICE_API_ALLOWED_HOSTS, lower-case `host` or `host:port`; read only with tokens on. */
  allowedHosts?: readonly string[];
}

/** The Host values that name loopback at `port`: the forms a browser or curl sends. */
export function loopbackHosts(port: number): string[] {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  return [...names.map((name) => `${name}:${port}`), ...(port === 80 ? names : [])];
}

export function hostCheck(options: HostCheckOptions = {}): MiddlewareHandler<AppEnv> {
  const listed = new Set(options.allowedHosts ?? []);
  return async (c, next) => {
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    if (incoming === undefined) return next();
    const { auth } = c.get('deps');
    if (auth === 'tokens' && listed.size === 0) return next();
    const port = incoming.socket.localPort ?? 0;
    const loopback = loopbackHosts(port);
    const host = incoming.headers.host?.trim().toLowerCase();
    if (host !== undefined && (loopback.includes(host) || (auth === 'tokens' && listed.has(host)))) {
      return next();
    }
    const got = host === undefined ? 'the request has no Host header' : `Host "${host}" is not served here`;
    throw forbidden(
      auth === 'off'
        ? `${got}: with authentication off the API answers only to its loopback names (${loopback
            .slice(0, 3)
            .join(', ')}), so that no web page can reach it under another name (DNS rebinding); ` +
            `use http://127.0.0.1:${port}, or turn tokens on and list the name in SLUICE_API_ALLOWED_HOSTS`
        : `${got}: the API answers only to ${[...listed].join(', ')} (SLUICE_API_ALLOWED_HOSTS) and its ` +
            `loopback names; add the name to SLUICE_API_ALLOWED_HOSTS if it is this API's`,
      { host: host ?? null },
    );
  };
}
