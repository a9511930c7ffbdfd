/**
 * The connection routes against a real stack: a Temporal dev server, the scheduler worker, an apply
 * executor without gateways of its own that holds the keys, and the test Postgres as the warehouse.
 * A connection is stored only after the executor connected with it; the password never shows up in
 * a reply, a state row, the audit log or a workflow history; key rotation re-seals all or nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../../activities/contracts.ts';
import type { SluiceApp } from '../../../api/app.ts';
import { type ApiServer, startApiServer } from '../../../api/server.ts';
import type { Keyring } from '../../../crypto/keyring.ts';
import { open } from '../../../crypto/sealed.ts';
import { connections } from '../../../db/schema.ts';
import { getConnection, listAudit } from '../../../state/index.ts';
import { testConnectionWorkflow } from '../../../workflows/test-connection.ts';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { Contract } from '../../api/support/contract.ts';
import { runSluice } from '../../support/sluice-process.ts';
import { type ConnectionStack, keyring, PASSWORD, startConnectionStack, warehouseYaml } from './support.ts';

let stack: ConnectionStack;
let contract: Contract;
let admin: string;
let deployer: string;

/** An API app holding `encryption` (none: no SLUICE_ENCRYPTION_KEY). */
function api(encryption: Keyring | undefined): SluiceApp {
  return testApp({
    db: stack.state.db,
    client: stack.env.client,
    temporalTimeoutMs: 10_000,
    connectionTestTimeoutMs: 20_000,
    ...(encryption === undefined ? {} : { encryption }),
  });
}

beforeAll(async () => {
  // the executor already holds k2 (current) and k1 (previous), as during a rotation
  stack = await startConnectionStack('conn_routes', { executorKeys: keyring('k2', 'k1') });
  contract = await Contract.of(api(keyring('k1')));
});

afterAll(async () => {
  await stack?.dispose();
});

beforeEach(async () => {
  await stack.state.db.execute(sql`truncate sluice.connections, sluice.audit_log, sluice.api_tokens`);
  admin = await tokenFor(stack.state.db, 'admin', ['*'], 'root');
  deployer = await tokenFor(stack.state.db, 'deployer', ['*'], 'ci');
});

async function add(app: SluiceApp, gateway: string, yaml: string, token = admin) {
  return contract.call(app, 'POST', '/api/connections', { token, body: { gateway, yaml } });
}

async function storedRows() {
  return stack.state.db.select().from(connections);
}

/** The text of every event of the connection test workflows, once visibility lists at least `least`. */
async function testWorkflowHistories(least: number): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const texts: string[] = [];
    for await (const execution of stack.env.client.workflow.list({
      query: "WorkflowType = 'testConnectionWorkflow'",
    })) {
      const history = await stack.env.client.workflow.getHandle(execution.workflowId).fetchHistory();
      texts.push(
        // payload bytes come as Uint8Array or as base64 text: both are read as the UTF-8 they hold
        JSON.stringify(history, (key, value: unknown) =>
          value instanceof Uint8Array
            ? Buffer.from(value).toString('utf8')
            : key === 'data' && typeof value === 'string'
              ? `${value}\n${Buffer.from(value, 'base64').toString('utf8')}`
              : value,
        ),
      );
    }
    if (texts.length >= least) return texts.join('\n');
    if (Date.now() > deadline) throw new Error(`only ${texts.length} connection test workflows are listed`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('POST /api/connections', () => {
  it('tests the connection from the apply executor, then stores it sealed and never shows the password', async () => {
    const app = api(keyring('k1'));
    const reply = await add(app, 'Warehouse', warehouseYaml());
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      gateway: 'warehouse',
      type: 'postgres',
      host: new URL(process.env.SLUICE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
        .hostname,
      keyId: 'k1',
      created: true,
      createdBy: expect.stringMatching(/^root/),
      test: { executor: 'apply@conn_routes' },
    });
    expect(reply.body.test.serverVersion).toMatch(/^PostgreSQL/);
    expect(reply.body.lastTestMs).toBe(reply.body.test.latencyMs);
    expect(reply.body.lastTestedAt).not.toBeNull();
    expect(reply.text).not.toContain(PASSWORD);

    const rows = await storedRows();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
    expect(rows[0]!.keyId).toBe('k1');
    const opened = JSON.parse(open(keyring('k1'), rows[0]!.sealed, 'warehouse').toString('utf8'));
    expect(opened).toMatchObject({ type: 'postgres', password: PASSWORD, sslmode: 'disable' });

    const audit = await listAudit(stack.state.db, { action: 'connection.create' });
    expect(audit.items).toHaveLength(1);
    expect(audit.items[0]).toMatchObject({ target: 'warehouse', details: { keyId: 'k1', type: 'postgres' } });
    expect(JSON.stringify(audit.items)).not.toContain(PASSWORD);

    const listed = await contract.call(app, 'GET', '/api/connections', { token: admin });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((c: { gateway: string }) => c.gateway)).toEqual(['warehouse']);
    expect(listed.text).not.toContain(rows[0]!.sealed.data);
    const shown = await contract.call(app, 'GET', '/api/connections/warehouse', { token: admin });
    expect(shown.status).toBe(200);
    expect(shown.body).not.toHaveProperty('sealed');

    const histories = await testWorkflowHistories(1);
    // the sealed value went through the history; the password did not
    expect(histories).toContain(rows[0]!.sealed.data);
    expect(histories).not.toContain(PASSWORD);

    // adding it again replaces it, keeping its creator
    const again = await add(app, 'warehouse', warehouseYaml({ application_name: 'sluice_again' }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, gateway: 'warehouse' });
    expect(await listAudit(stack.state.db, { action: 'connection.replace' })).toMatchObject({
      items: [{ target: 'warehouse' }],
    });
  });

  it('stores nothing when the executor cannot connect, and says why', async () => {
    const app = api(keyring('k1'));
    const reply = await add(app, 'warehouse', warehouseYaml({ host: '127.0.0.1', port: 1 }));
    expect(reply.status).toBe(422);
    expect(reply.body.error.code).toBe('connection_test_failed');
    expect(reply.body.error.message).toMatch(
      /^the connection test of gateway "warehouse" failed, nothing was stored: gateway "warehouse": .*127\.0\.0\.1/,
    );
    expect(reply.text).not.toContain(PASSWORD);
    expect(await storedRows()).toEqual([]);
    expect((await listAudit(stack.state.db)).items).toEqual([]);
    const shown = await contract.call(app, 'GET', '/api/connections/warehouse', { token: admin });
    expect(shown.status).toBe(404);
  });

  it('refuses YAML that is not a valid connection with a 422 naming the key, never quoting the password', async () => {
    const app = api(keyring('k1'));
    const cases: Array<[string, RegExp, unknown]> = [
      [
        `${warehouseYaml()}\nprot: 5432`,
        /^yaml: gateway "warehouse": prot: unknown setting; expected one of host, port, /,
        'prot',
      ],
      [
        warehouseYaml({ port: 'not-a-port' }),
        /^yaml: gateway "warehouse": port: must be an integer, got "not-a-port"$/,
        'port',
      ],
      [
        'host: db\nport: 5432',
        /^yaml: gateway "warehouse": type: missing; expected one of duckdb, postgres$/,
        'type',
      ],
      [
        `type: postgres\npassword: "${PASSWORD}\nhost: [db`,
        /^yaml: not valid YAML at line \d+, column \d+ \(\w+\)$/,
        null,
      ],
      ['- type: postgres', /^yaml: must be a mapping of connection settings/, null],
      [
        `connection:\n  type: postgres\n  host: db`,
        /^yaml: give the settings inside the gateway's connection: mapping/,
        'connection',
      ],
    ];
    for (const [yaml, message, key] of cases) {
      const reply = await add(app, 'warehouse', yaml);
      expect(reply.status, yaml).toBe(422);
      expect(reply.body.error.code).toBe('invalid_connection');
      expect(reply.body.error.message).toMatch(message);
      expect(reply.body.error.details.key).toBe(key);
      expect(reply.text).not.toContain(PASSWORD);
    }
    const badName = await add(app, 'ware house', warehouseYaml());
    expect(badName.status).toBe(400);
    expect(badName.body.error.message).toMatch(/^gateway "ware house": expected a gateway name/);
    expect(await storedRows()).toEqual([]);
  });

  it('says clearly when the API has no SLUICE_ENCRYPTION_KEY', async () => {
    const reply = await add(api(undefined), 'warehouse', warehouseYaml());
    expect(reply.status).toBe(503);
    expect(reply.body.error.code).toBe('encryption_not_configured');
    expect(reply.body.error.message).toMatch(/^SLUICE_ENCRYPTION_KEY is not set on the API/);
    const rotation = await contract.call(api(undefined), 'POST', '/api/connections/rotate-key', {
      token: admin,
    });
    expect(rotation.status).toBe(503);
    expect(await storedRows()).toEqual([]);
  });

  it('is for admins only', async () => {
    const app = api(keyring('k1'));
    for (const [method, path, body] of [
      ['POST', '/api/connections', { gateway: 'warehouse', yaml: warehouseYaml() }],
      ['GET', '/api/connections', undefined],
      ['GET', '/api/connections/warehouse', undefined],
      ['DELETE', '/api/connections/warehouse', undefined],
      ['POST', '/api/connections/rotate-key', undefined],
    ] as const) {
      const reply = await contract.call(app, method, path, {
        token: deployer,
        ...(body === undefined ? {} : { body }),
      });
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(reply.body.error.message).toMatch(
        /has role deployer; to manage warehouse connections it needs role admin or higher$/,
      );
    }
    const anonymous = await app.request('/api/connections');
    expect(anonymous.status).toBe(401);
    expect(await storedRows()).toEqual([]);
  });

  it('removes a connection and audits it', async () => {
    const app = api(keyring('k1'));
    expect((await add(app, 'warehouse', warehouseYaml())).status).toBe(201);
    const removed = await contract.call(app, 'DELETE', '/api/connections/warehouse', { token: admin });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ gateway: 'warehouse', keyId: 'k1' });
    expect(await storedRows()).toEqual([]);
    expect((await listAudit(stack.state.db, { action: 'connection.delete' })).items).toHaveLength(1);
    const again = await contract.call(app, 'DELETE', '/api/connections/warehouse', { token: admin });
    expect(again.status).toBe(404);
  });
});

describe('POST /api/connections/rotate-key', () => {
  it('re-seals every connection under the current key, and the executor holding both keys still connects', async () => {
    expect((await add(api(keyring('k1')), 'warehouse', warehouseYaml())).status).toBe(201);
    expect((await add(api(keyring('k1')), 'replica', warehouseYaml())).status).toBe(201);

    const rotating = api(keyring('k2', 'k1'));
    const rotation = await contract.call(rotating, 'POST', '/api/connections/rotate-key', { token: admin });
    expect(rotation.status).toBe(200);
    expect(rotation.body).toMatchObject({ keyId: 'k2', resealed: { k1: 2 }, unchanged: 0 });
    const rows = await storedRows();
    expect(rows.map((row) => row.keyId)).toEqual(['k2', 'k2']);
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
    expect((await listAudit(stack.state.db, { action: 'connection.rotate_key' })).items).toHaveLength(1);

    // the executor opens the re-sealed value with its current key
    const stored = (await getConnection(stack.state.db, 'warehouse'))!;
    const result = await stack.env.client.workflow.execute(testConnectionWorkflow, {
      taskQueue: TASK_QUEUES.scheduler,
      workflowId: `rotated-${Date.now()}`,
      args: [
        {
          gateway: 'warehouse',
          connection: stored.sealed,
          scheduleToStartMs: 20_000,
          startToCloseMs: 30_000,
        },
      ],
    });
    expect(result.executor).toBe('apply@conn_routes');

    const second = await contract.call(rotating, 'POST', '/api/connections/rotate-key', { token: admin });
    expect(second.body).toMatchObject({ keyId: 'k2', resealed: {}, unchanged: 2 });
  });

  it('changes nothing when a connection is sealed with a key the API no longer holds', async () => {
    expect((await add(api(keyring('k1')), 'warehouse', warehouseYaml())).status).toBe(201);
    const before = await storedRows();
    const refused = await contract.call(api(keyring('k3')), 'POST', '/api/connections/rotate-key', {
      token: admin,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(
      /^the connection of gateway "warehouse" cannot be opened by the API: sealed with key "k1"/,
    );
    expect(refused.body.error.message).toContain('Nothing was re-sealed');
    expect(refused.body.error.details).toEqual({ gateway: 'warehouse', keyId: 'k1' });
    expect(await storedRows()).toEqual(before);
  });
});

describe('sluice connections', () => {
  let server: ApiServer;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-conn-cli-'));
    server = await startApiServer({
      db: stack.state.db,
      client: stack.env.client,
      host: '127.0.0.1',
      port: 0,
      auth: 'tokens',
      log: () => {},
      logError: () => {},
      encryption: keyring('k1'),
      connectionTestTimeoutMs: 20_000,
    });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function sluice(
    args: string[],
    stdin?: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return runSluice(
      ['connections', ...args],
      { SLUICE_API_URL: server.url, SLUICE_TOKEN: admin },
      {
        ...(stdin === undefined ? {} : { stdin }),
      },
    );
  }

  it('adds from a file or stdin, lists, rotates and removes, printing no setting', async () => {
    const file = join(dir, 'warehouse.yaml');
    writeFileSync(file, warehouseYaml());
    const added = await sluice(['add', 'warehouse', '--file', file]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(
      /^Connection of gateway warehouse added \(postgres \S+, sealed with key k1\); apply@conn_routes connected in \d+ ms, PostgreSQL/,
    );
    const piped = await sluice(['add', 'replica', '--file', '-', '--json'], warehouseYaml());
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ gateway: 'replica', created: true, keyId: 'k1' });

    const listed = await sluice(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^GATEWAY\s+TYPE\s+HOST\s+KEY\s+UPDATED\s+BY\s+LAST TEST$/);
    expect(listed.stdout).toMatch(/^replica\s+postgres/m);
    expect(listed.stdout).toMatch(/^warehouse\s+postgres/m);

    const rotated = await sluice(['rotate-key']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout.trim()).toBe(
      'Every connection is sealed with key k1: none re-sealed, 2 already current',
    );

    const removed = await sluice(['remove', 'replica']);
    expect([removed.code, removed.stdout.trim()]).toEqual([0, 'Connection of gateway replica removed']);
    for (const output of [added, piped, listed, rotated, removed]) {
      expect(output.stdout + output.stderr).not.toContain(PASSWORD);
    }
    expect((await storedRows()).map((row) => row.gateway)).toEqual(['warehouse']);
  });

  it('exits 2 with one line for a rejected connection or an unreadable file', async () => {
    const rejected = await sluice(['add', 'warehouse', '--file', '-'], `${warehouseYaml()}\nprot: 1`);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toMatch(/^sluice: yaml: gateway "warehouse": prot: unknown setting; .*\n$/);
    expect(rejected.stderr).not.toContain(PASSWORD);
    const missing = await sluice(['add', 'warehouse', '--file', join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`sluice: --file ${join(dir, 'nope.yaml')}: cannot read it (no such file)\n`);
    const unknown = await sluice(['remove', 'nothing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('sluice: no scheduler-managed connection for gateway "nothing"\n');
    expect(await storedRows()).toEqual([]);
  });
});
