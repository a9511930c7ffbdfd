/**
 * API tokens: shown once at creation, stored only as a SHA-256 hash, listed without their value,
 * scoped by role and environment patterns, revoked at once; the last admin token stays.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { queryRows } from '../../db/query-rows.ts';
import { listAudit } from '../../state/audit-log.ts';
import { DRIVERS } from '../integration/state/harness.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { NOW } from './support/seed.ts';
import { openTestState, type TestState, tableCounts } from './support/state.ts';

describe.each(DRIVERS)('token routes on %s', (driver) => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;
  let admin: string;

  beforeAll(async () => {
    state = await openTestState(driver, 'api_tokens');
    temporal = unreachableTemporal();
    app = testApp({ db: state.db, client: temporal.client, now: () => NOW });
    contract = await Contract.of(app);
  });
  beforeEach(async () => {
    await state.reset();
    admin = await tokenFor(state.db, 'admin', ['*'], 'root');
  });
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it('creates a token once, stores only its hash, and the token then works with its role', async () => {
    const created = await contract.call(app, 'POST', '/api/tokens', {
      token: admin,
      body: { name: 'ci deploys', role: 'deployer', environments: ['pr_*', 'dev_*'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'ci deploys',
      role: 'deployer',
      environments: ['pr_*', 'dev_*'],
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(created.body.createdBy).toMatch(/^root \(tok_/);
    const value: string = created.body.token;
    expect(value).toMatch(/^sluice_[A-Za-z0-9_-]{43}$/);

    const rows = await queryRows<{ token_hash: string }>(
      state.db,
      sql`select token_hash from sluice.api_tokens where id = ${created.body.id}`,
    );
    expect(rows[0]!.token_hash).toBe(createHash('sha256').update(value).digest('hex'));
    const dump = JSON.stringify(await queryRows(state.db, sql`select * from sluice.api_tokens`));
    expect(dump).not.toContain(value);

    const listed = await contract.call(app, 'GET', '/api/tokens', { token: admin });
    expect(listed.body.items.map((t: { name: string }) => t.name)).toEqual(['ci deploys', 'root']);
    expect(JSON.stringify(listed.body)).not.toContain(value);

    expect((await contract.call(app, 'GET', '/api/runs', { token: value })).status).toBe(200);
    expect((await contract.call(app, 'GET', '/api/tokens', { token: value })).status).toBe(403);
    const used = await contract.call(app, 'GET', '/api/tokens', { token: admin });
    expect(used.body.items.find((t: { name: string }) => t.name === 'ci deploys').lastUsedAt).not.toBeNull();

    const audit = await listAudit(state.db, { action: 'token.create' });
    expect(audit.items[0]).toMatchObject({
      target: created.body.id,
      details: expect.objectContaining({ role: 'deployer' }),
    });
    expect(JSON.stringify(audit.items)).not.toContain(value);
  });

  it('refuses bad settings with 400 and tokens beyond the creator’s environments with 403', async () => {
    const before = await tableCounts(state.db);
    const badRole = await contract.call(app, 'POST', '/api/tokens', {
      token: admin,
      body: { name: 'x', role: 'owner', environments: ['*'] },
    });
    expect(badRole.status).toBe(400);
    expect(badRole.body.error.message).toContain('body.role');
    const badPattern = await contract.call(app, 'POST', '/api/tokens', {
      token: admin,
      body: { name: 'x', role: 'viewer', environments: ['Prod'] },
    });
    expect(badPattern.status).toBe(400);
    expect(badPattern.body.error.message).toBe(
      'environment pattern "Prod" may only contain lower-case letters, digits, _ and *',
    );
    const past = await contract.call(app, 'POST', '/api/tokens', {
      token: admin,
      body: { name: 'x', role: 'viewer', expiresAt: '2020-01-01' },
    });
    expect(past.status).toBe(400);

    const devAdmin = await tokenFor(state.db, 'admin', ['dev_*'], 'dev admin');
    const mid = await tableCounts(state.db);
    const beyond = await contract.call(app, 'POST', '/api/tokens', {
      token: devAdmin,
      body: { name: 'x', role: 'viewer', environments: ['*'] },
    });
    expect(beyond.status).toBe(403);
    expect(beyond.body.error.message).toContain('may hand out tokens only for environments dev_*');
    const within = await contract.call(app, 'POST', '/api/tokens', {
      token: devAdmin,
      body: { name: 'x', role: 'viewer', environments: ['dev_team_*', 'dev_1'] },
    });
    expect(within.status).toBe(201);
    expect(before.api_tokens).toBe(1);
    expect(mid.api_tokens).toBe(2);
  });

  it('revokes a token at once, refuses a second revoke, and keeps the last admin token', async () => {
    const created = await contract.call(app, 'POST', '/api/tokens', {
      token: admin,
      body: { name: 'temp', role: 'operator' },
    });
    const value = created.body.token;
    expect((await contract.call(app, 'GET', '/api/runs', { token: value })).status).toBe(200);
    const revoked = await contract.call(app, 'DELETE', `/api/tokens/${created.body.id}`, { token: admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await contract.call(app, 'GET', '/api/runs', { token: value })).status).toBe(401);
    const again = await contract.call(app, 'DELETE', `/api/tokens/${created.body.id}`, { token: admin });
    expect(again.status).toBe(409);
    expect(
      (await contract.call(app, 'DELETE', '/api/tokens/tok_000000000000', { token: admin })).status,
    ).toBe(404);

    const listed = await contract.call(app, 'GET', '/api/tokens?includeRevoked=true', { token: admin });
    expect(listed.body.items).toHaveLength(2);
    expect((await contract.call(app, 'GET', '/api/tokens', { token: admin })).body.items).toHaveLength(1);

    const rootId = listed.body.items.find((t: { name: string }) => t.name === 'root').id;
    const last = await contract.call(app, 'DELETE', `/api/tokens/${rootId}`, { token: admin });
    expect(last.status).toBe(409);
    expect(last.body.error.message).toContain('last active admin token');
    expect((await listAudit(state.db, { action: 'token.revoke' })).items).toHaveLength(1);
  });
});
