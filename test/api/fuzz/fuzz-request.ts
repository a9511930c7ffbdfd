/**
 * One request the fuzzer sends, as data: who sends it, to which operation, with which path, query
 * and body, and which mutation (if any) made it invalid. `describeRequest` prints it so a failure
 * names the exact request, together with the seed that reproduces the run.
 */

export type RequestBody =
  | { kind: 'json'; value: unknown }
  /** text sent as is, with this content type (none when null). */
  | { kind: 'raw'; text: string; contentType: string | null };

export interface FuzzRequest {
  /** `METHOD /template` of the operation aimed at. */
  operation: string;
  method: string;
  /** the principal's label (`operator@prod*`, `no token`, `bogus token`). */
  principal: string;
  /** the path with its parameters filled in and encoded. */
  path: string;
  query: Record<string, string>;
  body: RequestBody | undefined;
  /** what was done to make the request invalid; null for a request built from the schema. */
  mutation: string | null;
  /** false when a path parameter is `.` or `..`, which URL normalisation turns into another path. */
  reachesRoute: boolean;
}

export function urlOf(request: FuzzRequest): string {
  const search = new URLSearchParams(request.query).toString();
  return search === '' ? request.path : `${request.path}?${search}`;
}

export function describeRequest(request: FuzzRequest): string {
  const lines = [`${request.method} ${urlOf(request)}  as ${request.principal}`];
  if (request.mutation) lines.push(`  mutation: ${request.mutation}`);
  if (request.body?.kind === 'json') lines.push(`  body (json): ${clip(JSON.stringify(request.body.value))}`);
  if (request.body?.kind === 'raw') {
    lines.push(
      `  body (${request.body.contentType ?? 'no content type'}): ${clip(JSON.stringify(request.body.text))}`,
    );
  }
  return lines.join('\n');
}

function clip(text: string | undefined): string {
  if (text === undefined) return 'undefined';
  return text.length > 600 ? `${text.slice(0, 600)}… (${text.length} characters)` : text;
}
