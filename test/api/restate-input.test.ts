/**
 * A restatement's range is checked against the models it restates before the environment workflow
 * is asked (Temporal is unreachable here, so a request that passed would fail with 503): a range out
 * of bounds, backwards, outside the models' life or off their interval boundaries is a 422 naming
 * the field and saying what would be accepted, and leaves nothing behind.
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

  it('refuses a range far out of bounds with a 422 naming restate.start, and starts nothing', async () => {
    const before = await tableCounts(state.db);
    const r = await restate({ restate: { start: -99_999_999_999_999, end: -1 } });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'invalid_range', details: { field: 'restate.start' } });
    expect(r.body.error.message).toContain('restate.start (-99999999999999) is out of range');
    expect(await tableCounts(state.db)).toEqual(before);
  });

  it('refuses a range the models cannot take, naming the field, the model and what would be accepted', async () => {
    const before = await tableCounts(state.db);
    const orders = ['staging.stg_orders'];
    const cases: Array<[unknown, string, string]> = [
      [
        { models: orders, restate: { start: '2024-01-08', end: '2024-01-01' } },
        'restate.end',
        'restate.end (2024-01-02T00:00:00.000Z) must be after restate.start (2024-01-08T00:00:00.000Z)',
      ],
      [
        { models: orders, restate: { start: '2026-11-26', end: '2026-11-28' } },
        'restate.start',
        'restate.start (2026-11-26T00:00:00.000Z) must be before now (2026-11-25T12:00:00.000Z): nothing after now has run yet',
      ],
      [
        { models: orders, restate: { start: '2023-12-01', end: '2024-01-05' } },
        'restate.start',
        'restate.start (2023-12-01T00:00:00.000Z) is before the start of staging.stg_orders (2024-01-01T00:00:00.000Z): restate from 2024-01-01T00:00:00.000Z or later',
      ],
      [
        { restate: { start: '2023-01-01', end: '2023-06-30' } },
        'restate.start',
        'restate.start (2023-01-01T00:00:00.000Z) is before the start of',
      ],
      [
        { models: orders, restate: { start: '2026-11-01', end: '2026-12-31' } },
        'restate.end',
        'restate.end (2027-01-01T00:00:00.000Z) is after the current interval: end the range at 2026-11-26T00:00:00.000Z or earlier',
      ],
      [
        { models: orders, restate: { start: '2026-11-01T10:00:00Z', end: '2026-11-03' } },
        'restate.start',
        "restate.start (2026-11-01T10:00:00.000Z) is not on a boundary of staging.stg_orders's interval unit (day): use 2026-11-01T00:00:00.000Z or 2026-11-02T00:00:00.000Z",
      ],
      [
        { restate: { start: '2026-11-01', end: '2026-11-03T06:00:00Z' } },
        'restate.end',
        "is not on a boundary of marts.customer_orders (and 3 more)'s interval unit (day): use 2026-11-03T00:00:00.000Z or 2026-11-04T00:00:00.000Z",
      ],
    ];
    for (const [body, field, message] of cases) {
      const r = await restate(body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.error.message).toContain(message);
      expect(r.body.error.details).toEqual({ field });
    }
    expect(await tableCounts(state.db)).toEqual(before);
  });

  it('refuses a time it cannot read with a 400 naming the field', async () => {
    const r = await restate({
      models: ['staging.stg_orders'],
      restate: { start: 'soon', end: '2026-11-02' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual({ field: 'restate.start' });
  });

  it('passes a range within the models life, ending with today, on to the workflow', async () => {
    // 503: the range was accepted and the (unreachable) workflow was asked
    for (const models of [['staging.stg_orders'], []]) {
      const r = await restate({ models, restate: { start: '2026-11-01', end: '2026-11-25' } });
      expect(r.status, JSON.stringify(models)).toBe(503);
    }
  });
});
