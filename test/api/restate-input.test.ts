/**
 * A restatement's range is checked against the models it restates before the environment workflow
 * is asked (Temporal is unreachable here, so a request that passed would fail with 503): a range
 * that restates nothing is a 400 naming the field and the model, and leaves nothing behind.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW, seedShop } from './support/seed.ts';
import { openTestState, type TestState, tableCounts } from './support/state.ts';

describe.each(DRIVERS)('restatement ranges on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let token: string;
  const restate = (body: unknown) =>
    contract.call(app, 'POST', '/api/environments/prod/runs', { token, body });

  beforeAll(async () => {
    state = await openTestState(driver, 'api_restate');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW, temporalTimeoutMs: 300 });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    await seedShop(state.db);
    token = await tokenFor(state.db, 'operator');
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it('refuses a range that restates nothing, naming the field and the model', async () => {
    const before = await tableCounts(state.db);
    const cases: Array<[unknown, string, string]> = [
      [
        { models: ['staging.stg_orders'], restate: { start: '2024-01-08', end: '2024-01-01' } },
        'restate',
        'restate.start (2024-01-08T00:00:00.000Z) must be before restate.end (2024-01-02T00:00:00.000Z)',
      ],
      [
        { models: ['staging.stg_orders'], restate: { start: '2026-11-26', end: '2026-11-28' } },
        'restate.start',
        'restate.start (2026-11-26T00:00:00.000Z) must be before now (2026-11-25T12:00:00.000Z): nothing after now has run yet',
      ],
      [
        { models: ['staging.stg_orders'], restate: { start: '2023-01-01', end: '2023-12-31' } },
        'restate.end',
        'restate.end (2024-01-01T00:00:00.000Z) must be after the start of staging.stg_orders (2024-01-01T00:00:00.000Z)',
      ],
      [
        { restate: { start: '2023-01-01', end: '2023-06-30' } },
        'restate.end',
        'restate.end (2023-07-01T00:00:00.000Z) must be after the start of',
      ],
    ];
    for (const [body, field, message] of cases) {
      const r = await restate(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toContain(message);
      expect(r.body.error.details).toEqual({ field });
    }
    expect(await tableCounts(state.db)).toEqual(before);
  });

  it('passes a range that only partly lies outside the models start and now on to the workflow', async () => {
    // 503: the range was accepted and the (unreachable) workflow was asked
    const partly = await restate({
      models: ['staging.stg_orders'],
      restate: { start: '2023-12-01', end: '2026-12-31' },
    });
    expect(partly.status).toBe(503);
  });
});
