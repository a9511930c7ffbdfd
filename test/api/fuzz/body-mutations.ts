/**
 * Request-body mutators: each takes a valid body and returns an invalid one, with a name for the
 * failure message. Missing required fields, wrong types, extra fields, empty and huge strings, huge,
 * negative and NaN-like numbers, malformed JSON, a wrong or missing content type, a body that is not
 * an object, deep nesting and a body beyond the size limit.
 */
import fc from 'fast-check';
import type { RequestBody } from './fuzz-request.ts';

export interface Mutated {
  mutation: string;
  body: RequestBody;
}

const WRONG_TYPES: unknown[] = [
  0,
  -1,
  1.5,
  true,
  false,
  null,
  [],
  {},
  'text',
  [1, 2],
  { nested: { deep: true } },
];
const NUMBERS: unknown[] = [
  1e308,
  -1e308,
  2 ** 63,
  -(2 ** 63),
  Number.MAX_SAFE_INTEGER + 2,
  -99_999_999_999_999,
  -1,
  0,
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
];
/** Raw JSON numbers that JSON.parse reads as Infinity, or refuses (NaN is not JSON). */
const RAW_NUMBERS = ['1e999', '-1e999', 'NaN', 'Infinity', '0x10', '1_000', '-0', '00012'];
const MALFORMED = [
  '',
  '{',
  '{"a":',
  "{'single': 1}",
  '{"a":1,}',
  '[1,2',
  'undefined',
  '{"a":1}{"b":2}',
  '\u0000',
];
const CONTENT_TYPES = [
  null,
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=latin1',
  'application/jsonx',
];
/** Bodies beyond the API's 1 MiB default limit. */
export const OVERSIZED_BYTES = 1_200_000;

/** Every `a.b` path to a property of `value`, up to three levels down. */
function propertyPaths(value: unknown, prefix: string[] = [], depth = 0): string[][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || depth > 2) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => [
    [...prefix, key],
    ...propertyPaths(inner, [...prefix, key], depth + 1),
  ]);
}

function edited(
  value: unknown,
  path: string[],
  change: (parent: Record<string, unknown>, key: string) => void,
) {
  const copy = structuredClone(value) as Record<string, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  change(parent, path[path.length - 1]!);
  return copy;
}

const json = (value: unknown): RequestBody => ({ kind: 'json', value });

/** An arbitrary that turns a valid body into an invalid one; `required` lists the top-level required fields. */
export function mutatedBody(valid: unknown, required: readonly string[]): fc.Arbitrary<Mutated> {
  const paths = propertyPaths(valid);
  const onPath = <T>(values: fc.Arbitrary<T>, mutation: string, change: (path: string[], v: T) => unknown) =>
    paths.length === 0
      ? []
      : [
          fc.tuple(fc.constantFrom(...paths), values).map(([path, v]) => ({
            mutation: `${mutation} at ${path.join('.')}`,
            body: json(change(path, v)),
          })),
        ];
  const present = required.filter((key) => typeof valid === 'object' && valid !== null && key in valid);
  const choices: Array<fc.Arbitrary<Mutated>> = [
    ...(present.length === 0
      ? []
      : [
          fc.constantFrom(...present).map((key) => ({
            mutation: `missing required field ${key}`,
            body: json(edited(valid, [key], (parent, k) => delete parent[k])),
          })),
        ]),
    ...onPath(fc.constantFrom(...WRONG_TYPES), 'wrong type', (path, v) =>
      edited(valid, path, (parent, k) => {
        parent[k] = v;
      }),
    ),
    ...onPath(fc.constantFrom('', ' ', 'x'.repeat(200_000)), 'empty or huge string', (path, v) =>
      edited(valid, path, (parent, k) => {
        parent[k] = v;
      }),
    ),
    ...onPath(fc.constantFrom(...NUMBERS), 'huge, negative or NaN-like number', (path, v) =>
      edited(valid, path, (parent, k) => {
        parent[k] = v;
      }),
    ),
    fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 2 })).map(([key, v]) => ({
      mutation: `extra field ${JSON.stringify(key)}`,
      body: json({ ...(typeof valid === 'object' && valid !== null ? valid : {}), [key]: v }),
    })),
    fc.constant({
      mutation: 'extra field __proto__',
      body: {
        kind: 'raw' as const,
        text: JSON.stringify(valid ?? {}).replace(/^\{/, '{"__proto__":{"role":"admin","polluted":true},'),
        contentType: 'application/json',
      },
    }),
    ...(paths.length === 0
      ? []
      : [
          fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...RAW_NUMBERS)).map(([path, raw]) => ({
            mutation: `raw number ${raw} at ${path.join('.')}`,
            body: {
              kind: 'raw' as const,
              text: JSON.stringify(
                edited(valid, path, (parent, k) => {
                  parent[k] = '@@RAW@@';
                }),
              ).replace('"@@RAW@@"', raw),
              contentType: 'application/json',
            },
          })),
        ]),
    fc.constantFrom(...MALFORMED).map((text) => ({
      mutation: 'malformed JSON',
      body: { kind: 'raw' as const, text, contentType: 'application/json' },
    })),
    fc.constantFrom(...CONTENT_TYPES).map((contentType) => ({
      mutation: `content type ${contentType ?? 'missing'}`,
      body: { kind: 'raw' as const, text: JSON.stringify(valid ?? {}), contentType },
    })),
    fc.constantFrom<unknown>([], [valid], null, 42, 'text', true).map((value) => ({
      mutation: 'not an object',
      body: json(value),
    })),
    fc.constant({
      mutation: 'deep nesting',
      body: {
        kind: 'raw' as const,
        text: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
        contentType: 'application/json',
      },
    }),
  ];
  return fc.oneof(...choices);
}

/** The rare mutation that costs more to send: a body beyond the size limit. */
export function oversizedBody(): Mutated {
  return {
    mutation: `body of ${OVERSIZED_BYTES} bytes`,
    body: {
      kind: 'raw',
      text: JSON.stringify({ filler: 'x'.repeat(OVERSIZED_BYTES) }),
      contentType: 'application/json',
    },
  };
}
