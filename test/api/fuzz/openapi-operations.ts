/**
 * The operations of the API's own OpenAPI document, as the fuzzer drives them: method, path
 * template, path and query parameters, the JSON body schema, and the statuses each one documents.
 * Schemas stay as the document writes them; `resolve` follows a `$ref` inside the document.
 */

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface RawOperation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, unknown>;
  security?: Array<Record<string, unknown>>;
}

export interface Parameter {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  template: string;
  /** `METHOD /template`, the key findings and coverage use. */
  key: string;
  pathParams: Parameter[];
  query: Parameter[];
  /** the JSON body's schema, when the operation takes one. */
  body: JsonSchema | undefined;
  statuses: ReadonlySet<number>;
  /** anonymous callers are served too (`{}` among its security requirements): a token only shows more. */
  anonymous: boolean;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const parameters = (raw.parameters ?? []).map((p) => ({
        in: p.in,
        name: p.name,
        required: p.required === true,
        schema: p.schema ?? {},
      }));
      const upper = method.toUpperCase();
      operations.push({
        method: upper,
        template,
        key: `${upper} ${template}`,
        pathParams: parameters.filter((p) => p.in === 'path'),
        query: parameters.filter((p) => p.in === 'query'),
        body: raw.requestBody?.content?.['application/json']?.schema,
        statuses: new Set(Object.keys(raw.responses).map(Number)),
        anonymous: (raw.security ?? []).some((requirement) => Object.keys(requirement).length === 0),
      });
    }
  }
  return operations;
}

/** The schema a `$ref` points at (`#/components/schemas/Name`), or the schema itself. */
export function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 20; hops++) {
    const parts = (current.$ref as string).replace(/^#\//, '').split('/');
    let target: unknown = doc;
    for (const part of parts) target = (target as Record<string, unknown> | undefined)?.[part];
    if (target === undefined) throw new Error(`unresolved $ref ${current.$ref as string}`);
    current = target as JsonSchema;
  }
  return current;
}

/**
 * The operation a request lands on: its path as the server sees it (`.` and `..` resolved) matched
 * against the templates, literal segments first (`/connections/rotate-key` before
 * `/connections/{gateway}`); undefined when no operation has that method and path.
 */
export function operationAt(operations: Operation[], method: string, path: string): Operation | undefined {
  const segments = new URL(path, 'http://server').pathname.split('/');
  let best: { operation: Operation; literals: number } | undefined;
  for (const operation of operations) {
    if (operation.method !== method) continue;
    const template = operation.template.split('/');
    if (template.length !== segments.length) continue;
    let literals = 0;
    const fits = template.every((part, i) => {
      if (/^\{[^}]+\}$/.test(part)) return segments[i] !== '';
      literals++;
      return part === segments[i];
    });
    if (fits && (best === undefined || literals > best.literals)) best = { operation, literals };
  }
  return best?.operation;
}
