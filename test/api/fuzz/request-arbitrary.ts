/**
 * Requests to one operation as a fast-check arbitrary: a principal, path parameters drawn from real
 * values or made up (schema strings, hostile values, `..`), query parameters and a JSON body generated
 * from the operation's schemas, and, for part of them, one mutation that makes the request invalid.
 * Real values are read from `values` when a request is generated, so ids created by earlier requests
 * are used too.
 */
import fc from 'fast-check';
import { mutatedBody, oversizedBody } from './body-mutations.ts';
import type { FuzzRequest, RequestBody } from './fuzz-request.ts';
import { HOSTILE_STRINGS } from './hostile-values.ts';
import { type OpenApiDocument, type Operation, operationAt, resolve } from './openapi-operations.ts';
import type { FuzzPrincipal } from './principals.ts';
import type { RealValues } from './real-values.ts';
import type { SchemaArbitraries } from './schema-arbitrary.ts';

/** Which real values fill a path parameter, by the collection the path names before it. */
const COLLECTIONS: Record<string, (v: RealValues) => string[]> = {
  environments: (v) => v.environments,
  pauses: (v) => v.models,
  models: (v) => v.models,
  runs: (v) => v.runs,
  executions: (v) => v.executions.map(([, eid]) => eid),
  plans: (v) => v.plans,
  tokens: (v) => v.tokens,
  connections: (v) => v.connections,
};
/** Path segments that URL normalisation resolves, so the request reaches another path. */
const UNNORMALISED = ['.', '..', '../..', '..%2f..'];
const QUERY_MUTANTS = [
  '',
  'abc',
  '-1',
  '0',
  '501',
  '1e309',
  'NaN',
  'Infinity',
  '9007199254740993',
  '1.5',
  '[]',
  '{}',
];
const OTHER_METHODS = ['PUT', 'PATCH', 'DELETE', 'POST', 'GET'];

export interface RequestContext {
  doc: OpenApiDocument;
  operations: Operation[];
  principals: FuzzPrincipal[];
  values: RealValues;
  /** the project the stack runs, as a plan request carries it. */
  project: unknown;
}

export function requestArbitrary(
  operation: Operation,
  context: RequestContext,
  schemas: SchemaArbitraries,
): fc.Arbitrary<FuzzRequest> {
  const principal = fc.nat({ max: context.principals.length - 1 }).map((i) => context.principals[i]!);
  const params = operation.pathParams.map((param) => {
    const collection = collectionBefore(operation.template, param.name);
    const real = COLLECTIONS[collection];
    return fc.oneof(
      { weight: real ? 6 : 0, arbitrary: fc.nat().map((n) => ({ kind: 'real' as const, n })) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(...HOSTILE_STRINGS).map((value) => ({ kind: 'value' as const, value })),
      },
      {
        weight: 1,
        arbitrary: (schemas.of(param.schema) as fc.Arbitrary<unknown>).map((value) => ({
          kind: 'value' as const,
          value: String(value),
        })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(...UNNORMALISED).map((value) => ({ kind: 'raw' as const, value })),
      },
    );
  });
  const queryRecord: Record<string, fc.Arbitrary<unknown>> = {};
  for (const q of operation.query) queryRecord[q.name] = schemas.of(q.schema, q.name);
  const query = fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .record(queryRecord, { requiredKeys: [] })
        .map((q) => ({ query: stringify(q), mutation: null })),
    },
    {
      weight: operation.query.length > 0 ? 1 : 0,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...operation.query.map((q) => q.name).concat(['unknown'])),
          fc.constantFrom(...QUERY_MUTANTS, ...HOSTILE_STRINGS),
        )
        .map(([name, value]) => ({
          query: { [name]: value },
          mutation: `query ${name}=${JSON.stringify(value.slice(0, 40))}`,
        })),
    },
  );
  const body = bodyArbitrary(operation, context, schemas);
  const method = fc.oneof(
    { weight: 30, arbitrary: fc.constant(operation.method) },
    { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS.filter((m) => m !== operation.method)) },
  );
  return fc.tuple(principal, fc.tuple(...params), query, body, method).map(([who, chosen, q, b, verb]) => {
    let path = operation.template;
    let reachesRoute = true;
    let pair: [string, string] | undefined;
    operation.pathParams.forEach((param, i) => {
      const choice = chosen[i]!;
      let value: string;
      if (choice.kind === 'real') {
        const collection = collectionBefore(operation.template, param.name);
        if (collection === 'executions' && context.values.executions.length > 0) {
          pair = context.values.executions[choice.n % context.values.executions.length]!;
          value = pair[1];
        } else {
          const items = COLLECTIONS[collection]!(context.values);
          value = items.length === 0 ? 'nothing-real-yet' : items[choice.n % items.length]!;
        }
        value = encodeURIComponent(value);
      } else if (choice.kind === 'raw') {
        value = choice.value;
        reachesRoute = false;
      } else {
        value = encodeURIComponent(choice.value);
      }
      path = path.replace(`{${param.name}}`, value);
    });
    // an execution's log is read under its own run
    if (pair && chosen[0]?.kind === 'real')
      path = path.replace(/^\/api\/runs\/[^/]+/, `/api/runs/${encodeURIComponent(pair[0])}`);
    const mutations = [q.mutation, b.mutation, verb === operation.method ? null : `method ${verb}`].filter(
      (m): m is string => m !== null,
    );
    return {
      // another method, or a path that `..` moves, lands on another operation or on none (404, 405)
      operation:
        operationAt(context.operations, verb, path)?.key ??
        `${verb} ${new URL(path, 'http://server').pathname} (no operation)`,
      method: verb,
      principal: who.label,
      path,
      query: q.query,
      body: b.body,
      mutation: mutations.length === 0 ? null : mutations.join('; '),
      reachesRoute: reachesRoute && verb === operation.method,
    };
  });
}

function bodyArbitrary(
  operation: Operation,
  context: RequestContext,
  schemas: SchemaArbitraries,
): fc.Arbitrary<{ body: RequestBody | undefined; mutation: string | null }> {
  if (operation.body === undefined) {
    return fc.oneof(
      { weight: 8, arbitrary: fc.constant({ body: undefined, mutation: null }) },
      {
        weight: 1,
        arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => ({
          body: { kind: 'json' as const, value },
          mutation: 'a body the operation does not take',
        })),
      },
      {
        weight: 1,
        arbitrary: fc.constant({
          body: { kind: 'raw' as const, text: '{"broken":', contentType: 'application/json' },
          mutation: 'malformed JSON the operation does not take',
        }),
      },
    );
  }
  const schema = resolve(context.doc, operation.body);
  const required = (schema.required ?? []) as string[];
  const valid = schemas.of(operation.body);
  return fc.oneof(
    {
      weight: 10,
      arbitrary: valid.map((value) => ({ body: { kind: 'json' as const, value }, mutation: null })),
    },
    {
      weight: 8,
      arbitrary: valid
        .chain((value) => mutatedBody(value, required))
        .map((m) => ({ body: m.body, mutation: m.mutation })),
    },
    {
      weight: 1,
      arbitrary: fc.constant(oversizedBody()).map((m) => ({ body: m.body, mutation: m.mutation })),
    },
  );
}

function collectionBefore(template: string, param: string): string {
  const segments = template.split('/');
  const index = segments.indexOf(`{${param}}`);
  return segments[index - 1] ?? '';
}

function stringify(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}
