/**
 * The OpenAPI document and the app agree: every route the app serves is documented and every
 * documented operation is served; every schema in it compiles; every error response uses the one
 * error shape; the reference page is self-contained.
 */
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { openTestState, type TestState } from './support/state.ts';

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
  security?: unknown[];
  summary?: string;
};

describe('OpenAPI contract', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  };

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_contract');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client });
    contract = await Contract.of(app);
    doc = contract.doc as typeof doc;
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it('documents every route the app serves, and serves every documented operation', () => {
    const served = new Set(
      app.routes
        // the dashboard's pages, script and stylesheet are for the browser, not API operations
        .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
        .filter((r) => r.path.startsWith('/api/') || r.path === '/metrics')
        .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, '{$1}')}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.size).toBe(54);
    expect(documented).toContain('POST /api/environments/{env}/query');
  });

  it('is OpenAPI 3.1 whose every schema compiles, with bearer auth and a summary per operation', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', description: 'an API token (`sluice token create`)' },
      metricsToken: {
        type: 'http',
        scheme: 'bearer',
        description:
          'SLUICE_METRICS_TOKEN, the bearer secret a Prometheus scrape config sends for `/metrics`',
      },
    });
    const ajv = new Ajv2020Module.default({ strict: false });
    addFormats.default(ajv);
    ajv.addSchema(doc as object, 'doc.json');
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => ajv.compile({ $ref: `doc.json#/components/schemas/${name}` }), name).not.toThrow();
    }
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) expect(op.summary, `${method} ${path}`).toBeTruthy();
    }
  });

  it('answers every error status in the one error shape', () => {
    let errors = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400 || path === '/api/health') continue;
          errors++;
          expect(response.content?.['application/json']?.schema.$ref, `${method} ${path} ${status}`).toBe(
            '#/components/schemas/Error',
          );
        }
      }
    }
    expect(errors).toBeGreaterThan(60);
  });

  it('marks the reference as needing no token, health as taking one optionally, and everything else as protected', () => {
    const open = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([method]) => `${method} ${path}`),
    );
    expect(open.sort()).toEqual(['get /api/docs', 'get /api/openapi.json']);
    expect(doc.paths['/api/health']!.get!.security).toEqual([{}, { bearer: [] }]);
    expect(doc.paths['/metrics']!.get!.security).toEqual([{ bearer: [] }, { metricsToken: [] }]);
  });

  it('serves a self-contained reference page that reads the document', async () => {
    const page = await contract.call(app, 'GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain("fetch('/api/openapi.json')");
    expect(page.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
  });

  it('answers unknown routes and methods with a 404 in the error shape', async () => {
    const token = await tokenFor(state.db, 'viewer');
    for (const [method, path] of [
      ['GET', '/api/nothing'],
      ['PUT', '/api/environments'],
      ['GET', '/favicon.ico'],
    ] as const) {
      const r = await app.request(path, { method, headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({
        error: {
          code: 'not_found',
          message: `no route ${method} ${path}; the API reference is at /api/docs`,
          details: null,
        },
      });
    }
  });
});
