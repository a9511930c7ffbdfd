/**
 * JSON Schema → fast-check arbitrary, for the schemas the OpenAPI document uses: object with
 * properties, required and additionalProperties; string with format, enum, minLength, maxLength
 * and pattern; integer and number with bounds; boolean; array with items and minItems/maxItems;
 * anyOf and oneOf; nullable. What it cannot honour it generates without and counts by keyword, so
 * the fuzzer can print what it skipped. `hint` may offer values for a property by its name (real
 * environment and model names), mixed in with the generated ones.
 */
import fc from 'fast-check';
import { type JsonSchema, type OpenApiDocument, resolve } from './openapi-operations.ts';

/** Keywords that only describe: nothing to generate for them. */
const ANNOTATIONS = new Set(['description', 'example', 'examples', 'default', 'title', 'deprecated']);
const HANDLED = new Set([
  '$ref',
  'type',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'anyOf',
  'oneOf',
  'nullable',
  'format',
  'pattern',
]);
const FORMATS = new Set(['date-time', 'date', 'uri', 'email']);

export type Hint = (property: string) => fc.Arbitrary<unknown> | undefined;

export class SchemaArbitraries {
  /** keyword → how many schemas used it without the generator honouring it. */
  readonly skipped = new Map<string, number>();

  constructor(
    private readonly doc: OpenApiDocument,
    private readonly hint: Hint = () => undefined,
  ) {}

  of(schema: JsonSchema, property = '', depth = 0): fc.Arbitrary<unknown> {
    const s = resolve(this.doc, schema);
    this.countSkipped(s);
    const hinted = property === '' ? undefined : this.hint(property);
    const generated = this.generated(s, depth);
    const withHint = hinted === undefined ? generated : fc.oneof(hinted, generated);
    return s.nullable === true ? fc.option(withHint, { nil: null }) : withHint;
  }

  private generated(s: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    const choices = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
    if (choices) return fc.oneof(...choices.map((choice) => this.of(choice, '', depth + 1)));
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string | undefined];
    const nonNull = types.filter((t) => t !== 'null');
    const arbitrary =
      nonNull.length > 1
        ? fc.oneof(...nonNull.map((t) => this.ofType(t, s, depth)))
        : this.ofType(nonNull[0], s, depth);
    return types.includes('null') ? fc.option(arbitrary, { nil: null }) : arbitrary;
  }

  private ofType(type: string | undefined, s: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    switch (type) {
      case 'string':
        return this.string(s);
      case 'integer':
        return fc.integer({
          min: typeof s.minimum === 'number' ? s.minimum : -(2 ** 40),
          max: typeof s.maximum === 'number' ? s.maximum : 2 ** 40,
        });
      case 'number':
        return fc.double({
          noNaN: true,
          noDefaultInfinity: true,
          ...(typeof s.minimum === 'number' ? { min: s.minimum } : {}),
          ...(typeof s.maximum === 'number' ? { max: s.maximum } : {}),
        });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(s.items ? this.of(s.items as JsonSchema, '', depth + 1) : fc.jsonValue(), {
          minLength: typeof s.minItems === 'number' ? s.minItems : 0,
          maxLength: Math.max(typeof s.minItems === 'number' ? s.minItems : 0, depth > 2 ? 1 : 3),
        });
      case 'object':
      case undefined:
        if (type === undefined && s.properties === undefined) return fc.jsonValue({ maxDepth: 2 });
        return this.object(s, depth);
      default:
        this.count(`type:${type}`);
        return fc.jsonValue({ maxDepth: 1 });
    }
  }

  private string(s: JsonSchema): fc.Arbitrary<string> {
    const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
    const maxLength = typeof s.maxLength === 'number' ? s.maxLength : Math.max(minLength, 40);
    if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
    if (s.format === 'date') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    if (s.format === 'uri') return fc.webUrl();
    if (s.format === 'email') return fc.emailAddress();
    if (typeof s.pattern === 'string') {
      return fc
        .stringMatching(new RegExp(s.pattern))
        .filter((text) => text.length >= minLength && text.length <= maxLength);
    }
    return fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, 60) });
  }

  private object(s: JsonSchema, depth: number): fc.Arbitrary<unknown> {
    const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((s.required ?? []) as string[]);
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, property] of Object.entries(properties))
      record[name] = this.of(property, name, depth + 1);
    const known = fc.record(record, { requiredKeys: [...required].filter((k) => k in record) });
    const extra = s.additionalProperties;
    if (extra === undefined || extra === false || extra === true) return known;
    const values = this.of(extra as JsonSchema, '', depth + 1);
    return fc
      .tuple(
        known,
        fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), values, { maxKeys: depth > 2 ? 1 : 2 }),
      )
      .map(([fixed, more]) => ({ ...more, ...(fixed as object) }));
  }

  private countSkipped(s: JsonSchema): void {
    for (const keyword of Object.keys(s)) {
      if (ANNOTATIONS.has(keyword)) continue;
      if (!HANDLED.has(keyword)) this.count(keyword);
    }
    if (typeof s.format === 'string' && !FORMATS.has(s.format)) this.count(`format:${s.format}`);
  }

  private count(keyword: string): void {
    this.skipped.set(keyword, (this.skipped.get(keyword) ?? 0) + 1);
  }
}
