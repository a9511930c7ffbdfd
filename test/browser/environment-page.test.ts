/**
 * The environment page in Chromium against a real `sluice dev` stack on a copy of the quickstart
 * example (DuckDB), with authentication on: an operator token lists the models with their next
 * run, pauses a model with a reason (and no run started afterwards includes it), resumes it (a run
 * containing it follows) and runs a model now; a viewer token sees the page with the actions
 * disabled, and the API refuses the pause when it is forced.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevStack, startDevStack } from '../../workers/dev-stack.ts';
import { bundleWorkflows } from '../../workers/scheduler-worker.ts';
import { createScratchDatabase, type ScratchDatabase } from '../integration/state/harness.ts';
import { waitFor } from '../support/waiting.ts';

const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart/', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const MODELS = [
  'shop.customer_totals',
  'shop.daily_orders',
  'shop.minute_heartbeat',
  'shop.raw_orders',
  'shop.top_customers',
];
const HEARTBEAT = 'shop.minute_heartbeat';

interface Run {
  id: string;
  trigger: string;
  models: string[];
  createdAt: string;
}

let root: string;
let scratch: ScratchDatabase;
let stack: DevStack | undefined;
let browser: Browser;
let base: string;
let operator: string;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function call<T>(method: string, path: string, token: string | null, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function environment(token: string) {
  const { status, body } = await call<{
    models: { name: string; paused: { reason: string | null } | null; nextRun: string | null }[];
    workflow: { applyingPlan: string | null; plansQueued: unknown[]; nextWake: { models: string[] } | null };
  }>('GET', '/api/environments/prod', token);
  expect(status).toBe(200);
  return body;
}

/** The run once the environment workflow has recorded it (the API answers its id at once). */
function recordedRun(token: string, runId: string): Promise<Run> {
  return waitFor(
    `run ${runId} in the API`,
    async () => {
      const { status, body } = await call<Run>('GET', `/api/runs/${encodeURIComponent(runId)}`, token);
      return status === 200 ? body : undefined;
    },
    30_000,
  );
}

async function runsSince(token: string, since: number): Promise<Run[]> {
  const { body } = await call<{ items: Run[] }>('GET', '/api/runs?environment=prod&limit=50', token);
  return body.items.filter((run) => Date.parse(run.createdAt) >= since);
}

/** A page signed in with `token` through the sign-in form the dashboard shows on a 401. */
async function signedIn(token: string, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}${path}`);
  await page.locator('input[name="token"]').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid="models"]').waitFor();
  return page;
}

function row(page: Page, model: string) {
  return page.locator(`tr[data-model="${model}"]`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'sluice-environment-page-'));
  const project = join(root, 'quickstart');
  cpSync(QUICKSTART, project, {
    recursive: true,
    filter: (source) => basename(source) !== '.sluice' && !basename(source).startsWith('warehouse.duckdb'),
  });
  scratch = await createScratchDatabase('environment_page');
  const apiPort = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    SLUICE_HOME: join(root, 'home'),
    SLUICE_TEMPORAL_PORT: String(await freePort()),
    SLUICE_TEMPORAL_UI_PORT: String(await freePort()),
    SLUICE_SHUTDOWN_GRACE: '5s',
    SLUICE_DATABASE_URL: scratch.url,
    ...(process.env.SLUICE_TEMPORAL_CLI ? { SLUICE_TEMPORAL_CLI: process.env.SLUICE_TEMPORAL_CLI } : {}),
  };
  const workflowBundle = await bundleWorkflows();
  const start = () => startDevStack({ project, env, workflowBundle, api: { port: apiPort } });
  // without tokens the loopback API runs with authentication off: create the tokens as its admin,
  // then start again, which turns authentication on since tokens exist
  stack = await start();
  base = stack.urls.api!;
  const created = async (name: string, role: string) => {
    const { status, body } = await call<{ token: string }>('POST', '/api/tokens', null, { name, role });
    expect(status).toBe(201);
    return body.token;
  };
  operator = await created('dashboard-operator', 'operator');
  await stack.stop();
  stack = await start();
  base = stack.urls.api!;
  await waitFor(
    'prod to have every model applied',
    async () => {
      // prod exists once its first plan is applied
      const { status } = await call('GET', '/api/environments/prod', operator);
      if (status === 404) return undefined;
      const detail = await environment(operator);
      const settled =
        detail.models.length === MODELS.length &&
        detail.workflow.applyingPlan === null &&
        detail.workflow.plansQueued.length === 0;
      return settled ? detail : undefined;
    },
    90_000,
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop().catch(() => {});
  await scratch?.drop().catch(() => {});
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the environment page', () => {
  it("lists the example's models with their next run, filtered and sorted from the page", async () => {
    const page = await signedIn(operator, '/environments/prod');
    for (const model of MODELS) await row(page, model).waitFor();
    await expect
      .poll(() => row(page, HEARTBEAT).locator('[data-column="next"]').textContent())
      .toMatch(/^in /);
    await expect
      .poll(() => page.locator('[data-testid="environment-next-tick"]').textContent())
      .toContain(HEARTBEAT);
    await screenshot(page, 'environment');

    await page.locator('input[name="q"]').fill('orders');
    await expect
      .poll(() =>
        page.locator('tr[data-model]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model'))),
      )
      .toEqual(['shop.daily_orders', 'shop.raw_orders']);
    expect(new URL(page.url()).search).toBe('?q=orders');
    await page.locator('th[data-sort="name"]').click();
    await expect
      .poll(() =>
        page.locator('tr[data-model]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model'))),
      )
      .toEqual(['shop.raw_orders', 'shop.daily_orders']);
    await page.context().close();
  });

  it('pausing a model with a reason keeps it out of runs and shows it; "run now" runs it; resuming catches it up', async () => {
    const page = await signedIn(operator, '/environments/prod');
    await row(page, HEARTBEAT).locator('[data-action="pause-model"]').click();
    const dialog = page.locator('[data-testid="action-dialog"]');
    await dialog.locator('input[name="reason"]').fill('late source data');
    await dialog.getByRole('button', { name: 'Pause model' }).click();
    await expect
      .poll(() => row(page, HEARTBEAT).locator('[data-column="paused"]').textContent())
      .toContain('late source data');
    const pausedAt = Date.now();
    const paused = await environment(operator);
    const model = paused.models.find((m) => m.name === HEARTBEAT)!;
    expect(model.paused?.reason).toBe('late source data');
    expect(paused.workflow.nextWake?.models ?? []).not.toContain(HEARTBEAT);
    await screenshot(page, 'environment-model-paused');

    // the minute it was due passes while it is paused, and no run started since includes it
    const due = Date.parse(model.nextRun!);
    await waitFor(
      'the tick the paused model missed',
      async () => (Date.now() > due + 2_000 ? true : undefined),
      75_000,
    );
    for (const later of await runsSince(operator, pausedAt)) expect(later.models).not.toContain(HEARTBEAT);

    // "run now" names the model, which runs even while paused: the minute it missed
    await row(page, HEARTBEAT).locator('input[type="checkbox"]').check();
    await page.getByRole('button', { name: 'Run 1 selected now' }).click();
    const link = page.locator('[data-testid="action-outcome"] a');
    await link.waitFor();
    const runId = (await link.textContent())!;
    expect(runId).toMatch(/^sluice-run-prod-manual-/);
    expect(await recordedRun(operator, runId)).toMatchObject({ trigger: 'manual', models: [HEARTBEAT] });
    await link.click();
    await page.waitForURL(`${base}/runs/${runId}`);
    await page.goBack();

    await row(page, HEARTBEAT).locator('[data-action="resume-model"]').click();
    await dialog.getByRole('button', { name: 'Resume model' }).click();
    await expect.poll(() => row(page, HEARTBEAT).locator('[data-column="paused"]').textContent()).toBe('—');
    const resumedAt = Date.now();
    await waitFor(
      `a run of ${HEARTBEAT} after it was resumed`,
      async () => (await runsSince(operator, resumedAt - 1_000)).find((r) => r.models.includes(HEARTBEAT)),
      90_000,
    );
    await page.context().close();
  }, 240_000);
});
