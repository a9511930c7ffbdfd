/**
 * The API's one error shape, `{ "error": { "code", "message", "details" } }`, and the mapping of
 * every failure to it: validation problems, malformed JSON, oversized bodies, unknown routes and
 * anything a handler throws. A message always says what was wrong and, where it can, what to do.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

export type ErrorCode =
  | 'bad_request'
  | 'malformed_json'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_project'
  | 'invalid_range'
  | 'temporal_unavailable'
  | 'invalid_connection'
  | 'connection_test_failed'
  | 'executor_unavailable'
  | 'encryption_not_configured'
  | 'query_not_read_only'
  | 'query_timeout'
  | 'query_failed'
  | 'internal';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, details: unknown = null) =>
  new ApiError(400, 'bad_request', message, details);
export const forbidden = (message: string, details: unknown = null) =>
  new ApiError(403, 'forbidden', message, details);
export const notFound = (message: string, details: unknown = null) =>
  new ApiError(404, 'not_found', message, details);
export const conflict = (message: string, details: unknown = null) =>
  new ApiError(409, 'conflict', message, details);
/** A well-formed value the scheduler cannot take, such as a range outside the models' life. */
export const invalidRange = (message: string, details: unknown = null) =>
  new ApiError(422, 'invalid_range', message, details);

export function errorBody(code: ErrorCode, message: string, details: unknown = null): ErrorBody {
  return { error: { code, message, details } };
}

export function errorResponse(c: Context, err: ApiError): Response {
  return c.json(errorBody(err.code, err.message, err.details), err.status);
}

/** Zod issues as `{ path, message }`, the path in `a.b[2].c` form with the request part in front. */
export function describeZodIssues(target: string, error: ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((issue) => ({
    path: formatPath(target, issue.path),
    message: issue.message,
  }));
}

export function formatPath(root: string, path: ReadonlyArray<PropertyKey>): string {
  let out = root;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

const TARGET_NAMES: Record<string, string> = {
  json: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
  form: 'form',
};

/** The validation failure of one request part as a 400 with every issue listed. */
export function validationError(target: string, error: ZodError): ApiError {
  const issues = describeZodIssues(TARGET_NAMES[target] ?? target, error);
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new ApiError(
    400,
    'validation_failed',
    first ? `${first.path}: ${first.message}${more}` : `invalid ${TARGET_NAMES[target] ?? target}`,
    { issues },
  );
}

/** Maps anything thrown while handling a request to the error shape. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 400 && /malformed json/i.test(err.message)) {
      return new ApiError(400, 'malformed_json', 'request body is not valid JSON; send a JSON object');
    }
    if (status === 413) return payloadTooLarge();
    if (status === 415) {
      return new ApiError(
        415,
        'unsupported_media_type',
        'send the body as JSON (Content-Type: application/json)',
      );
    }
    if (status === 401) return new ApiError(401, 'unauthorized', err.message || 'authentication required');
    return new ApiError(status, status >= 500 ? 'internal' : 'bad_request', err.message || 'request failed');
  }
  // what failed inside (a query's text, a file's path) stays in the server's log (app.ts logs it)
  return new ApiError(500, 'internal', INTERNAL_MESSAGE);
}

/** What a client is told of an unexpected failure. */
export const INTERNAL_MESSAGE = 'internal error: the request failed on the server, whose log has the details';

export function payloadTooLarge(limit?: number): ApiError {
  return new ApiError(
    413,
    'payload_too_large',
    limit === undefined ? 'request body is too large' : `request body is larger than ${limit} bytes`,
    limit === undefined ? null : { limit },
  );
}
