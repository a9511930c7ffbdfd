/**
 * The OpenAPI document as the test oracle: every response a test receives is checked against the
 * schema the document gives for its route and status (a status the document does not list fails),
 * and every request goes through `call`, so no response escapes the check.
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import type { SluiceApp } from '../../../api/app.ts';

const Ajv2020 = Ajv2020Module.default;
type Ajv = InstanceType<typeof Ajv2020>;

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
};

/** A response body: checked against the document's schema, then read freely by the test. */
// biome-ignore lint/suspicious/noExplicitAny: bodies are validated against the OpenAPI schema before tests read them
export type Body = any;

export interface CallResult<T = Body> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** a raw body sent as is (for malformed JSON and oversized bodies). */
  raw?: string;
  token?: string;
  headers?: Record<string, string>;
}

export class Contract {
  private readonly ajv: Ajv;
  private readonly templates: Array<{ template: string; pattern: RegExp }>;
  /** method and template of every call checked, for coverage assertions. */
  readonly seen = new Set<string>();

  constructor(readonly doc: Doc) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc as object, 'openapi.json');
    this.templates = Object.keys(doc.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      }))
      .sort((a, b) => literalLength(b.template) - literalLength(a.template));
  }

  static async of(app: SluiceApp): Promise<Contract> {
    const response = await app.request('/api/openapi.json');
    return new Contract((await response.json()) as Doc);
  }

  templateOf(path: string): string | undefined {
    const bare = path.split('?')[0]!;
    return this.templates.find((t) => t.pattern.test(bare))?.template;
  }

  /** Fails unless the document describes this response and the body matches its schema. */
  check(method: string, path: string, status: number, contentType: string, body: unknown): void {
    const template = this.templateOf(path);
    expect(template, `${method} ${path} is not in the OpenAPI document`).toBeDefined();
    const operation = this.doc.paths[template!]![method.toLowerCase()];
    expect(operation, `${method} ${template} is not in the OpenAPI document`).toBeDefined();
    const response = operation!.responses[String(status)];
    expect(
      response,
      `${method} ${template} answered ${status}, which the document does not list`,
    ).toBeDefined();
    this.seen.add(`${method.toUpperCase()} ${template}`);
    const media = Object.keys(response!.content ?? {});
    const essence = contentType.split(';')[0]!.trim();
    expect(media, `${method} ${template} ${status} answered ${essence}`).toContain(essence);
    if (essence !== 'application/json') return;
    const pointer = `openapi.json#/paths/${pointerPart(template!)}/${method.toLowerCase()}/responses/${status}/content/${pointerPart('application/json')}/schema`;
    const validate = this.ajv.getSchema(pointer) ?? this.ajv.compile({ $ref: pointer });
    if (!validate(body)) {
      throw new Error(
        `${method} ${path} ${status} does not match the document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`,
      );
    }
  }

  /** Sends a request to the app and checks the response against the document. */
  async call<T = Body>(
    app: SluiceApp,
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
    return this.read<T>(method, path, response);
  }

  async read<T>(method: string, path: string, response: Response): Promise<CallResult<T>> {
    const contentType = response.headers.get('content-type') ?? '';
    const text = await response.text();
    const parsed = contentType.startsWith('application/json') ? (JSON.parse(text) as T) : (text as T);
    this.check(method, path, response.status, contentType, parsed);
    return { status: response.status, body: parsed, headers: response.headers, text };
  }
}

function literalLength(template: string): number {
  return template.replace(/\{[^}]+\}/g, '').length;
}

function pointerPart(part: string): string {
  return part.replaceAll('~', '~0').replaceAll('/', '~1');
}
