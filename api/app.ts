/**
 * The sluice HTTP API as a Hono app: route modules per resource under `/api`, validated at the edge
 * by the same zod schemas the OpenAPI document (`/api/openapi.json`, browsable at `/api/docs`) is
 * built from, authenticated by bearer token, and answering every failure in one error shape. Before
 * anything else, the Host a request names and the Origin of a page that would change something are
 * checked (auth/host-check.ts, auth/origin-check.ts).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { routePath } from 'hono/route';
import type { ArtifactStore } from '../artifacts/store.ts';
import type { Keyring } from '../crypto/keyring.ts';
import type { StateDb } from '../db/client.ts';
import { type DashboardBundle, loadDashboard } from '../web/bundle.ts';
import { authenticate } from './auth/authenticate.ts';
import { type GuardedRoute, guardedRoutes } from './auth/authorize.ts';
import { hostCheck } from './auth/host-check.ts';
import { metricsAccess } from './auth/metrics-access.ts';
import { originCheck } from './auth/origin-check.ts';
import { closeAfterRefusal } from './close-after-refusal.ts';
import { type CodecEndpointOptions, codecCors, codecRoutes } from './codec-server.ts';
import type { AppDeps, AppEnv, AuthMode } from './context.ts';
import type { EnvironmentOptions } from './environment-commands.ts';
import { ApiError, errorResponse, payloadTooLarge, toApiError, validationError } from './errors.ts';
import { createMetrics } from './metrics/registry.ts';
import { artifactRoutes } from './routes/artifacts.ts';
import { auditRoutes } from './routes/audit.ts';
import { cancellationRoutes } from './routes/cancellations.ts';
import { ciRoutes } from './routes/ci.ts';
import { connectionRoutes } from './routes/connections.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { docsRoutes, OPENAPI_INFO } from './routes/docs.ts';
import { environmentRoutes } from './routes/environments.ts';
import { executorRoutes } from './routes/executors.ts';
import { healthRoutes } from './routes/health.ts';
import { janitorRoutes } from './routes/janitor.ts';
import { lineageRoutes } from './routes/lineage.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { modelRoutes } from './routes/models.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { pauseRoutes } from './routes/pauses.ts';
import { planRoutes } from './routes/plans.ts';
import { queryRoutes } from './routes/query.ts';
import { runEventRoutes } from './routes/run-events.ts';
import { runRoutes } from './routes/runs.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { whoamiRoutes } from './routes/whoami.ts';

export interface AppOptions {
  db: StateDb;
  client: Client;
  /** `tokens` (every request needs a bearer token) or `off` (loopback servers only; see server.ts). */
  auth: AuthMode;
  now?: () => number;
  /** how long one query, signal or update to an environment workflow may take (10 s). */
  temporalTimeoutMs?: number;
  /** how often the run event stream polls the state DB (1 s). */
  eventPollMs?: number;
  environmentOptions?: EnvironmentOptions;
  /** largest accepted request body (1 MiB), except for plans. */
  maxBodyBytes?: number;
  /** largest accepted plan request, which carries the whole project (32 MiB). */
  maxPlanBodyBytes?: number;
  /** where unexpected (500) errors are reported; stderr by default. */
  logError?: (message: string) => void;
  /** SLUICE_ENCRYPTION_KEY: seals scheduler-managed connections; without it they cannot be added. */
  encryption?: Keyring;
  /** SLUICE_CONNECTION_TEST_TIMEOUT: how long a connection test waits for an apply executor (30 s). */
  connectionTestTimeoutMs?: number;
  /** how long a query (`sluice fetchdf`) waits for a run executor to take it (30 s). */
  queryPickupTimeoutMs?: number;
  /** how long an executor may go unheard before it is listed as gone (SLUICE_EXECUTOR_GONE_AFTER, 60 s). */
  executorGoneAfterMs?: number;
  /** with the payload key (SLUICE_PAYLOAD_KEY): serve the Web UI's codec endpoint at `/api/codec` (any role). */
  payloadCodec?: CodecEndpointOptions;
  /** SLUICE_API_ALLOWED_HOSTS: with tokens on, the only Host values served (besides loopback). */
  allowedHosts?: readonly string[];
  /** SLUICE_METRICS_TOKEN: with tokens on, a bearer secret that may read `/metrics` besides API tokens. */
  metricsToken?: string;
  /** SLUICE_ARTIFACTS: where runs and plans left their artifacts, served under their routes. */
  artifacts?: ArtifactStore;
  /** SLUICE_TEMPORAL_UI_URL: the dashboard links each workflow it shows to the Temporal Web UI there. */
  temporalUiUrl?: string;
  /** SLUICE_PUBLIC_API_URL: the API's address in pull request summaries (the request's origin otherwise). */
  publicApiUrl?: string;
  /** where the dashboard's script and stylesheet come from (web/bundle.ts: the build, or the sources). */
  loadDashboard?: () => Promise<DashboardBundle>;
}

/** Routes anyone may call, token or not (`/metrics`, outside `/api`, has its own: auth/metrics-access.ts). */
const PUBLIC_PATHS = new Set(['/api/openapi.json', '/api/docs']);
/** Open to anyone, with more shown to a token holder: the health report's detail. */
const OPTIONAL_AUTH_PATHS = new Set(['/api/health']);

/** The app, its type carrying every `/api` route's path, input and responses (for `hono/client`). */
export type SluiceApp = ReturnType<typeof createApp>;

/** The API's routes as `hc<AppType>` (hono/client) reads them: what the CLI's client is typed from. */
export type AppType = SluiceApp;

export function createApp(options: AppOptions) {
  const deps: AppDeps = {
    db: options.db,
    client: options.client,
    auth: options.auth,
    now: options.now ?? Date.now,
    temporalTimeoutMs: options.temporalTimeoutMs ?? 10_000,
    eventPollMs: options.eventPollMs ?? 1_000,
    environmentOptions: options.environmentOptions ?? {},
    artifacts: options.artifacts ?? null,
  };
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const maxPlanBody = options.maxPlanBodyBytes ?? 32 * 1024 * 1024;
  const logError = options.logError ?? ((message: string) => process.stderr.write(`${message}\n`));
  const metrics = createMetrics(options.db, options.environmentOptions?.stuckAfterMs);

  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.target, result.error);
    },
  });

  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
    const route = c.res.status === 404 && c.get('principal') === undefined ? 'unmatched' : routePath(c, -1);
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
  });
  app.use('*', closeAfterRefusal());
  app.use(
    '*',
    hostCheck({ ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }) }),
  );
  app.use('*', originCheck(options.payloadCodec ? { codecPath: '/api/codec' } : {}));
  // the codec endpoint's CORS preflights come from the Web UI without a token
  if (options.payloadCodec) app.use('/api/codec/*', codecCors(options.payloadCodec.corsOrigins));
  const auth = authenticate();
  const optionalAuth = authenticate({ optional: true });
  app.use('/api/*', async (c, next) =>
    PUBLIC_PATHS.has(c.req.path)
      ? next()
      : OPTIONAL_AUTH_PATHS.has(c.req.path)
        ? optionalAuth(c, next)
        : auth(c, next),
  );
  app.use('/metrics', metricsAccess(options.metricsToken));
  const limits = new Map([
    [maxBody, bodyLimit({ maxSize: maxBody, onError: (c) => errorResponse(c, payloadTooLarge(maxBody)) })],
    [
      maxPlanBody,
      bodyLimit({ maxSize: maxPlanBody, onError: (c) => errorResponse(c, payloadTooLarge(maxPlanBody)) }),
    ],
  ]);
  app.use('/api/*', async (c, next) => {
    // plans carry the whole project
    const limit =
      c.req.path === '/api/plans' ||
      c.req.path.startsWith('/api/codec/') ||
      (c.req.path.startsWith('/api/ci/') && c.req.path.endsWith('/plan'))
        ? maxPlanBody
        : maxBody;
    return limits.get(limit)!(c, next);
  });

  let guarded: GuardedRoute[] | undefined;
  // chained, so that the returned app's type carries the routes
  const routed = app
    .route('/api', healthRoutes())
    .route('/api', environmentRoutes())
    .route('/api', lineageRoutes())
    .route('/api', pauseRoutes())
    .route('/api', runRoutes())
    .route('/api', runEventRoutes())
    .route('/api', modelRoutes())
    .route('/api', planRoutes())
    .route('/api', cancellationRoutes())
    .route('/api', scheduleRoutes())
    .route('/api', auditRoutes())
    .route('/api', janitorRoutes())
    .route('/api', tokenRoutes())
    .route(
      '/api',
      whoamiRoutes(() => {
        guarded ??= guardedRoutes(app.routes);
        return guarded;
      }),
    )
    .route(
      '/api',
      connectionRoutes({
        ...(options.encryption === undefined ? {} : { encryption: options.encryption }),
        ...(options.connectionTestTimeoutMs === undefined
          ? {}
          : { testTimeoutMs: options.connectionTestTimeoutMs }),
      }),
    )
    .route('/api', executorRoutes(options.executorGoneAfterMs))
    .route('/api', notificationRoutes())
    .route('/api', artifactRoutes())
    .route(
      '/api',
      ciRoutes({
        ...(options.publicApiUrl === undefined ? {} : { publicApiUrl: options.publicApiUrl }),
        ...(options.temporalUiUrl === undefined ? {} : { temporalUiUrl: options.temporalUiUrl }),
        namespace: () => options.client.options.namespace,
      }),
    )
    .route(
      '/api',
      queryRoutes(
        options.queryPickupTimeoutMs === undefined ? {} : { pickupTimeoutMs: options.queryPickupTimeoutMs },
      ),
    );
  if (options.payloadCodec) app.route('/api/codec', codecRoutes(options.payloadCodec.codec));
  app.route('/', metricsRoutes(metrics));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'an API token (`sluice token create`)',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'metricsToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'SLUICE_METRICS_TOKEN, the bearer secret a Prometheus scrape config sends for `/metrics`',
  });
  let document: unknown;
  app.route(
    '/',
    docsRoutes(() => {
      document ??= app.getOpenAPI31Document(OPENAPI_INFO);
      return document;
    }),
  );

  app.route(
    '/',
    dashboardRoutes({
      load: options.loadDashboard ?? loadDashboard,
      namespace: () => options.client.options.namespace,
      ...(options.temporalUiUrl === undefined ? {} : { temporalUiUrl: options.temporalUiUrl }),
    }),
  );

  app.notFound((c) =>
    errorResponse(
      c,
      new ApiError(
        404,
        'not_found',
        `no route ${c.req.method} ${c.req.path}; the API reference is at /api/docs`,
      ),
    ),
  );
  app.onError((err, c: Context<AppEnv>) => {
    const error = toApiError(err);
    if (error.status >= 500 && error.code === 'internal') {
      logError(
        `sluice api: ${c.req.method} ${c.req.path} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
    const response = errorResponse(c, error);
    if (error.status === 401) response.headers.set('WWW-Authenticate', 'Bearer realm="sluice"');
    return response;
  });
  return routed;
}
