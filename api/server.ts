/**
 * The API as a listening HTTP server. It binds `SLUICE_API_HOST` (127.0.0.1) and `SLUICE_API_PORT`
 * (8787); decides first whether it may start and with authentication on or off
 * (auth/startup-policy.ts), and says which in its first log line.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { DEFAULT_STUCK_AFTER_MS } from '../core/watchdog.ts';
import { readDuration } from '../workers/config.ts';
import { type AppOptions, createApp, type SluiceApp } from './app.ts';
import { decideAuth, StartupRefused } from './auth/startup-policy.ts';
import { countActiveTokens } from './auth/tokens.ts';
import type { AuthMode } from './context.ts';
import { listen } from './listen.ts';

export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 8787;

export interface ApiServerOptions extends Omit<AppOptions, 'auth'> {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** `tokens` or `off`; decided from the bind address and the stored tokens when omitted (SLUICE_API_AUTH). */
  auth?: AuthMode;
  /** where `SLUICE_API_HOST`, `SLUICE_API_PORT` and `SLUICE_API_AUTH` are read from; the process environment by default. */
  env?: NodeJS.ProcessEnv;
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
  const env = options.env ?? process.env;
  const host = options.host ?? (env.SLUICE_API_HOST?.trim() || DEFAULT_API_HOST);
  const port = options.port ?? readPort(env.SLUICE_API_PORT);
  const requested = options.auth ?? readAuthMode(env.SLUICE_API_AUTH);
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));

  const activeTokens = await countActiveTokens(options.db, new Date());
  const decision = decideAuth({ host, port, activeTokens, requested });
  const stuckAfterMs = readDuration(env, 'SLUICE_STUCK_AFTER', DEFAULT_STUCK_AFTER_MS);
  const app = createApp({
    ...options,
    auth: decision.mode,
    environmentOptions: { stuckAfterMs, ...options.environmentOptions },
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
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

function readPort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_API_PORT;
  const port = Number(value.trim());
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new StartupRefused(`SLUICE_API_PORT must be a port number from 0 to 65535 (got "${value}")`);
  }
  return port;
}

function readAuthMode(value: string | undefined): AuthMode | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const mode = value.trim().toLowerCase();
  if (mode !== 'tokens' && mode !== 'off') {
    throw new StartupRefused(`SLUICE_API_AUTH must be "tokens" or "off" (got "${value}")`);
  }
  return mode;
}
