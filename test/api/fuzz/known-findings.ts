/**
 * Findings the fuzzer knows about and that are not fixed yet, keyed by operation and status: a
 * response matching one (and the request it describes) is counted and printed, not failed. Each
 * entry says what is wrong; remove it when the fix lands, and the fuzzer checks that route fully again.
 */
import type { FuzzRequest } from './fuzz-request.ts';

export interface KnownFinding {
  /** `METHOD /template`, or `*` for every operation. */
  operations: readonly string[];
  statuses: readonly number[];
  /** the problems the entry excuses; any other problem with the same answer stays new. */
  problem: RegExp;
  /** the requests the finding is about, so an entry excuses only them. */
  when: (request: FuzzRequest) => boolean;
  what: string;
}

/** A path segment or query value the state functions refuse: NUL, only spaces, or spaces around it. */
function unstorableIdentifier(request: FuzzRequest): boolean {
  const values = [
    ...request.path.split('/').map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    }),
    ...Object.values(request.query),
  ];
  return values.some((v) => v.includes('\u0000') || (v !== '' && v !== v.trim()));
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [
  {
    operations: [
      'GET /api/environments/{env}',
      'POST /api/environments/{env}/pause',
      'POST /api/environments/{env}/resume',
      'GET /api/environments/{env}/pauses',
      'POST /api/environments/{env}/pauses',
      'DELETE /api/environments/{env}/pauses/{model}',
      'POST /api/environments/{env}/runs',
      'GET /api/runs',
      'GET /api/runs/{id}',
      'GET /api/runs/{id}/executions/{eid}/log',
      'GET /api/runs/{id}/events',
      'POST /api/runs/{id}/cancel',
      'GET /api/models/{name}/executions',
      'GET /api/plans/{id}',
      'POST /api/plans/{id}/apply',
      'POST /api/plans/{id}/cancel',
      'GET /api/schedules',
      'GET /api/audit',
      'DELETE /api/tokens/{id}',
    ],
    statuses: [500],
    problem: /^answered 500/,
    when: unstorableIdentifier,
    what:
      'an environment, model, run, execution, plan or token id with a NUL character, only spaces or ' +
      'spaces around it passes the path and query schemas and is refused by the state functions (or ' +
      'by PostgreSQL) with a plain Error: 500 instead of a 400 naming the parameter',
  },
  {
    operations: ['*'],
    statuses: [401, 403, 404, 413],
    problem: /^the connection the \d+ answer left open failed/,
    when: () => true,
    what:
      'a request whose body the server refuses without reading it (over the size limit: 413; no valid ' +
      'token: 401; a role too low: 403; no such route: 404) is answered with "Connection: keep-alive", ' +
      'and the server then resets that connection: the next request a client sends on it fails ' +
      '(ECONNRESET), whatever it is',
  },
];

/** The known findings about this answer, each excusing only the problems it names. */
export function knownFindings(operation: string, status: number, request: FuzzRequest): KnownFinding[] {
  return KNOWN_FINDINGS.filter(
    (f) =>
      (f.operations.includes(operation) || f.operations.includes('*')) &&
      f.statuses.includes(status) &&
      f.when(request),
  );
}
