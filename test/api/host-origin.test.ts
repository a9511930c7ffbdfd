/**
 * The Host and Origin checks, through real listening servers and raw HTTP requests (`fetch` cannot
 * set Host): with authentication off only the loopback names with the listening port are served,
 * whatever the path; a page from another origin cannot change anything in either mode, except the
 * Web UI's origins on the codec endpoint; with tokens on, SLUICE_API_ALLOWED_HOSTS limits the Host.
 */

import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiToken } from '../../api/auth/tokens.ts';
import {
  type ApiServer,
  type ApiServerOptions,
  apiServerSettings,
  startApiServer,
} from '../../api/server.ts';
import { ConfigurationError } from '../../config/configuration-error.ts';
import { readConfig } from '../../config/read.ts';
import { readKeyring } from '../../crypto/keyring.ts';
import { createPayloadCodec } from '../../crypto/payload-codec.ts';
import { unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { openTestState, type TestState, tableCounts } from './support/state.ts';

const UI = 'http://localhost:8233';
const codec = createPayloadCodec(
  readKeyring({ SLUICE_PAYLOAD_KEY: `t:${randomBytes(32).toString('base64')}` }, 'SLUICE_PAYLOAD_KEY')!,
);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: the body is checked against the OpenAPI document first
  body: any;
}

/** One request with exactly the headers given: no Host unless `headers.host` names one. */
function send(
  server: ApiServer,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        setHost: false,
        headers: {
          ...headers,
          ...(payload === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = (res.headers['content-type'] ?? '').startsWith('application/json');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            body: json ? JSON.parse(text) : text,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('Host and Origin checks', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let contract: Contract;
  const servers: ApiServer[] = [];

  async function start(env: Record<string, string> = {}, options: Partial<ApiServerOptions> = {}) {
    const server = await startApiServer({
      db: state.db,
      client: temporal.client,
      ...apiServerSettings(readConfig('api', { SLUICE_API_PORT: '0', ...env })),
      temporalTimeoutMs: 500,
      log: () => {},
      ...options,
    });
    servers.push(server);
    contract ??= await Contract.of(server.app);
    return server;
  }

  /** Sends, then checks the answer against the OpenAPI document (operations it does not have aside). */
  async function call(
    server: ApiServer,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<Answer> {
    const answer = await send(server, method, path, headers, body);
    const template = contract.templateOf(path);
    if (template !== undefined && contract.doc.paths[template]?.[method.toLowerCase()] !== undefined) {
      contract.check(method, path, answer.status, String(answer.headers['content-type'] ?? ''), answer.body);
    }
    return answer;
  }

  const host = (server: ApiServer, name = '127.0.0.1') => ({ host: `${name}:${server.port}` });

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_host_origin');
    temporal = unreachableTemporal();
  });
  beforeEach(() => state.reset());
  afterAll(async () => {
    for (const server of servers) await server.close().catch(() => {});
    await temporal.close();
    await state.dispose();
  });

  describe('with authentication off', () => {
    let server: ApiServer;
    beforeAll(async () => {
      server = await start({}, { payloadCodec: { codec, corsOrigins: [UI] } });
      expect(server.auth).toBe('off');
    });

    it('refuses a token created under a rebound name, and writes nothing', async () => {
      const before = await tableCounts(state.db);
      const r = await call(
        server,
        'POST',
        '/api/tokens',
        { host: `attacker.example:${server.port}` },
        { name: 'x', role: 'viewer' },
      );
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
      expect(r.body.error.message).toBe(
        `Host "attacker.example:${server.port}" is not served here: with authentication off the API answers ` +
          `only to its loopback names (127.0.0.1:${server.port}, localhost:${server.port}, [::1]:${server.port}), ` +
          'so that no web page can reach it under another name (DNS rebinding); ' +
          `use http://127.0.0.1:${server.port}, or turn tokens on and list the name in SLUICE_API_ALLOWED_HOSTS`,
      );
      expect(r.body.error.details).toEqual({ host: `attacker.example:${server.port}` });
      expect(await tableCounts(state.db)).toEqual(before);
      // the same request under the loopback name is served
      const created = await call(server, 'POST', '/api/tokens', host(server), { name: 'x', role: 'viewer' });
      expect(created.status).toBe(201);
    });

    it('serves the loopback names with the listening port, in any case, and nothing else', async () => {
      for (const name of ['127.0.0.1', 'localhost', 'LOCALHOST', '[::1]']) {
        expect((await call(server, 'GET', '/api/environments', host(server, name))).status, name).toBe(200);
      }
      for (const wrong of [
        '127.0.0.1:9999',
        '127.0.0.1',
        'localhost',
        `127.0.0.2:${server.port}`,
        `localhost.:${server.port}`,
      ]) {
        const r = await call(server, 'GET', '/api/environments', { host: wrong });
        expect(r.status, wrong).toBe(403);
        expect(r.body.error.message, wrong).toContain(`use http://127.0.0.1:${server.port}`);
      }
      // a Host that is no host name at all is refused by the HTTP layer before the app
      for (const malformed of [`::1:${server.port}`, `127.0.0.1:${server.port}.attacker.example`]) {
        expect((await send(server, 'GET', '/api/environments', { host: malformed })).status, malformed).toBe(
          400,
        );
      }
    });

    it('refuses a request without a Host header in the error shape', async () => {
      const r = await call(server, 'GET', '/api/environments', {});
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe('forbidden');
      expect(r.body.error.message).toMatch(/^the request has no Host header: with authentication off/);
      expect(r.body.error.details).toEqual({ host: null });
    });

    it('checks every path: health, metrics, the reference, the codec endpoint, unknown routes', async () => {
      const foreign = { host: `attacker.example:${server.port}` };
      for (const [method, path] of [
        ['GET', '/api/health'],
        ['GET', '/metrics'],
        ['GET', '/api/docs'],
        ['GET', '/api/openapi.json'],
        ['POST', '/api/codec/decode'],
        ['OPTIONS', '/api/codec/decode'],
        ['GET', '/nothing'],
      ] as const) {
        const r = await call(server, method, path, foreign, method === 'POST' ? { payloads: [] } : undefined);
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.body.error.code, `${method} ${path}`).toBe('forbidden');
      }
      expect((await call(server, 'GET', '/metrics', host(server))).status).toBe(200);
    });

    it('refuses a change from another origin, and takes one from its own or without an Origin', async () => {
      const before = await tableCounts(state.db);
      for (const origin of ['http://attacker.example', `http://localhost:${server.port}`, 'null']) {
        const r = await call(
          server,
          'POST',
          '/api/tokens',
          { ...host(server), origin },
          { name: 'x', role: 'viewer' },
        );
        expect(r.status, origin).toBe(403);
        expect(r.body.error.message, origin).toMatch(
          new RegExp(`^Origin "${origin}" is not this API's own \\(http://127\\.0\\.0\\.1:${server.port}\\)`),
        );
        expect(r.body.error.details).toEqual({ origin });
      }
      expect(await tableCounts(state.db)).toEqual(before);
      // reads are not changes; the API's own origin and no Origin at all may change things
      expect(
        (await call(server, 'GET', '/api/tokens', { ...host(server), origin: 'http://attacker.example' }))
          .status,
      ).toBe(200);
      const own = await call(
        server,
        'POST',
        '/api/tokens',
        { ...host(server), origin: `http://127.0.0.1:${server.port}` },
        { name: 'own', role: 'viewer' },
      );
      expect(own.status).toBe(201);
      const none = await call(server, 'POST', '/api/tokens', host(server), { name: 'cli', role: 'viewer' });
      expect(none.status).toBe(201);
    });

    it("lets the Web UI's origins use the codec endpoint, and no other origin", async () => {
      const body = {
        payloads: [
          {
            metadata: { encoding: Buffer.from('json/plain').toString('base64') },
            data: Buffer.from('"x"').toString('base64'),
          },
        ],
      };
      const ui = await call(server, 'POST', '/api/codec/encode', { ...host(server), origin: UI }, body);
      expect(ui.status).toBe(200);
      expect(ui.headers['access-control-allow-origin']).toBe(UI);
      const evil = await call(
        server,
        'POST',
        '/api/codec/encode',
        { ...host(server), origin: 'http://attacker.example' },
        body,
      );
      expect(evil.status).toBe(403);
    });
  });

  describe('with tokens on', () => {
    let admin: string;
    beforeEach(async () => {
      ({ token: admin } = await createApiToken(state.db, {
        name: 'admin',
        role: 'admin',
        environments: ['*'],
        createdBy: 'tests',
      }));
    });
    const bearer = () => ({ authorization: `Bearer ${admin}` });

    it('serves any Host without an allow-list, and refuses a change from another origin', async () => {
      const server = await start();
      expect(server.auth).toBe('tokens');
      const r = await call(server, 'GET', '/api/tokens', { ...bearer(), host: 'sluice.example.com' });
      expect(r.status).toBe(200);
      const before = await tableCounts(state.db);
      const forged = await call(
        server,
        'POST',
        '/api/tokens',
        { ...bearer(), host: 'sluice.example.com', origin: 'https://attacker.example' },
        { name: 'x', role: 'viewer' },
      );
      expect(forged.status).toBe(403);
      expect(forged.body.error.message).toMatch(
        /^Origin "https:\/\/attacker\.example" is not this API's own/,
      );
      expect(await tableCounts(state.db)).toEqual(before);
      const own = await call(
        server,
        'POST',
        '/api/tokens',
        { ...bearer(), host: 'sluice.example.com', origin: 'https://sluice.example.com' },
        { name: 'y', role: 'viewer' },
      );
      expect(own.status).toBe(201);
    });

    it('serves only the Hosts of SLUICE_API_ALLOWED_HOSTS and the loopback names', async () => {
      const server = await start({ SLUICE_API_ALLOWED_HOSTS: 'Sluice.Example.com, sluice-api:8787' });
      for (const allowed of [
        'sluice.example.com',
        'SLUICE.example.COM',
        'sluice-api:8787',
        `127.0.0.1:${server.port}`,
      ]) {
        const r = await call(server, 'GET', '/api/tokens', { ...bearer(), host: allowed });
        expect(r.status, allowed).toBe(200);
      }
      for (const refused of ['other.example', 'sluice.example.com:8443', 'sluice-api', 'sluice-api:8788']) {
        const r = await call(server, 'GET', '/api/tokens', { ...bearer(), host: refused });
        expect(r.status, refused).toBe(403);
        expect(r.body.error.message, refused).toBe(
          `Host "${refused.toLowerCase()}" is not served here: the API answers only to sluice.example.com, ` +
            "sluice-api:8787 (SLUICE_API_ALLOWED_HOSTS) and its loopback names; add the name to SLUICE_API_ALLOWED_HOSTS if it is this API's",
        );
      }
      expect((await call(server, 'GET', '/api/health', { host: 'other.example' })).status).toBe(403);
      expect((await call(server, 'GET', '/api/tokens', bearer())).status).toBe(403);
    });
  });

  it('refuses a SLUICE_API_ALLOWED_HOSTS that is not a list of Host values, naming it and the value', () => {
    for (const value of [
      'http://sluice.example.com',
      '*',
      'sluice.example.com/api',
      'host:99999',
      'a b',
      ',',
    ]) {
      const read = () => readConfig('api', { SLUICE_API_ALLOWED_HOSTS: value });
      expect(read, value).toThrow(ConfigurationError);
      expect(read, value).toThrow(
        'SLUICE_API_ALLOWED_HOSTS: expected comma-separated Host values host or host:port, e.g. ' +
          `sluice.example.com,sluice-api:8787 (no scheme, path or *), got ${JSON.stringify(value)}`,
      );
    }
    expect(
      readConfig('api', { SLUICE_API_ALLOWED_HOSTS: ' A.example , [::1]:8787,10.0.0.5:80 ' })
        .SLUICE_API_ALLOWED_HOSTS,
    ).toEqual(['a.example', '[::1]:8787', '10.0.0.5:80']);
  });
});
