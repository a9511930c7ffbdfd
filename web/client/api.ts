/**
 * The API as the dashboard calls it: hono/client typed from the API's own routes (api/app.ts), with
 * the session's token on every request. A failure becomes an ApiFailure carrying the API's own
 * message; a 401 also ends the session, so the app asks for a token again.
 */
import { type ClientResponse, hc } from 'hono/client';
import type { SuccessStatusCode } from 'hono/utils/http-status';
import type { AppType } from '../../api/app.ts';
import { noteFailure, noteSuccess } from './connection.ts';
import { authorizationHeader, endSession } from './session.ts';

export const api = hc<AppType>(location.origin, { headers: authorizationHeader }).api;

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The body of a reply with one of the statuses its route declares as success. */
export type Body<R> =
  R extends ClientResponse<infer T, infer S, infer _F> ? (S extends SuccessStatusCode ? T : never) : never;

/** Awaits a call, and answers its success body or throws an ApiFailure with the API's message. */
export async function read<R extends ClientResponse<unknown, number, string>>(
  call: Promise<R>,
): Promise<Body<R>> {
  let response: R;
  try {
    response = await call;
  } catch (err) {
    const failure = new ApiFailure(
      0,
      'unreachable',
      `the sluice API is unreachable (${(err as Error).message})`,
    );
    noteFailure(failure.message);
    throw failure;
  }
  if (response.ok) {
    noteSuccess();
    return (await response.json()) as Body<R>;
  }
  const body = (await response.json().catch(() => null)) as {
    error?: { code?: string; message?: string };
  } | null;
  const failure = new ApiFailure(
    response.status,
    body?.error?.code ?? 'unknown',
    body?.error?.message ?? `the API answered ${response.status}`,
  );
  if (response.status === 401) endSession(failure.message);
  else if (response.status >= 500) noteFailure(failure.message);
  else noteSuccess();
  throw failure;
}
