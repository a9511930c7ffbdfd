/**
 * The CLI's API client on the wire: the requests it sends (method, path, query, headers, body) and
 * how it reads replies and failures, against a plain HTTP server that records each request and
 * answers what the test says.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/api-client.ts';
import { CliError, EXIT } from '../../cli/errors.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let url: string;
let seen: Seen[] = [];
let reply: { status: number; body: string; type?: string } = { status: 200, body: '{}' };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  reply = { status: 200, body: '{}' };
});

function client(token?: string) {
  return new ApiClient({ url: `${url}/`, ...(token === undefined ? {} : { token }) });
}

async function failure(call: () => Promise<unknown>): Promise<CliError> {
  const error = await call().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('ApiClient', () => {
  it('sends path parameters URL-encoded, with the token and asking for JSON', async () => {
    reply = { status: 202, body: '{"environment":"dev","model":"a/b c","action":"resume"}' };
    const change = await client('tok').resumeModel('dev', 'a/b c');
    expect(change).toEqual({ environment: 'dev', model: 'a/b c', action: 'resume' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'DELETE',
      url: '/api/environments/dev/pauses/a%2Fb%20c',
      body: '',
    });
    expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer tok', accept: 'application/json' });
    expect(seen[0]!.headers['content-type']).toBeUndefined();
  });

  it('sends no authorization without a token', async () => {
    await client().environments();
    expect(seen[0]!.url).toBe('/api/environments');
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('sends a body as JSON', async () => {
    reply = { status: 202, body: '{"runId":"r1"}' };
    await client().triggerRun('prod', { models: ['shop.orders'], includeUpstream: true });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/environments/prod/runs' });
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ models: ['shop.orders'], includeUpstream: true });
  });

  it('leaves unset query parameters out', async () => {
    reply = { status: 200, body: '{"items":[],"nextCursor":null}' };
    await client().runs({ environment: undefined, status: 'failed,running', limit: 5 });
    expect(seen[0]!.url).toBe('/api/runs?status=failed%2Crunning&limit=5');
    await client().tokens(false);
    expect(seen[1]!.url).toBe('/api/tokens');
    await client().tokens(true);
    expect(seen[2]!.url).toBe('/api/tokens?includeRevoked=true');
  });

  it('reads the health report when the API answers 503', async () => {
    reply = { status: 503, body: '{"status":"degraded"}' };
    expect(await client().health()).toEqual({ status: 'degraded' });
  });

  it("turns a rejection into the API's one-line message with exit code 2, a server error into exit code 1", async () => {
    reply = {
      status: 404,
      body: '{"error":{"code":"not_found","message":"unknown run \\"r9\\"\\nsee runs"}}',
    };
    const rejected = await failure(() => client().run('r9'));
    expect(rejected.message).toBe('unknown run "r9" see runs');
    expect(rejected.exitCode).toBe(EXIT.invalid);

    reply = { status: 500, body: 'not json', type: 'text/plain' };
    const failed = await failure(() => client().plan('p1'));
    expect(failed.message).toBe('500 Internal Server Error');
    expect(failed.exitCode).toBe(EXIT.failed);

    reply = { status: 401, body: '{"error":{"code":"unauthorized","message":"a bearer token is required"}}' };
    const unauthorized = await failure(() => client().environments());
    expect(unauthorized.message).toBe('a bearer token is required (set SLUICE_TOKEN or pass --token)');
  });

  it('refuses an empty path parameter without sending anything', async () => {
    const error = await failure(async () => client().run(''));
    expect(error.message).toBe('the id must not be empty');
    expect(error.exitCode).toBe(EXIT.invalid);
    const model = await failure(async () => client().resumeModel('dev', ''));
    expect(model.message).toBe('the model name must not be empty');
    expect(seen).toEqual([]);
  });

  it('asks for the event stream when following a run, and reads its events', async () => {
    reply = {
      status: 200,
      type: 'text/event-stream',
      body: 'event: run\ndata: {"status":"running"}\n\n: keep-alive\n\nevent: end\ndata: {"status":"succeeded"}\n\n',
    };
    const events: unknown[] = [];
    await client().followRun('r1', (event) => {
      events.push(event);
    });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/runs/r1/events' });
    expect(seen[0]!.headers.accept).toBe('text/event-stream');
    expect(events).toEqual([
      { event: 'run', data: { status: 'running' } },
      { event: 'end', data: { status: 'succeeded' } },
    ]);
  });
});
