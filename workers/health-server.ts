/**
 * The health port of a worker process (`SLUICE_HEALTH_PORT`), for Kubernetes probes and load
 * balancers. Plain node:http, no framework:
 *
 * - `GET /healthz`, liveness: the process is up and its Temporal worker is polling (state
 *   RUNNING). 200 `{"status":"ok",...}`; 503 `{"status":"failing",...}` with the worker's state
 *   otherwise, e.g. DRAINING or STOPPING while it shuts down.
 * - `GET /readyz`, readiness: every check of workers/readiness.ts passes. 200 with status
 *   "ready", 503 with status "not ready"; both list each check with its time and error.
 * - anything else: 404; a method other than GET: 405. Every answer is JSON and never cached.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from '../api/listen.ts';
import type { ReadinessReport } from './readiness.ts';

export interface HealthServerOptions {
  /** 0 picks a free port (tests); the configuration refuses 0 (workers/config.ts). */
  port: number;
  /** `0.0.0.0` by default. */
  host?: string;
  role: string;
  identity: string;
  /** the Temporal worker whose state is the liveness. */
  worker: { getState(): string };
  /** runs the readiness checks. */
  readiness: () => Promise<ReadinessReport>;
}

export interface HealthServer {
  /** `http://<host>:<port>`, with the port actually bound. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const host = options.host ?? '0.0.0.0';
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      send(response, 500, { status: 'error', error: error instanceof Error ? error.message : String(error) });
    });
  });
  // probes connect often: idle keep-alive connections must not hold the server open at shutdown
  server.keepAliveTimeout = 5_000;
  await listen(server, host, options.port, 'SLUICE_HEALTH_PORT');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

async function handle(
  options: HealthServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/healthz' && path !== '/readyz') {
    send(response, 404, {
      status: 'not found',
      error: `no such path ${path?.slice(0, 200)}; try /healthz or /readyz`,
    });
    return;
  }
  if (request.method !== 'GET') {
    response.setHeader('allow', 'GET');
    send(response, 405, { status: 'method not allowed', error: `${path} answers GET only` });
    return;
  }
  if (path === '/healthz') {
    const state = options.worker.getState();
    const ok = state === 'RUNNING';
    send(response, ok ? 200 : 503, {
      status: ok ? 'ok' : 'failing',
      role: options.role,
      identity: options.identity,
      worker: state,
      uptimeSeconds: Math.floor(process.uptime()),
    });
    return;
  }
  const report = await options.readiness();
  send(response, report.status === 'ready' ? 200 : 503, report);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
