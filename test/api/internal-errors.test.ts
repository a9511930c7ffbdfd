/**
 * An unexpected failure inside a route answers 500 in the error shape with a fixed message: what
 * failed (a query's text, its parameters, a path) goes to the server's log, never to the client.
 */
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { INTERNAL_MESSAGE } from '../../api/errors.ts';
import type { StateDb } from '../../db/client.ts';

const FAILURE =
  'Failed query: select "id", "token_hash" from "sluice"."api_tokens" where "id" = $1\nparams: a\u0000b';

/** A state database whose every call fails the way a driver error does. */
const failingDb = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error(FAILURE);
    },
  },
) as unknown as StateDb;

describe('an unexpected failure in a route', () => {
  it('answers 500 with a fixed message and logs what failed', async () => {
    const logged: string[] = [];
    const app = createApp({
      db: failingDb,
      client: {} as Client,
      auth: 'off',
      logError: (message) => logged.push(message),
    });
    const response = await app.request('/api/environments');
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal', message: INTERNAL_MESSAGE, details: null },
    });
    expect(text).not.toMatch(/select|api_tokens|token_hash|params/);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(FAILURE);
  });
});
