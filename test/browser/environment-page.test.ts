/**
 * The environment page in Chromium against a real `sluice dev` stack on a copy of the quickstart
 * example (DuckDB), with authentication on: an operator token lists the models with their next
 * run, pauses a model with a reason (and no run started afterwards includes it), resumes it (a run
 * containing it follows) and runs a model now; a viewer token sees the page with the actions
 * disabled, and the API refuses the pause when it is forced.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openContext, screenshot } from '../support/browser.ts';
import { type ExampleStack, startExampleStack } from '../support/example-stack.ts';
import { waitFor } from '../support/waiting.ts';

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

let example: ExampleStack;
let browser: Browser;
let base: string;
let operator: string;
let viewer: string;

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

/** Waits until the minute model's next tick, as the API tells it now, has passed. */
async function passTick(): Promise<void> {
  const model = (await environment(operator)).models.find((m) => m.name === HEARTBEAT)!;
  const due = Date.parse(model.nextRun!);
  await waitFor(
    `the tick of ${HEARTBEAT} at ${model.nextRun}`,
    async () => (Date.now() > due + 1_000 ? true : undefined),
    75_000,
  );
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
async function signedIn(token: string, path: string): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = await openContext(browser);
  await page.goto(`${base}${path}`);
  await page.locator('input[name="token"]').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid="models"]').waitFor();
  // before the token, the API refused the page's first requests (401): that is what asked for it
  errors.length = 0;
  return { page, errors };
}

/** Polls what the page shows for long enough to see it refresh (every 5 s) a few times. */
function poll<T>(probe: () => Promise<T>) {
  return expect.poll(probe, { timeout: 20_000, interval: 250 });
}

function row(page: Page, model: string) {
  return page.locator(`tr[data-model="${model}"]`);
}

beforeAll(async () => {
  [example, browser] = await Promise.all([
    startExampleStack({
      example: 'quickstart',
      tokens: { 'dashboard-operator': 'operator', 'dashboard-viewer': 'viewer' },
    }),
    launchBrowser(),
  ]);
  base = example.api;
  operator = example.tokens['dashboard-operator']!;
  viewer = example.tokens['dashboard-viewer']!;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

describe('the environment page', () => {
  it("lists the example's models with their next run, filtered and sorted from the page", async () => {
    const { page, errors } = await signedIn(operator, '/environments/prod');
    for (const model of MODELS) await row(page, model).waitFor();
    await poll(() => row(page, HEARTBEAT).locator('[data-column="next"]').textContent()).toMatch(/^in /);
    await poll(() => page.locator('[data-testid="environment-next-tick"]').textContent()).toContain(
      HEARTBEAT,
    );
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
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a model paused with a reason from the page stays out of runs and shows why; "run now" runs it; resuming catches it up', async () => {
    const { page, errors } = await signedIn(operator, '/environments/prod');
    const missing = async () =>
      Number(await row(page, HEARTBEAT).locator('[data-column="missing"]').textContent());
    await row(page, HEARTBEAT).locator('[data-action="pause-model"]').click();
    const dialog = page.locator('[data-testid="action-dialog"]');
    await dialog.locator('input[name="reason"]').fill('late source data');
    await dialog.getByRole('button', { name: 'Pause model' }).click();
    await poll(() => row(page, HEARTBEAT).locator('[data-column="paused"]').textContent()).toContain(
      'late source data',
    );
    const pausedAt = Date.now();
    const paused = await environment(operator);
    expect(paused.models.find((m) => m.name === HEARTBEAT)?.paused?.reason).toBe('late source data');
    expect(paused.workflow.nextWake?.models ?? []).not.toContain(HEARTBEAT);

    // the minute it was due passes while it is paused: the page counts it missing, no run took it
    await passTick();
    await expect.poll(missing, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    for (const later of await runsSince(operator, pausedAt)) expect(later.models).not.toContain(HEARTBEAT);
    await screenshot(page, 'environment-model-paused');

    // "run now" names the model, which runs even while paused: the minute it missed
    await row(page, HEARTBEAT).locator('input[type="checkbox"]').check();
    await page.getByRole('button', { name: 'Run 1 selected now' }).click();
    const link = page.locator('[data-testid="action-outcome"] a');
    await link.waitFor();
    const runId = (await link.textContent())!;
    expect(runId).toMatch(/^sluice-run-prod-manual-/);
    expect(await recordedRun(operator, runId)).toMatchObject({ trigger: 'manual', models: [HEARTBEAT] });
    await expect.poll(missing, { timeout: 30_000 }).toBe(0);
    expect(await link.getAttribute('href')).toBe(`/runs/${runId}`);

    // another minute missed, then resumed: a run takes it again and nothing is left missing
    await passTick();
    await expect.poll(missing, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await row(page, HEARTBEAT).locator('[data-action="resume-model"]').click();
    await dialog.getByRole('button', { name: 'Resume model' }).click();
    await poll(() => row(page, HEARTBEAT).locator('[data-column="paused"]').textContent()).toBe('—');
    const resumedAt = Date.now();
    await waitFor(
      `a run of ${HEARTBEAT} after it was resumed`,
      async () => (await runsSince(operator, resumedAt - 1_000)).find((r) => r.models.includes(HEARTBEAT)),
      90_000,
    );
    await expect.poll(missing, { timeout: 30_000 }).toBe(0);
    // one page, the one signed in: the one that asked for the token is gone for good
    expect(await page.locator('main > section').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 300_000);
  it('"restate a range" of a selected model shows the refusal of a range off its intervals, then queues it', async () => {
    const { page, errors } = await signedIn(operator, '/environments/prod');
    expect(await page.locator('[data-action="restate"]').isDisabled()).toBe(true);
    await row(page, HEARTBEAT).locator('input[type="checkbox"]').check();
    await page.locator('[data-action="restate"]').click();
    const dialog = page.locator('[data-testid="action-dialog"]');
    const minute = 60_000;
    const end = Math.floor(Date.now() / minute) * minute - 2 * minute;
    const start = end - 3 * minute;
    // half past a minute is not on the model's minute intervals: the API's refusal shows in the dialog
    await dialog.locator('input[name="start"]').fill(new Date(start + 30_000).toISOString());
    await dialog.locator('input[name="end"]').fill(new Date(end).toISOString());
    await dialog.getByRole('button', { name: 'Restate' }).click();
    await poll(() => dialog.getByTestId('dialog-error').textContent()).toMatch(
      /restate\.start .*not on a boundary/,
    );
    await dialog.locator('input[name="start"]').fill(new Date(start).toISOString());
    await dialog.getByRole('button', { name: 'Restate' }).click();
    const link = page.locator('[data-testid="action-outcome"] a');
    await link.waitFor();
    await poll(() => dialog.count()).toBe(0);
    const run = await recordedRun(operator, (await link.textContent())!);
    expect(run).toMatchObject({ trigger: 'restatement', models: [HEARTBEAT] });
    expect(errors).toEqual([expect.stringContaining('422')]);
    await page.context().close();
  });

  it('a viewer sees the page with the actions disabled, and the API refuses a forced pause', async () => {
    const { page, errors } = await signedIn(viewer, '/environments/prod');
    for (const model of MODELS) await row(page, model).waitFor();
    const pause = row(page, HEARTBEAT).locator('[data-action="pause-model"]');
    expect(await pause.isDisabled()).toBe(true);
    expect(await pause.getAttribute('title')).toContain('viewer');
    expect(await page.locator('[data-action="pause-environment"]').isDisabled()).toBe(true);
    expect(await page.locator('[data-action="run-now"]').isDisabled()).toBe(true);
    const forced = await page.evaluate(async (token) => {
      const response = await fetch('/api/environments/prod/pauses', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'shop.minute_heartbeat', reason: 'forced' }),
      });
      return response.status;
    }, viewer);
    expect(forced).toBe(403);
    expect((await environment(operator)).models.find((m) => m.name === HEARTBEAT)?.paused).toBeNull();
    await screenshot(page, 'environment-viewer');
    // the refused request is the only failure the page saw
    expect(errors).toEqual([expect.stringContaining('403')]);
    await page.context().close();
  });
});
