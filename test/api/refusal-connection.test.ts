/**
 * A request refused before its body was read (too large, no token) must not break the connection a
 * client keeps alive: the refusal says `Connection: close`, and the client's next request, on a
 * new connection, is answered. Before, Node reset the reused connection and that next request failed.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../api/auth/tokens.ts';
import { type ApiServer, startApiServer } from '../../api/server.ts';
import { unreachableTemporal } from './support/app.ts';
import { openTestState, type TestState } from './support/state.ts';

interface Answer {
  status: number;
  connection: string | undefined;
}

function send(
  agent: Agent,
  server: ApiServer,
  method: string,
  path: string,
  body?: string,
  token?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('a refused request with a body', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let server: ApiServer;
  let admin: string;

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_refusal_connection');
    temporal = unreachableTemporal();
    ({ token: admin } = await createApiToken(state.db, {
      name: 'ops',
      role: 'admin',
      environments: ['*'],
      createdBy: 'test',
    }));
    server = await startApiServer({
      db: state.db,
      client: temporal.client,
      host: '127.0.0.1',
      port: 0,
      auth: 'tokens',
      log: () => {},
    });
  });
  afterAll(async () => {
    await server?.close();
    await temporal.close();
    await state.dispose();
  });

  it.each([
    ['too large', 413, `{"name":"${'x'.repeat(1_200_000)}","role":"viewer"}`, true],
    ['without a token', 401, '{"name":"x","role":"viewer"}', false],
  ])(
    '%s closes its connection, and the next request on the kept-alive agent is answered',
    async (_, status, body, withToken) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const refused = await send(agent, server, 'POST', '/api/tokens', body, withToken ? admin : undefined);
        expect(refused).toEqual({ status, connection: 'close' });
        for (let i = 0; i < 3; i++) {
          expect((await send(agent, server, 'GET', '/api/openapi.json')).status).toBe(200);
        }
      } finally {
        agent.destroy();
      }
    },
  );
});
