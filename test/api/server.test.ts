/**
 * The listening server: whether it may start and with authentication on or off, what it says when
 * it starts, and requests through real HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decideAuth, isLoopbackHost, StartupRefused } from '../../api/auth/startup-policy.ts';
import { createApiToken } from '../../api/auth/tokens.ts';
import { type ApiServer, apiServerSettings, startApiServer } from '../../api/server.ts';
import { readConfig } from '../../config/read.ts';
import { unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { openTestState, type TestState } from './support/state.ts';

describe('start-up policy', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.com', '128.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it('runs without authentication on loopback when no token exists, and says so', () => {
    const decision = decideAuth({ host: '127.0.0.1', port: 8787, activeTokens: 0 });
    expect(decision.mode).toBe('off');
    expect(decision.notice).toMatch(
      /^authentication is off: the server listens on loopback only \(127\.0\.0\.1:8787\)/,
    );
  });

  it('turns authentication on as soon as a token exists, on any address', () => {
    expect(decideAuth({ host: '127.0.0.1', port: 1, activeTokens: 2 }).mode).toBe('tokens');
    expect(decideAuth({ host: '0.0.0.0', port: 1, activeTokens: 1 })).toEqual({
      mode: 'tokens',
      notice: 'authentication is on: requests need "Authorization: Bearer <token>" (1 active token)',
    });
    expect(decideAuth({ host: '127.0.0.1', port: 1, activeTokens: 2, requested: 'off' }).mode).toBe('off');
  });

  it('refuses to listen beyond loopback without tokens, or with authentication off', () => {
    expect(() => decideAuth({ host: '0.0.0.0', port: 8787, activeTokens: 0 })).toThrow(StartupRefused);
    expect(() => decideAuth({ host: '0.0.0.0', port: 8787, activeTokens: 0 })).toThrow(
      /^refusing to start on 0\.0\.0\.0:8787: no API tokens exist, .*sluice token create --name admin --role admin/,
    );
    expect(() => decideAuth({ host: '10.1.1.1', port: 80, activeTokens: 3, requested: 'off' })).toThrow(
      'refusing to start on 10.1.1.1:80 with authentication off: only a loopback address (127.0.0.1, ::1) may run without tokens',
    );
    expect(() => decideAuth({ host: '127.0.0.1', port: 80, activeTokens: 0, requested: 'tokens' })).toThrow(
      /^authentication was asked for on 127\.0\.0\.1:80 but no API tokens exist/,
    );
  });
});

describe('the API server', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  const servers: ApiServer[] = [];

  beforeAll(async () => {
    state = await openTestState('postgres', 'api_server');
    temporal = unreachableTemporal();
  });
  beforeEach(() => state.reset());
  afterAll(async () => {
    for (const server of servers) await server.close().catch(() => {});
    await temporal.close();
    await state.dispose();
  });

  async function start(options: { host?: string; env?: Record<string, string> }) {
    const lines: string[] = [];
    const server = await startApiServer({
      db: state.db,
      client: temporal.client,
      ...apiServerSettings(readConfig('api', { SLUICE_API_PORT: '0', ...options.env })),
      temporalTimeoutMs: 500,
      log: (line) => lines.push(line),
      ...(options.host === undefined ? {} : { host: options.host }),
    });
    servers.push(server);
    return { server, lines };
  }

  it('on loopback without tokens: starts with authentication off, says so, and answers over HTTP', async () => {
    const { server, lines } = await start({ host: '127.0.0.1' });
    expect(server.auth).toBe('off');
    expect(lines[0]).toMatch(/^sluice api: authentication is off: the server listens on loopback only/);
    expect(lines[1]).toBe(`sluice api: listening on ${server.url} (reference at ${server.url}/api/docs)`);
    const contract = await Contract.of(server.app);
    const list = await contract.read<{ items: unknown[] }>(
      'GET',
      '/api/environments',
      await fetch(`${server.url}/api/environments`),
    );
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [] });
    const created = await contract.read<{ createdBy: string }>(
      'POST',
      '/api/tokens',
      await fetch(`${server.url}/api/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'first admin', role: 'admin' }),
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe('local');
    const docs = await fetch(`${server.url}/api/docs`);
    expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
    await server.close();
    await expect(fetch(`${server.url}/api/health`)).rejects.toThrow();
  });

  it('beyond loopback without tokens: refuses to start and listens nowhere', async () => {
    await expect(start({ host: '0.0.0.0' })).rejects.toThrow(
      /^refusing to start on 0\.0\.0\.0:0: no API tokens exist/,
    );
    await expect(start({ host: '0.0.0.0', env: { SLUICE_API_AUTH: 'off' } })).rejects.toThrow(StartupRefused);
  });

  it('beyond loopback with a token: requires it on every request but health', async () => {
    const { token } = await createApiToken(state.db, {
      name: 'ops',
      role: 'operator',
      environments: ['*'],
      createdBy: 'tests',
    });
    const { server, lines } = await start({
      host: '0.0.0.0',
      env: { SLUICE_API_HOST: 'ignored-when-host-given' },
    });
    expect(server.auth).toBe('tokens');
    expect(lines[0]).toBe(
      'sluice api: authentication is on: requests need "Authorization: Bearer <token>" (1 active token)',
    );
    const port = server.port;
    const anonymous = await fetch(`http://127.0.0.1:${port}/api/runs`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const authorized = await fetch(`http://127.0.0.1:${port}/api/runs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(authorized.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(503);
  });

  it('reads its address from SLUICE_API_HOST and SLUICE_API_PORT and names a port in use', async () => {
    const { server } = await start({ env: { SLUICE_API_HOST: '127.0.0.1' } });
    expect(server.host).toBe('127.0.0.1');
    await expect(
      startApiServer({
        db: state.db,
        client: temporal.client,
        ...apiServerSettings(readConfig('api', { SLUICE_API_PORT: String(server.port) })),
        log: () => {},
      }),
    ).rejects.toThrow(
      `cannot listen on 127.0.0.1:${server.port}: the port is in use (set SLUICE_API_PORT to another port)`,
    );
    expect(() => readConfig('api', { SLUICE_API_PORT: 'eighty' })).toThrow(
      'SLUICE_API_PORT: expected a port number 0–65535 (0 picks a free port), got "eighty"',
    );
  });
});
