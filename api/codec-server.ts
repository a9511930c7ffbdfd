/**
 * The codec endpoint for the Temporal Web UI and CLI, following Temporal's remote codec protocol:
 * `POST <endpoint>/decode` and `POST <endpoint>/encode` take `{ "payloads": [...] }` (proto3 JSON,
 * base64 `data` and `metadata` values; the UI also sends `X-Namespace`) and answer the same shape run
 * through the payload codec (crypto/payload-codec.ts). Browsers reach it from the Web UI's origin, so
 * it answers CORS preflights for the origins it is given, and refuses requests from any other origin
 * (a page elsewhere must not be able to decode, nor a name rebound to 127.0.0.1).
 *
 * Two homes: the API mounts the routes at `/api/codec` when it holds SLUICE_PAYLOAD_KEY (behind its
 * bearer tokens, api/app.ts); `sluice codec-server` serves them alone on the machine of someone who
 * holds the key (SLUICE_CODEC_HOST, SLUICE_CODEC_PORT, SLUICE_CODEC_CORS_ORIGINS).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createRoute } from '@hono/zod-openapi';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { ConfigurationError } from '../config/configuration-error.ts';
import { type ConfigOf, type Environment, readConfig } from '../config/read.ts';
import { KeyringError } from '../crypto/keyring.ts';
import { EncryptionCodec, PAYLOAD_KEY_VARIABLE, payloadCodecFromEnv } from '../crypto/payload-codec.ts';
import type { AppEnv } from './context.ts';
import { badRequest, errorResponse, forbidden, notFound, payloadTooLarge, toApiError } from './errors.ts';
import { ListenError, listen } from './listen.ts';
import { router } from './router.ts';
import { type CodecPayloadJson, CodecPayloadsSchema } from './schemas/codec.ts';
import { errors, json, jsonBody } from './schemas/common.ts';

const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface CodecEndpointOptions {
  codec: PayloadCodec;
  /** the browser origins (`scheme://host[:port]`) allowed to call the endpoint. */
  corsOrigins: readonly string[];
}

const decodeRoute = createRoute({
  method: 'post',
  path: '/decode',
  tags: ['codec'],
  summary: 'Decrypt Temporal payloads (remote codec protocol, for the Temporal Web UI and CLI)',
  description:
    'Payloads sealed with SLUICE_PAYLOAD_KEY (`encoding: binary/encrypted`) come back as they were before ' +
    'encryption; any other payload comes back unchanged. Served only when the API holds the key.',
  request: { body: jsonBody(CodecPayloadsSchema) },
  responses: { 200: json(CodecPayloadsSchema, 'the payloads, decoded'), ...errors(400, 401, 403, 413, 415) },
});

const encodeRoute = createRoute({
  method: 'post',
  path: '/encode',
  tags: ['codec'],
  summary: 'Encrypt Temporal payloads (remote codec protocol, for the Temporal Web UI and CLI)',
  description:
    'Each payload is sealed with the current SLUICE_PAYLOAD_KEY, as sluice itself sends payloads to Temporal. ' +
    'Served only when the API holds the key.',
  request: { body: jsonBody(CodecPayloadsSchema) },
  responses: { 200: json(CodecPayloadsSchema, 'the payloads, encoded'), ...errors(400, 401, 403, 413, 415) },
});

/** The two routes, for mounting at the codec endpoint's base path. */
export function codecRoutes(codec: PayloadCodec) {
  return router()
    .openapi(decodeRoute, async (c) => {
      const { payloads } = c.req.valid('json');
      const decoded: Payload[] = [];
      for (const [index, payload] of payloads.entries()) {
        try {
          decoded.push(...(await codec.decode([fromJson(payload)])));
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          throw badRequest(`body.payloads[${index}]: ${reason}`, { path: `body.payloads[${index}]` });
        }
      }
      return c.json({ payloads: decoded.map(toJson) }, 200);
    })
    .openapi(encodeRoute, async (c) => {
      const { payloads } = c.req.valid('json');
      const encoded = await codec.encode(payloads.map(fromJson));
      return c.json({ payloads: encoded.map(toJson) }, 200);
    });
}

/**
 * CORS for the allowed origins (preflights answered here, before any authentication), and a 403 for
 * a request that names any other origin. Requests without an Origin (the Temporal CLI, curl) pass.
 */
export function codecCors(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(origins);
  const headers = cors({
    origin: [...allowed],
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Content-Type', 'X-Namespace', 'Authorization'],
    credentials: true,
    maxAge: 600,
  });
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !allowed.has(origin)) {
      throw forbidden(
        `origin ${origin} may not use this codec endpoint; allowed: ${[...allowed].join(', ') || 'none'} ` +
          '(SLUICE_CODEC_CORS_ORIGINS)',
        { origin },
      );
    }
    return headers(c, next);
  };
}

/** The standalone codec server's app: the routes at `/decode` and `/encode`, CORS, the API's error shape. */
export function createCodecApp(
  options: CodecEndpointOptions & { maxBodyBytes?: number; logError?: (line: string) => void },
) {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logError = options.logError ?? ((line: string) => process.stderr.write(`${line}\n`));
  const app = router();
  app.use('*', codecCors(options.corsOrigins));
  app.use('*', bodyLimit({ maxSize: maxBody, onError: (c) => errorResponse(c, payloadTooLarge(maxBody)) }));
  app.route('/', codecRoutes(options.codec));
  app.notFound((c) =>
    errorResponse(
      c,
      notFound(
        `no route ${c.req.method} ${c.req.path}; a codec server answers POST /decode and POST /encode`,
      ),
    ),
  );
  app.onError((err, c) => {
    const error = toApiError(err);
    if (error.status >= 500) {
      logError(
        `sluice codec-server: ${c.req.method} ${c.req.path} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return errorResponse(c, error);
  });
  return app;
}

export interface CodecServerSettings extends CodecEndpointOptions {
  host: string;
  port: number;
  /** the id payloads are sealed with, for the start-up line. */
  keyId: string | undefined;
}

/** The standalone server's settings from its configuration; every problem names its variable. */
export function codecServerSettings(values: ConfigOf<'codec'>): CodecServerSettings {
  let codec: PayloadCodec | undefined;
  try {
    codec = payloadCodecFromEnv({
      SLUICE_PAYLOAD_KEY: values.SLUICE_PAYLOAD_KEY,
      SLUICE_PAYLOAD_KEY_PREVIOUS: values.SLUICE_PAYLOAD_KEY_PREVIOUS,
    });
  } catch (error) {
    if (error instanceof KeyringError) throw new ConfigurationError(error.message);
    throw error;
  }
  if (codec === undefined) {
    throw new ConfigurationError(
      `${PAYLOAD_KEY_VARIABLE} is not set: the codec server encrypts and decrypts with the same key as the ` +
        'workers (and SLUICE_PAYLOAD_KEY_PREVIOUS for older histories)',
      PAYLOAD_KEY_VARIABLE,
    );
  }
  return {
    codec,
    host: values.SLUICE_CODEC_HOST,
    port: values.SLUICE_CODEC_PORT,
    corsOrigins: values.SLUICE_CODEC_CORS_ORIGINS,
    keyId: codec instanceof EncryptionCodec ? codec.keyId : undefined,
  };
}

/** `codecServerSettings` of an environment, read as `sluice codec-server` reads its own. */
export function readCodecServerSettings(env: Environment): CodecServerSettings {
  return codecServerSettings(readConfig('codec', env));
}

export interface CodecServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export interface StartCodecServerOptions {
  /** the key, address and origins (`codecServerSettings`). */
  settings: CodecServerSettings;
  /** override SLUICE_CODEC_HOST / SLUICE_CODEC_PORT (0 picks a free port). */
  host?: string;
  port?: number;
  /** start-up lines. */
  log?: (line: string) => void;
}

/** `sluice codec-server`: the codec endpoint alone, listening until closed. */
export async function startCodecServer(options: StartCodecServerOptions): Promise<CodecServer> {
  const { settings } = options;
  const host = options.host ?? settings.host;
  const port = options.port ?? settings.port;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const app = createCodecApp(settings);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  await listen(server, host, port, 'SLUICE_CODEC_PORT').catch((error: unknown) => {
    throw error instanceof ListenError ? new ConfigurationError(error.message, 'SLUICE_CODEC_PORT') : error;
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}`;
  log(
    `sluice codec-server: listening on ${url} (POST /decode, POST /encode)` +
      (settings.keyId === undefined ? '' : `, sealing with key "${settings.keyId}"`),
  );
  log(`sluice codec-server: browsers allowed from ${settings.corsOrigins.join(', ')}`);
  if (!isLoopback(host)) {
    log(
      `sluice codec-server: warning: ${host} is not a loopback address and the codec server has no ` +
        'authentication: anyone who can reach it can decrypt payloads',
    );
  }
  return {
    url,
    host,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function fromJson(payload: CodecPayloadJson): Payload {
  const result: Payload = {};
  if (payload.metadata !== undefined && payload.metadata !== null) {
    result.metadata = Object.fromEntries(
      Object.entries(payload.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    );
  }
  if (payload.data !== undefined && payload.data !== null) result.data = Buffer.from(payload.data, 'base64');
  return result;
}

function toJson(payload: Payload): CodecPayloadJson {
  const result: CodecPayloadJson = {};
  if (payload.metadata !== undefined && payload.metadata !== null) {
    result.metadata = Object.fromEntries(
      Object.entries(payload.metadata).map(([key, value]) => [key, base64(value)]),
    );
  }
  if (payload.data !== undefined && payload.data !== null) result.data = base64(payload.data);
  return result;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
