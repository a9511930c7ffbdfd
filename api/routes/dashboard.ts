/**
 * The web dashboard: its script and stylesheet under `/assets/`, and the page that loads them for
 * each of the dashboard's paths a browser asks for, so each dashboard page has a URL that can be
 * shared and reloaded. The page holds no data: the browser app reads everything from
 * the API with the token the user gives it (web/client/session.ts), so serving it needs none.
 */
import { type Context, Hono, type Next } from 'hono';
import type { DashboardBundle } from '../../web/bundle.ts';
import type { AppEnv } from '../context.ts';

export interface DashboardOptions {
  load: () => Promise<DashboardBundle>;
  /** SLUICE_TEMPORAL_UI_URL: where each workflow the dashboard shows links to. */
  temporalUiUrl?: string;
  /** the Temporal namespace the workflows live in (the API's client's). */
  namespace: () => string;
}

/** The paths of the dashboard's pages (web/client/routes.ts), each with whatever follows it. */
const PAGE_PATHS = ['/', ...['/environments', '/runs', '/plans', '/executors'].flatMap((p) => [p, `${p}/*`])];

/** No script but the dashboard's own, no request but to this server, never inside a frame. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function page(options: DashboardOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="sluice-temporal-ui" content="${escapeAttribute(options.temporalUiUrl ?? '')}">
<meta name="sluice-namespace" content="${escapeAttribute(options.namespace())}">
<title>sluice</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/dashboard.js"></script>
</head>
<body><div id="app"><noscript>The sluice dashboard needs JavaScript.</noscript></div></body>
</html>
`;
}

export function dashboardRoutes(options: DashboardOptions) {
  let html: string | undefined;
  const app = new Hono<AppEnv>();
  app.get('/assets/dashboard.js', async (c) => {
    const { script } = await options.load();
    return c.body(script, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
    });
  });
  app.get('/assets/dashboard.css', async (c) => {
    const { styles } = await options.load();
    return c.body(styles, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' });
  });
  const serve = async (c: Context<AppEnv>, next: Next) => {
    if (!(c.req.header('accept') ?? '').includes('text/html')) return next();
    html ??= page(options);
    return c.html(html, 200, {
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'cache-control': 'no-cache',
    });
  };
  // only the dashboard's own paths: a catch-all would be the last route every API request matched,
  // and the request metrics would count them all under it
  for (const path of PAGE_PATHS) app.get(path, serve);
  return app;
}
