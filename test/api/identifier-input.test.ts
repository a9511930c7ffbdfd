/**
 * Ill-formed identifiers and limits in a path, a query or a body are refused with the API's usual
 * validation failure (400, naming the field) before anything is read or written, by the same
 * checks the CLI and the workflows use (core/validation).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, seedShop } from './support/seed.ts';
import { openTestState, type TestState, tableCounts } from './support/state.ts';

describe.each(DRIVERS)('identifiers and limits on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let token: string;

  beforeAll(async () => {
    state = await openTestState(driver, 'api_identifiers');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW, temporalTimeoutMs: 300 });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    await seedShop(state.db);
    token = await tokenFor(state.db, 'admin');
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it('refuses an ill-formed name or id with a 400 naming the field, and writes nothing', async () => {
    const before = await tableCounts(state.db);
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/api/environments/Prod/runs', {}, 'path.env: invalid environment name "Prod"'],
      ['POST', '/api/environments/prod-1/pause', { reason: 'x' }, 'path.env: invalid environment name'],
      [
        'POST',
        '/api/environments/prod/runs',
        { models: ['staging.stg_orders', 'orders'] },
        'body.models[1]: model "orders" is not a model name: use schema.table',
      ],
      [
        'POST',
        '/api/environments/prod/pauses',
        { model: 'a.b.c', reason: 'x' },
        'body.model: model "a.b.c" is not a model name',
      ],
      ['GET', '/api/runs/%0Arun', undefined, 'path.id: id "\\nrun" contains a control character'],
      ['GET', '/api/models/a%00b/executions', undefined, 'path.name: model "a\\u0000b" is not a model name'],
      ['GET', `/api/plans/${'p'.repeat(201)}`, undefined, 'path.id:'],
      [
        'POST',
        '/api/tokens',
        { name: 'ci\u0007', role: 'viewer' },
        'body.name: name "ci\\u0007" contains a control character',
      ],
    ];
    for (const [method, path, body, message] of cases) {
      const r = await contract.call(app, method, path, { token, ...(body === undefined ? {} : { body }) });
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.message).toContain(message);
    }
    expect(await tableCounts(state.db)).toEqual(before);
  });

  it('refuses an ill-formed environment or text in a list filter with a 400 naming it, not a database error', async () => {
    const cases: Array<[string, string]> = [
      ['/api/runs?environment=a%00b', 'query.environment: invalid environment name'],
      ['/api/schedules?environment=%20prod', 'query.environment: invalid environment name'],
      ['/api/models/staging.stg_orders/executions?environment=Prod', 'query.environment:'],
      ['/api/audit?environment=prod%0D%0A', 'query.environment:'],
      ['/api/audit?actor=a%00b', 'query.actor: actor "a\\u0000b" contains a control character'],
      ['/api/audit?target=%20x', 'query.target:'],
    ];
    for (const [path, message] of cases) {
      const r = await contract.call(app, 'GET', path, { token });
      expect(r.status, path).toBe(400);
      expect(r.body.error.code).toBe('validation_failed');
      expect(r.body.error.message).toContain(message);
    }
  });

  it('refuses a page size out of its limit, naming it', async () => {
    for (const limit of ['0', '501', '2.5', 'many']) {
      const r = await contract.call(app, 'GET', `/api/runs?limit=${limit}`, { token });
      expect(r.status, limit).toBe(400);
      expect(r.body.error.message).toMatch(/^query\.limit: /);
    }
  });
});
