/**
 * With no run executor running, a query waits for one as long as the API is told to, then says so,
 * and records nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listAudit } from '../../../state/audit-log.ts';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { Contract } from '../../api/support/contract.ts';
import { seedShop } from '../../api/support/seed.ts';
import { type ConnectionStack, startConnectionStack } from '../connections/support.ts';

let stack: ConnectionStack;

beforeAll(async () => {
  stack = await startConnectionStack('query_no_exec', {});
  await seedShop(stack.state.db);
});

afterAll(async () => {
  await stack?.dispose();
});

it('answers 503 naming the wait when no run executor takes the query', async () => {
  const app = testApp({
    db: stack.state.db,
    client: stack.env.client,
    temporalTimeoutMs: 10_000,
    queryPickupTimeoutMs: 2_000,
  });
  const contract = await Contract.of(app);
  const operator = await tokenFor(stack.state.db, 'operator');
  const reply = await contract.call(app, 'POST', '/api/environments/prod/query', {
    token: operator,
    body: { sql: 'SELECT * FROM marts.customer_orders' },
  });
  expect(reply.status).toBe(503);
  expect(reply.body.error.code).toBe('executor_unavailable');
  expect(reply.body.error.message).toBe(
    'no run executor took the query within 2s (is an executor running with sluice worker --role run?)',
  );
  expect((await listAudit(stack.state.db, { action: 'query.run' })).items).toEqual([]);
});
