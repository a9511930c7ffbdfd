/**
 * `sluice dev` with SLUICE_PAYLOAD_KEY: the workers encrypt every payload, the dev server's Web UI is
 * started with its codec endpoint at the API's `/api/codec`, and that endpoint, called the way the
 * UI's browser calls it, decodes what the raw history holds.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENCRYPTED_ENCODING } from '../../../crypto/payload-codec.ts';
import { type DevStack, startDevStack } from '../../../workers/dev-stack.ts';
import { bundleWorkflows } from '../../../workers/scheduler-worker.ts';
import { freePort } from '../../support/ports.ts';

const QUICKSTART = fileURLToPath(new URL('../../../examples/quickstart/', import.meta.url));

let root: string;
let stack: DevStack | undefined;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sluice-dev-codec-'));
});

afterAll(async () => {
  await stack?.stop().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

describe('sluice dev with a payload key', () => {
  it('points the Web UI at the API codec endpoint, which decodes the encrypted history', async () => {
    const project = join(root, 'quickstart');
    cpSync(QUICKSTART, project, {
      recursive: true,
      filter: (source) => basename(source) !== '.sluice' && !basename(source).startsWith('warehouse.duckdb'),
    });
    const uiPort = await freePort();
    const lines: string[] = [];
    stack = await startDevStack({
      project,
      env: {
        PATH: process.env.PATH ?? '',
        SLUICE_HOME: join(root, 'home'),
        SLUICE_TEMPORAL_PORT: String(await freePort()),
        SLUICE_TEMPORAL_UI_PORT: String(uiPort),
        SLUICE_SHUTDOWN_GRACE: '5s',
        SLUICE_PAYLOAD_KEY: `dev-it:${randomBytes(32).toString('hex')}`,
        ...(process.env.SLUICE_TEMPORAL_CLI ? { SLUICE_TEMPORAL_CLI: process.env.SLUICE_TEMPORAL_CLI } : {}),
      },
      log: (line) => lines.push(line),
      workflowBundle: await bundleWorkflows(),
      api: { port: 0 },
    });
    const { ui, api } = stack.urls;
    expect(ui).toBe(`http://127.0.0.1:${uiPort}`);
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.codecEndpoint).toBe(`${api}/api/codec`);
    expect(lines).toContain('Payloads: encrypted with SLUICE_PAYLOAD_KEY (key "dev-it")');
    expect(lines).toContain(`Codec endpoint: ${api}/api/codec (the Web UI decodes payloads through it)`);

    // the Web UI's own settings name the endpoint
    const settings = (await (await fetch(`${ui}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
    expect(settings.Codec.Endpoint).toBe(stack.codecEndpoint);

    // the UI's browser asks first, from either name of its origin
    for (const origin of [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`]) {
      const preflight = await fetch(`${stack.codecEndpoint}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
      expect(preflight.status, origin).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    }

    // the raw history, as the UI reads it from the server, is ciphertext ...
    const raw = new Client({ connection: stack.client.connection, namespace: stack.namespace });
    const history = await raw.workflow.getHandle(stack.environmentWorkflowId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const Payload = proto.temporal.api.common.v1.Payload;
    const input = (started?.input?.payloads ?? []).map((p) =>
      Payload.toObject(Payload.create(p), { bytes: String }),
    );
    expect(input.length).toBeGreaterThan(0);
    for (const payload of input) {
      expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    }
    // ... and the codec endpoint gives it back in the clear
    const response = await fetch(`${stack.codecEndpoint}/decode`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-namespace': stack.namespace,
        origin: `http://127.0.0.1:${uiPort}`,
      },
      body: JSON.stringify({ payloads: input }),
    });
    expect(response.status).toBe(200);
    const decoded = (await response.json()) as {
      payloads: Array<{ metadata: Record<string, string>; data: string }>;
    };
    const [first] = decoded.payloads;
    expect(Buffer.from(first!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(first!.data, 'base64').toString())).toEqual(
      expect.objectContaining({ environment: 'prod' }),
    );

    await stack.stop();
    stack = undefined;
  }, 240_000);
});
