/**
 * With no apply executor running, adding a connection waits SLUICE_CONNECTION_TEST_TIMEOUT for one,
 * then says so, and stores nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { Contract } from '../../api/support/contract.ts';
import { type ConnectionStack, keyring, PASSWORD, startConnectionStack, warehouseYaml } from './support.ts';

let stack: ConnectionStack;

beforeAll(async () => {
  stack = await startConnectionStack('conn_no_exec', {});
});

afterAll(async () => {
  await stack?.dispose();
});

it('answers 503 naming the wait when no apply executor takes the test, and stores nothing', async () => {
  const app = testApp({
    db: stack.state.db,
    client: stack.env.client,
    temporalTimeoutMs: 10_000,
    encryption: keyring('k1'),
    connectionTestTimeoutMs: 2_000,
  });
  const contract = await Contract.of(app);
  const admin = await tokenFor(stack.state.db, 'admin');
  const reply = await contract.call(app, 'POST', '/api/connections', {
    token: admin,
    body: { gateway: 'warehouse', yaml: warehouseYaml() },
  });
  expect(reply.status).toBe(503);
  expect(reply.body.error.code).toBe('executor_unavailable');
  expect(reply.body.error.message).toBe(
    'no apply executor took the connection test within 2s (is an executor running with sluice worker --role apply?)',
  );
  expect(reply.text).not.toContain(PASSWORD);
  const listed = await contract.call(app, 'GET', '/api/connections', { token: admin });
  expect(listed.body.items).toEqual([]);
});
