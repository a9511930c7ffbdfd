/**
 * Scheduler-managed warehouse connections (admin only): add or replace a gateway's connection,
 * list them, show one, remove one, and re-seal them all under the current key.
 *
 * Adding seals the `connection:` mapping with the API's SLUICE_ENCRYPTION_KEY (the gateway name as
 * associated data) and has an apply executor connect with it before anything is stored: a
 * connection that does not work is never saved. The plain settings exist only inside the request
 * handler; replies, the audit log and the state database get the gateway, type, host, key id and
 * test timings, never the settings.
 *
 * A token manages only the connections of gateways every environment using them matches its
 * patterns (api/auth/gateway-scope.ts): others are refused with 403 and left out of the listing, and
 * re-sealing them all needs a token whose patterns include `*`. A refusal stores and audits nothing.
 */
import { createRoute } from '@hono/zod-openapi';
import { DEFAULT_CONNECTION_TEST_TIMEOUT_MS } from '../../config/defaults.ts';
import type { Keyring } from '../../crypto/keyring.ts';
import { OpenError, open, seal } from '../../crypto/sealed.ts';
import {
  type ConnectionRecord,
  deleteConnection,
  getConnection,
  listConnections,
  resealConnections,
  toSummary,
  upsertConnection,
} from '../../state/connections.ts';
import { audit } from '../audit.ts';
import { requirePermission } from '../auth/authorize.ts';
import { checkGatewayScope, checkUnscoped, gatewayScope } from '../auth/gateway-scope.ts';
import { readConnectionYaml, readGatewayName } from '../connection-input.ts';
import { runConnectionTest } from '../connection-test.ts';
import { ApiError, conflict, notFound } from '../errors.ts';
import { router } from '../router.ts';
import { ErrorSchema, errors, json, jsonBody } from '../schemas/common.ts';
import {
  AddConnectionBody,
  ConnectionListSchema,
  ConnectionParams,
  ConnectionSchema,
  KeyRotationSchema,
  SavedConnectionSchema,
} from '../schemas/connections.ts';

export interface ConnectionRouteOptions {
  /** SLUICE_ENCRYPTION_KEY (and _PREVIOUS); without it connections cannot be added or rotated. */
  encryption?: Keyring;
  /** SLUICE_CONNECTION_TEST_TIMEOUT: how long a test waits for an apply executor (30 s). */
  testTimeoutMs?: number;
}

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

const OUT_OF_SCOPE =
  "the token is not an admin, or an environment using the gateway is outside the token's patterns " +
  '(the error names the gateway, those environments and the patterns)';

const add = createRoute({
  method: 'post',
  path: '/connections',
  tags: ['connections'],
  summary: "Add or replace a gateway's connection, after an apply executor connected with it",
  middleware: [requirePermission('manage_connections')],
  request: { body: jsonBody(AddConnectionBody) },
  responses: {
    201: json(SavedConnectionSchema, 'the connection was tested and stored'),
    200: json(SavedConnectionSchema, "the connection was tested and replaced the gateway's previous one"),
    ...errors(400, 401, 413, 415),
    403: error(OUT_OF_SCOPE),
    422: error('the YAML is not a valid connection, or the connection test failed (nothing is stored)'),
    503: error('no encryption key on the API, no apply executor took the test, or Temporal is unreachable'),
  },
});

const list = createRoute({
  method: 'get',
  path: '/connections',
  tags: ['connections'],
  summary: 'Scheduler-managed connections, by gateway, without their settings',
  middleware: [requirePermission('manage_connections')],
  responses: {
    200: json(ConnectionListSchema, "connections of the gateways in the token's scope"),
    ...errors(401, 403),
  },
});

const show = createRoute({
  method: 'get',
  path: '/connections/{gateway}',
  tags: ['connections'],
  summary: "A gateway's scheduler-managed connection, without its settings",
  middleware: [requirePermission('manage_connections')],
  request: { params: ConnectionParams },
  responses: {
    200: json(ConnectionSchema, 'the connection'),
    ...errors(400, 401, 404),
    403: error(OUT_OF_SCOPE),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/connections/{gateway}',
  tags: ['connections'],
  summary: "Remove a gateway's scheduler-managed connection; work already prepared keeps its copy",
  middleware: [requirePermission('manage_connections')],
  request: { params: ConnectionParams },
  responses: {
    200: json(ConnectionSchema, 'the removed connection'),
    ...errors(400, 401, 404),
    403: error(OUT_OF_SCOPE),
  },
});

const rotate = createRoute({
  method: 'post',
  path: '/connections/rotate-key',
  tags: ['connections'],
  summary: 'Re-seal every connection under the current SLUICE_ENCRYPTION_KEY, all or none',
  middleware: [requirePermission('manage_connections')],
  responses: {
    200: json(KeyRotationSchema, 'every connection is sealed with the current key'),
    ...errors(401, 409),
    403: error('the token is not an admin, or its environment patterns do not include `*`'),
    503: error('the API has no SLUICE_ENCRYPTION_KEY'),
  },
});

export function connectionRoutes(options: ConnectionRouteOptions = {}) {
  const testTimeoutMs = options.testTimeoutMs ?? DEFAULT_CONNECTION_TEST_TIMEOUT_MS;
  const keyring = (): Keyring => {
    if (options.encryption === undefined) {
      throw new ApiError(
        503,
        'encryption_not_configured',
        'SLUICE_ENCRYPTION_KEY is not set on the API: set a 32-byte key (e.g. `openssl rand -base64 32`) ' +
          'on the API and on every executor that should use scheduler-managed connections',
      );
    }
    return options.encryption;
  };

  return router()
    .openapi(add, async (c) => {
      const deps = c.get('deps');
      const principal = c.get('principal');
      const body = c.req.valid('json');
      const gateway = readGatewayName(body.gateway);
      await checkGatewayScope(deps.db, principal, gateway);
      const input = readConnectionYaml(gateway, body.yaml);
      const sealed = seal(keyring(), JSON.stringify(input.connection), gateway);
      const test = await runConnectionTest(deps, {
        gateway,
        sealed,
        settings: input.settings,
        scheduleToStartMs: testTimeoutMs,
      });
      // a plan submitted while the test ran may have put the gateway out of scope
      await checkGatewayScope(deps.db, principal, gateway);
      const { connection, created } = await upsertConnection(deps.db, {
        gateway,
        type: input.type,
        host: input.host,
        sealed,
        actor: principal.actor,
        testedAt: deps.now(),
        testMs: test.latencyMs,
        at: deps.now(),
      });
      await audit(c, {
        action: created ? 'connection.create' : 'connection.replace',
        target: gateway,
        details: {
          type: connection.type,
          host: connection.host,
          keyId: connection.keyId,
          testedBy: test.executor,
          latencyMs: test.latencyMs,
        },
      });
      const reply = {
        ...toSummary(connection),
        created,
        test: {
          executor: test.executor,
          latencyMs: test.latencyMs,
          ...(test.serverVersion === undefined ? {} : { serverVersion: test.serverVersion }),
        },
      };
      return created ? c.json(reply, 201) : c.json(reply, 200);
    })
    .openapi(list, async (c) => {
      const { db } = c.get('deps');
      const scope = await gatewayScope(db, c.get('principal'));
      const items = (await listConnections(db)).filter((connection) => scope.allows(connection.gateway));
      return c.json({ items }, 200);
    })
    .openapi(show, async (c) => {
      const { db } = c.get('deps');
      const gateway = readGatewayName(c.req.valid('param').gateway);
      await checkGatewayScope(db, c.get('principal'), gateway);
      const connection = await getConnection(db, gateway);
      if (!connection) throw unknownGateway(gateway);
      return c.json(toSummary(connection), 200);
    })
    .openapi(remove, async (c) => {
      const { db } = c.get('deps');
      const gateway = readGatewayName(c.req.valid('param').gateway);
      await checkGatewayScope(db, c.get('principal'), gateway);
      const removed = await deleteConnection(db, gateway);
      if (!removed) throw unknownGateway(gateway);
      await audit(c, {
        action: 'connection.delete',
        target: gateway,
        details: { type: removed.type, host: removed.host, keyId: removed.keyId },
      });
      return c.json(removed, 200);
    })
    .openapi(rotate, async (c) => {
      const { db, now } = c.get('deps');
      const principal = c.get('principal');
      checkUnscoped(principal, 're-sealing every connection (rotate-key)');
      const keys = keyring();
      const current = keys.current.id;
      let unchanged = 0;
      const changed = await resealConnections(
        db,
        (connection) => {
          if (connection.keyId === current) {
            unchanged++;
            return undefined;
          }
          return reseal(keys, connection);
        },
        { actor: principal.actor, at: now() },
      );
      const resealed: Record<string, number> = {};
      for (const { fromKeyId } of changed) resealed[fromKeyId] = (resealed[fromKeyId] ?? 0) + 1;
      await audit(c, {
        action: 'connection.rotate_key',
        target: current,
        details: { keyId: current, resealed, unchanged },
      });
      return c.json({ keyId: current, resealed, unchanged, gateways: changed }, 200);
    });
}

/** The connection sealed again under the current key; a key the API lacks stops the whole rotation. */
function reseal(keys: Keyring, connection: ConnectionRecord) {
  let plain: Buffer;
  try {
    plain = open(keys, connection.sealed, connection.gateway);
  } catch (err) {
    if (!(err instanceof OpenError)) throw err;
    throw conflict(
      `the connection of gateway "${connection.gateway}" cannot be opened by the API: ${err.message}; ` +
        `add key "${connection.keyId}" to SLUICE_ENCRYPTION_KEY_PREVIOUS and rotate again, or add the ` +
        'connection again. Nothing was re-sealed',
      { gateway: connection.gateway, keyId: connection.keyId },
    );
  }
  try {
    return seal(keys, plain, connection.gateway);
  } finally {
    plain.fill(0);
  }
}

function unknownGateway(gateway: string): ApiError {
  return notFound(`no scheduler-managed connection for gateway "${gateway}"`, { gateway });
}
