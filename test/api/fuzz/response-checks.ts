/**
 * What every answer must satisfy, whatever was sent:
 *
 * - no 5xx, except a status other than 500 that the operation documents (a 503 when Temporal or the
 *   state database is away);
 * - no stack trace or internal path in the body (`at f (file:1:2)`, `node_modules`, `/work/`,
 *   `file://`, `.ts:`, a state database query);
 * - every 4xx and 5xx body is the documented error shape `{ error: { code, message, details } }`;
 * - after a body beyond the size limit, the connection the answer leaves open serves the next request;
 * - the status is one the operation documents, or one any route may answer: 404 and 405 (no such
 *   route or method: URL normalisation of `..` and undocumented methods land there), 413 (a body
 *   beyond the size limit is refused before routing) and 415 (a body that is not JSON);
 * - no or a bogus token on an operation that documents 401: 401 (unless the path does not reach it);
 * - a token whose role is below the one the operation needs: 403, whatever the body, query and path
 *   values, unless the path does not reach the route (404) or the body is over the size limit (413);
 * - a request line and headers beyond Node's header limit (`http.maxHeaderSize`, 16 KiB) are refused
 *   by Node itself with a bare 431 before the API sees them: that answer, and only for such a request,
 *   is not the API's to shape.
 */
import { maxHeaderSize } from 'node:http';
import { API_ROLES, type ApiRole } from '../../../db/schema.ts';
import { type FuzzRequest, urlOf } from './fuzz-request.ts';
import type { Operation } from './openapi-operations.ts';
import type { FuzzPrincipal } from './principals.ts';
import type { FuzzResponse } from './send-request.ts';

const ANY_ROUTE = new Set([404, 405, 413, 415]);
const LEAKS: Array<[RegExp, string]> = [
  [/\bat (?:[^\s()]+ )?\(?(?:file:\/\/|\/|[A-Za-z]:\\)[^\s()]*:\d+:\d+\)?/, 'a stack frame'],
  [/node_modules/, 'node_modules'],
  [/\/work\//, 'the /work/ path'],
  [/file:\/\//, 'a file:// URL'],
  [/\.ts:\d/, 'a .ts source position'],
  [/Failed query|from "sluice"\./, 'a query of the state database'],
];

export function responseProblems(
  operation: Operation,
  request: FuzzRequest,
  principal: FuzzPrincipal,
  needed: ApiRole | undefined,
  response: FuzzResponse,
): string[] {
  const problems: string[] = [];
  const { status } = response;
  // (a kilobyte for the other headers: the token, the content type and length)
  if (status === 431 && Buffer.byteLength(urlOf(request)) > maxHeaderSize - 1024) return problems;
  if (status >= 500 && (status === 500 || !operation.statuses.has(status))) {
    problems.push(`answered ${status}, a server error the operation does not document`);
  }
  for (const [pattern, what] of LEAKS) {
    if (pattern.test(response.text))
      problems.push(`the body shows ${what}: ${excerpt(response.text, pattern)}`);
  }
  if (response.followUp) {
    problems.push(
      `the connection the ${status} answer left open failed the next request on it (${response.followUp})`,
    );
  }
  if (status >= 400) {
    const shape = errorShapeProblem(response);
    if (shape) problems.push(shape);
  }
  if (!operation.statuses.has(status) && !ANY_ROUTE.has(status)) {
    problems.push(
      `answered ${status}, which ${operation.key} does not document (${[...operation.statuses].join(', ')})`,
    );
  }
  // a route that serves anonymous callers still refuses a token that is not valid
  const needsToken = operation.statuses.has(401) && !(operation.anonymous && principal.token === undefined);
  if (needsToken && principal.role === undefined && request.reachesRoute && status !== 401) {
    problems.push(`${principal.label} got ${status} instead of 401`);
  }
  if (
    needed !== undefined &&
    principal.role !== undefined &&
    API_ROLES.indexOf(principal.role) < API_ROLES.indexOf(needed) &&
    request.reachesRoute &&
    status !== 413 &&
    status !== 403
  ) {
    problems.push(
      `role ${principal.role} is below ${needed}, which ${operation.key} needs, yet got ${status} instead of 403`,
    );
  }
  return problems;
}

function errorShapeProblem(response: FuzzResponse): string | undefined {
  if (!response.contentType.startsWith('application/json')) {
    return `an error answered as ${response.contentType || 'no content type'}, not the JSON error shape`;
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    return 'an error body that is not JSON';
  }
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  const keys = error && typeof error === 'object' ? Object.keys(error).sort().join(',') : '';
  if (
    keys !== 'code,details,message' ||
    typeof error!.code !== 'string' ||
    typeof error!.message !== 'string' ||
    (error!.message as string).trim() === '' ||
    Object.keys(body as object).length !== 1
  ) {
    return `an error body not in the shape { error: { code, message, details } }: ${response.text.slice(0, 300)}`;
  }
  return undefined;
}

function excerpt(text: string, pattern: RegExp): string {
  const at = text.search(pattern);
  return JSON.stringify(text.slice(Math.max(0, at - 60), at + 100));
}
