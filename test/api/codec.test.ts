/**
 * The codec endpoint for the Temporal Web UI (Temporal's remote codec protocol): in the API at
 * `/api/codec` behind tokens of any role, and alone as `sluice codec-server`. Round trips through
 * HTTP, what the Web UI's browser needs (CORS preflight, X-Namespace), and the rejections.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { readCodecServerSettings, startCodecServer } from '../../api/codec-server.ts';
import { ConfigurationError } from '../../config/configuration-error.ts';
import { readKeyring } from '../../crypto/keyring.ts';
import { createPayloadCodec, ENCRYPTED_ENCODING } from '../../crypto/payload-codec.ts';
import { API_ROLES } from '../../db/schema.ts';
import { freePort } from '../support/ports.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { type Body, Contract } from './support/contract.ts';
import { openTestState, type TestState } from './support/state.ts';

const KEY = randomBytes(32);
const ENV = { SLUICE_PAYLOAD_KEY: `ui-test:${KEY.toString('base64')}` };
const codec = createPayloadCodec(readKeyring(ENV, 'SLUICE_PAYLOAD_KEY')!);
const UI = 'http://localhost:8233';
const SQL = 'SELECT customer_id, SUM(amount) FROM shop.orders GROUP BY 1';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    ...(payload.data ? { data: Buffer.from(payload.data).toString('base64') } : {}),
  };
}

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    ...(payload.data === undefined ? {} : { data: Buffer.from(payload.data, 'base64') }),
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const fromB64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

describe('the codec endpoint in the API', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let viewer: string;

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_codec');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, payloadCodec: { codec, corsOrigins: [UI] } });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    viewer = await tokenFor(state.db, 'viewer');
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  const post = (path: string, body: unknown, token: string | null = viewer, headers = {}) =>
    contract.call(app, 'POST', path, {
      body,
      ...(token === null ? {} : { token }),
      headers: { origin: UI, 'x-namespace': 'default', ...headers },
    });

  it('encodes as the workers do and decodes back, through HTTP, for a token of any role', async () => {
    const original = [
      defaultPayloadConverter.toPayload({ sql: SQL, model: 'shop.customer_totals' }),
      defaultPayloadConverter.toPayload(null),
    ].map(toJson);
    const encoded = await post('/api/codec/encode', { payloads: original });
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('access-control-allow-origin')).toBe(UI);
    const sealed: JsonPayload[] = encoded.body.payloads;
    expect(sealed).toHaveLength(2);
    for (const payload of sealed) {
      expect(fromB64(payload.metadata!.encoding!)).toBe(ENCRYPTED_ENCODING);
      expect(fromB64(payload.metadata!['encryption-key-id']!)).toBe('ui-test');
    }
    expect(JSON.stringify(sealed)).not.toContain(b64(SQL).slice(0, 12));
    // what the endpoint sealed, the workers' codec opens, and the other way round
    const opened = await codec.decode(sealed.map(fromJson));
    expect(defaultPayloadConverter.fromPayload(opened[0]!)).toEqual({
      sql: SQL,
      model: 'shop.customer_totals',
    });
    const fromWorker = (await codec.encode([defaultPayloadConverter.toPayload('from a worker')])).map(toJson);

    for (const role of API_ROLES) {
      const token = await tokenFor(state.db, role, ['prod'], `codec-${role}`);
      const decoded = await post('/api/codec/decode', { payloads: [...sealed, ...fromWorker] }, token);
      expect(decoded.status, role).toBe(200);
      expect(decoded.body.payloads.slice(0, 2)).toEqual(original);
      expect(defaultPayloadConverter.fromPayload(fromJson(decoded.body.payloads[2]))).toBe('from a worker');
    }
  });

  it('passes payloads that are not encrypted through decode unchanged', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload('history from before the key'));
    const decoded = await post('/api/codec/decode', { payloads: [plain, {}] });
    expect(decoded.status).toBe(200);
    expect(decoded.body.payloads).toEqual([plain, {}]);
  });

  it("answers the Web UI's CORS preflight without a token, and refuses other origins", async () => {
    for (const path of ['/api/codec/decode', '/api/codec/encode']) {
      const preflight = await app.request(path, {
        method: 'OPTIONS',
        headers: {
          origin: UI,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
      expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(
        expect.arrayContaining(['content-type', 'x-namespace', 'authorization']),
      );
    }
    const elsewhere = await post('/api/codec/decode', { payloads: [] }, viewer, {
      origin: 'https://evil.example',
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toBe(
      `origin https://evil.example may not use this codec endpoint; allowed: ${UI} (SLUICE_CODEC_CORS_ORIGINS)`,
    );
    const evilPreflight = await app.request('/api/codec/decode', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(evilPreflight.status).toBe(403);
    expect(evilPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('needs a valid token when authentication is on', async () => {
    const missing = await post('/api/codec/decode', { payloads: [] }, null);
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('unauthorized');
    // the browser can read the 401, so the Web UI shows why
    expect(missing.headers.get('access-control-allow-origin')).toBe(UI);
    const wrong = await post('/api/codec/encode', { payloads: [] }, 'sluice_not-a-token');
    expect(wrong.status).toBe(401);
  });

  it('rejects malformed bodies with 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'body.payloads: '],
      [{ payloads: {} }, 'body.payloads: '],
      [{ payloads: [{ data: 'not base64!' }] }, 'body.payloads[0].data: expected a base64 string'],
      [{ payloads: [{}, { metadata: { encoding: 7 } }] }, 'body.payloads[1].metadata.encoding: '],
      [{ payloads: [{ metadata: 'json/plain' }] }, 'body.payloads[0].metadata: '],
    ];
    for (const [body, message] of cases) {
      const r = await post('/api/codec/decode', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.message.startsWith(message), r.body.error.message).toBe(true);
    }
    const malformed = await contract.call(app, 'POST', '/api/codec/encode', {
      raw: '{"payloads": [',
      token: viewer,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const text = await contract.call(app, 'POST', '/api/codec/decode', {
      raw: '{"payloads":[]}',
      token: viewer,
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
  });

  it('names the payload and the key id it cannot decrypt, never the key', async () => {
    const otherKey = randomBytes(32);
    const other = createPayloadCodec(
      readKeyring({ SLUICE_PAYLOAD_KEY: `retired:${otherKey.toString('hex')}` }, 'SLUICE_PAYLOAD_KEY')!,
    );
    const foreign = (await other.encode([defaultPayloadConverter.toPayload('x')])).map(toJson);
    const plain = toJson(defaultPayloadConverter.toPayload('y'));
    const r = await post('/api/codec/decode', { payloads: [plain, ...foreign] });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe(
      'body.payloads[1]: cannot decrypt a payload: sealed with key "retired", which SLUICE_PAYLOAD_KEY does not hold (it holds "ui-test")',
    );
    for (const key of [KEY, otherKey]) {
      expect(r.text).not.toContain(key.toString('base64'));
      expect(r.text).not.toContain(key.toString('hex'));
    }
  });

  it('is documented as token-protected operations, and absent from an API without the key', async () => {
    const doc = contract.doc as { paths: Record<string, Record<string, { security?: unknown[] }>> };
    expect(Object.keys(doc.paths['/api/codec/decode']!)).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/codec/encode']!)).toEqual(['post']);
    expect(doc.paths['/api/codec/decode']!.post!.security).toBeUndefined();

    const plainApp = testApp({ db: state.db, client: temporal.client });
    const r = await plainApp.request('/api/codec/decode', {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' },
      body: '{"payloads":[]}',
    });
    expect(r.status).toBe(404);
    const plainDoc = (await (await plainApp.request('/api/openapi.json')).json()) as Body;
    expect(Object.keys(plainDoc.paths).filter((p) => p.startsWith('/api/codec'))).toEqual([]);
  });

  it('is open to anyone who reaches a loopback API with authentication off', async () => {
    const open = testApp({
      db: state.db,
      client: temporal.client,
      auth: 'off',
      payloadCodec: { codec, corsOrigins: [UI] },
    });
    const sealed = (await codec.encode([defaultPayloadConverter.toPayload('open')])).map(toJson);
    const r = await contract.call(open, 'POST', '/api/codec/decode', { body: { payloads: sealed } });
    expect(r.status).toBe(200);
    expect(defaultPayloadConverter.fromPayload(fromJson(r.body.payloads[0]))).toBe('open');
  });
});

describe('the standalone codec server', () => {
  it('serves /decode and /encode over HTTP with CORS for the Web UI, until closed', async () => {
    const lines: string[] = [];
    const server = await startCodecServer({
      settings: readCodecServerSettings(ENV),
      port: 0,
      log: (line) => lines.push(line),
    });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines[0]).toBe(
        `sluice codec-server: listening on ${server.url} (POST /decode, POST /encode), sealing with key "ui-test"`,
      );
      expect(lines[1]).toBe(
        'sluice codec-server: browsers allowed from http://localhost:8233, http://127.0.0.1:8233',
      );
      expect(lines.join('\n')).not.toContain(KEY.toString('base64'));

      const preflight = await fetch(`${server.url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://127.0.0.1:8233',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');

      const call = (path: string, body: unknown, origin = UI) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin },
          body: JSON.stringify(body),
        });
      const original = [toJson(defaultPayloadConverter.toPayload({ sql: SQL }))];
      const encoded = await call('/encode', { payloads: original });
      expect(encoded.status).toBe(200);
      expect(encoded.headers.get('access-control-allow-origin')).toBe(UI);
      const sealed = ((await encoded.json()) as { payloads: JsonPayload[] }).payloads;
      expect(fromB64(sealed[0]!.metadata!.encoding!)).toBe(ENCRYPTED_ENCODING);
      const decoded = await call('/decode', { payloads: sealed });
      expect(((await decoded.json()) as { payloads: JsonPayload[] }).payloads).toEqual(original);

      // the Temporal CLI sends no Origin; the decoded value is the same
      const cli = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payloads: sealed }),
      });
      expect(cli.status).toBe(200);

      const bad = await call('/decode', { payloads: [{ data: 42 }] });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Body).error.message).toMatch(/^body\.payloads\[0\]\.data: /);
      const evil = await call('/decode', { payloads: sealed }, 'http://attacker.test:8888');
      expect(evil.status).toBe(403);
      const unknown = await fetch(`${server.url}/api/codec/decode`, { method: 'POST' });
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as Body).error.message).toBe(
        'no route POST /api/codec/decode; a codec server answers POST /decode and POST /encode',
      );
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.url}/decode`, { method: 'POST' })).rejects.toThrow();
  });

  it('reads its settings from the environment and names the variable of each bad one', () => {
    const settings = readCodecServerSettings({
      ...ENV,
      SLUICE_CODEC_HOST: '127.0.0.2',
      SLUICE_CODEC_PORT: '9999',
      SLUICE_CODEC_CORS_ORIGINS: 'https://temporal.example.com, http://localhost:8080/',
    });
    expect(settings).toMatchObject({
      host: '127.0.0.2',
      port: 9999,
      keyId: 'ui-test',
      corsOrigins: ['https://temporal.example.com', 'http://localhost:8080'],
    });
    expect(readCodecServerSettings(ENV)).toMatchObject({ host: '127.0.0.1', port: 8888 });

    const bad: Array<[Record<string, string>, RegExp]> = [
      [{}, /^SLUICE_PAYLOAD_KEY is not set: /],
      [{ SLUICE_PAYLOAD_KEY: 'short' }, /^SLUICE_PAYLOAD_KEY: expected a 32-byte key/],
      [
        { ...ENV, SLUICE_CODEC_PORT: '80a' },
        /^SLUICE_CODEC_PORT: expected a port number 0–65535 .*, got "80a"$/,
      ],
      [{ ...ENV, SLUICE_CODEC_PORT: '70000' }, /^SLUICE_CODEC_PORT: .*, got "70000"$/],
      [
        { ...ENV, SLUICE_CODEC_CORS_ORIGINS: '*' },
        /^SLUICE_CODEC_CORS_ORIGINS: expected .*\(\* is refused\), got "\*"$/,
      ],
      [
        { ...ENV, SLUICE_CODEC_CORS_ORIGINS: 'http://localhost:8233/namespaces' },
        /^SLUICE_CODEC_CORS_ORIGINS: expected .* without a path.*, got "http:\/\/localhost:8233\/namespaces"$/,
      ],
      [
        { ...ENV, SLUICE_CODEC_CORS_ORIGINS: 'localhost:8233' },
        /^SLUICE_CODEC_CORS_ORIGINS: expected .*, got "localhost:8233"$/,
      ],
    ];
    for (const [env, message] of bad) {
      let error: Error | undefined;
      try {
        readCodecServerSettings(env);
      } catch (caught) {
        error = caught as Error;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigurationError);
      expect(error!.message).toMatch(message);
      expect(error!.message).not.toContain(KEY.toString('base64'));
    }
  });

  it('says so when its port is taken', async () => {
    const port = await freePort();
    const first = await startCodecServer({ settings: readCodecServerSettings(ENV), port, log: () => {} });
    try {
      await expect(
        startCodecServer({ settings: readCodecServerSettings(ENV), port, log: () => {} }),
      ).rejects.toThrow(
        `cannot listen on 127.0.0.1:${port}: the port is in use (set SLUICE_CODEC_PORT to another port)`,
      );
    } finally {
      await first.close();
    }
  });

  it('runs as `sluice codec-server`, configured by the environment, and stops on SIGTERM', async () => {
    const bin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'codec-server'], {
      env: { PATH: process.env.PATH ?? '', ...ENV, SLUICE_CODEC_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('set the codec endpoint to')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toContain(
        `sluice codec-server: in the Temporal Web UI, set the codec endpoint to http://127.0.0.1:${port}\n`,
      );
      const sealed = (await codec.encode([defaultPayloadConverter.toPayload('via the command')])).map(toJson);
      const r = await fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ payloads: sealed }),
      });
      const body = (await r.json()) as { payloads: JsonPayload[] };
      expect(defaultPayloadConverter.fromPayload(fromJson(body.payloads[0]!))).toBe('via the command');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output).toContain('sluice codec-server: stopping');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    const refused = spawn(process.execPath, [bin, 'codec-server'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    refused.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await new Promise((resolve) => refused.once('exit', resolve))).toBe(2);
    expect(stderr).toMatch(/^sluice: SLUICE_PAYLOAD_KEY is not set: /);
  });
});
