/**
 * The API as a listening HTTP server. It binds `SLUICE_API_HOST` (127.0.0.1) and `SLUICE_API_PORT`
 * (8787), given as options from the API's configuration (`apiServerSettings`); decides first whether it may start and with authentication on or off
 * (auth/startup-policy.ts), and says which in its first log line. A request without a Host header is
 * let through to the app, whose Host check (auth/host-check.ts) refuses it in the API's error shape.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../config/defaults.ts';
import type { Values } from '../config/variables.ts';
import { DEFAULT_STUCK_AFTER_MS } from '../core/watchdog.ts';
import { type AppOptions, createApp, type SluiceApp } from './app.ts';
import { decideAuth } from './auth/startup-policy.ts';
import { countActiveTokens } from './auth/tokens.ts';
import type { AuthMode } from './context.ts';
import { listen } from './listen.ts';

export interface ApiServerOptions extends Omit<AppOptions, 'auth'> {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** `tokens` or `off`; decided from the bind address and the stored tokens when omitted (SLUICE_API_AUTH). */
  auth?: AuthMode;
  /** SLUICE_STUCK_AFTER; one hour when omitted. */
  stuckAfterMs?: number;
  /** SLUICE_RUN_SLOTS; no limit when omitted. */
  runSlots?: number;
  /** SLUICE_RUN_PRIORITY. */
  runPriority?: Readonly<Record<string, number>>;
  /** start-up lines (how requests are authenticated, where it listens). */
  log?: (line: string) => void;
}

export interface ApiServer {
  url: string;
  host: string;
  port: number;
  auth: AuthMode;
  app: SluiceApp;
  /** stops accepting requests and closes open connections (event streams included). */
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? DEFAULT_API_HOST;
  const port = options.port ?? DEFAULT_API_PORT;
  const requested = options.auth;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));

  const activeTokens = await countActiveTokens(options.db, new Date());
  const decision = decideAuth({ host, port, activeTokens, requested });
  const stuckAfterMs = options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS;
  const app = createApp({
    ...options,
    auth: decision.mode,
    environmentOptions: {
      stuckAfterMs,
      ...(options.runSlots === undefined ? {} : { runSlots: options.runSlots }),
      ...(options.runPriority === undefined ? {} : { runPriority: options.runPriority }),
      ...options.environmentOptions,
    },
  });
  const server = createAdaptorServer({
    fetch: app.fetch,
    hostname: host,
    serverOptions: { requireHostHeader: false },
  }) as Server;
  await listen(server, host, port, 'SLUICE_API_PORT');
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}`;
  log(`sluice api: ${decision.notice}`);
  log(`sluice api: listening on ${url} (reference at ${url}/api/docs)`);
  return {
    url,
    host,
    port: address.port,
    auth: decision.mode,
    app,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The server's options from the API's configuration (config/read.ts). */
export function apiServerSettings(
  values: Values<
    | 'SLUICE_API_HOST'
    | 'SLUICE_API_PORT'
    | 'SLUICE_API_AUTH'
    | 'SLUICE_STUCK_AFTER'
    | 'SLUICE_EXECUTOR_GONE_AFTER'
    | 'SLUICE_API_ALLOWED_HOSTS'
    | 'SLUICE_METRICS_TOKEN'
    | 'SLUICE_TEMPORAL_UI_URL'
    | 'SLUICE_RUN_SLOTS'
    | 'SLUICE_RUN_PRIORITY'
    | 'SLUICE_PUBLIC_API_URL'
  >,
): Pick<
  ApiServerOptions,
  | 'host'
  | 'port'
  | 'auth'
  | 'stuckAfterMs'
  | 'executorGoneAfterMs'
  | 'allowedHosts'
  | 'metricsToken'
  | 'temporalUiUrl'
  | 'runSlots'
  | 'runPriority'
  | 'publicApiUrl'
> {
  return {
    host: values.SLUICE_API_HOST,
    port: values.SLUICE_API_PORT,
    ...(values.SLUICE_API_AUTH === undefined ? {} : { auth: values.SLUICE_API_AUTH }),
    ...(values.SLUICE_API_ALLOWED_HOSTS === undefined
      ? {}
      : { allowedHosts: values.SLUICE_API_ALLOWED_HOSTS }),
    ...(values.SLUICE_METRICS_TOKEN === undefined ? {} : { metricsToken: values.SLUICE_METRICS_TOKEN }),
    ...(values.SLUICE_TEMPORAL_UI_URL === undefined ? {} : { temporalUiUrl: values.SLUICE_TEMPORAL_UI_URL }),
    ...(values.SLUICE_PUBLIC_API_URL === undefined ? {} : { publicApiUrl: values.SLUICE_PUBLIC_API_URL }),
    stuckAfterMs: values.SLUICE_STUCK_AFTER,
    ...(values.SLUICE_RUN_SLOTS === undefined ? {} : { runSlots: values.SLUICE_RUN_SLOTS }),
    runPriority: values.SLUICE_RUN_PRIORITY,
    executorGoneAfterMs: values.SLUICE_EXECUTOR_GONE_AFTER,
  };
}
