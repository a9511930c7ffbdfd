/**
 * The runs pages in Chromium against `sluice dev` on the PostgreSQL quickstart, with one model more:
 * `shop.gated_totals` waits for an advisory lock the test holds, so a run of it stays running until
 * the test lets it go, with no guess at how long a slow model takes. A run asked for through the API
 * appears on the runs timeline and table; its page shows the model, follows the run live (the model
 * finishes, and the page shows it without a reload), shows a lost event stream and its recovery,
 * and the model's log.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import postgres from 'postgres';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openContext, screenshot } from '../support/browser.ts';
import { type ExampleStack, startExampleStack } from '../support/example-stack.ts';
import { launchFirefox } from '../support/firefox.ts';

const GATE = 4_242;
const MODEL = 'shop.gated_totals';

let example: ExampleStack;
let browser: Browser;
let firefox: FirefoxBrowser;

function addGatedModel(project: string): void {
  writeFileSync(
    join(project, 'models', 'gated_totals.sql'),
    [
      'MODEL (',
      `  name ${MODEL},`,
      '  kind FULL,',
      "  cron '@hourly',",
      "  description 'Customer totals, built once the test opens the gate'",
      ');',
      '',
      'SELECT t.customer_id, t.lifetime_spend',
      'FROM shop.customer_totals AS t',
      `CROSS JOIN (SELECT pg_advisory_xact_lock(${GATE})) AS gate`,
      '',
    ].join('\n'),
  );
}

/** Holds the gate (a session advisory lock on the warehouse) until `open` is called. */
async function holdGate(): Promise<{ open: () => Promise<void>; release: () => Promise<void> }> {
  const sql = postgres(example.warehouseUrl!, { max: 1, onnotice: () => {} });
  const held = await sql.reserve();
  await held`select pg_advisory_lock(${GATE})`;
  return {
    open: async () => {
      await held`select pg_advisory_unlock(${GATE})`;
    },
    release: async () => {
      await held`select pg_advisory_unlock_all()`.catch(() => {});
      held.release();
      await sql.end();
    },
  };
}

/** Asks the API for a run of the gated model: a restatement, since its intervals are all complete. */
async function runGatedModel(): Promise<string> {
  const response = await fetch(`${example.api}/api/environments/prod/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ models: [MODEL], restate: { start: '2026-11-01', end: '2026-11-02' } }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { runId: string }).runId;
}

async function textOf(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

beforeAll(async () => {
  [example, browser, firefox] = await Promise.all([
    startExampleStack({ example: 'quickstart-postgres', prepare: addGatedModel }),
    launchBrowser(),
    launchFirefox(),
  ]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await firefox?.close();
  await example?.stop();
});

describe('the runs pages', () => {
  it('show a run asked for through the API on the timeline and table, and its page follows it live to its end', async () => {
    const gate = await holdGate();
    try {
      const runId = await runGatedModel();
      const { context, page, errors } = await openContext(browser);

      // the runs page: the run on the timeline and in the table, running
      await page.goto(`${example.api}/runs?environment=prod`);
      const row = page.locator(`[data-testid="runs"] tr[data-run="${runId}"][data-status="running"]`);
      await row.waitFor({ timeout: 60_000 });
      expect(await row.locator('td').nth(1).textContent()).toBe('restatement');
      const bar = page.locator(`[data-testid="runs-timeline"] [data-key="${runId}"]`);
      await bar.waitFor();
      // selecting it draws its models on their own timeline
      await bar.click();
      await page
        .locator(`[data-testid="selected-run-timeline"] [data-key]`)
        .filter({ hasText: MODEL })
        .waitFor();
      expect(new URL(page.url()).searchParams.get('run')).toBe(runId);

      // the run page: following live, the gated model not finished
      await page.locator(`[data-testid="runs"] a[href="/runs/${runId}"]`).click();
      await page.getByTestId('stream-state').and(page.locator('[data-state="live"]')).waitFor();
      expect(await textOf(page, '[data-testid="run-status"]')).toBe('running');
      const modelRow = page.locator(`[data-testid="executions"] tr[data-model="${MODEL}"]`);
      await modelRow.waitFor();
      expect(await modelRow.getAttribute('data-status')).not.toBe('succeeded');
      // enabled once the API has said this token may operate here
      await expect.poll(() => page.getByTestId('cancel-run').isEnabled()).toBe(true);
      expect(await page.getByRole('link', { name: /Workflow in Temporal/ }).getAttribute('href')).toBe(
        `${example.stack.urls.ui}/namespaces/default/workflows/${runId}`,
      );
      await page.evaluate('window.notReloaded = true');
      await screenshot(page, 'run-live');

      // the lost stream is said, and the page recovers once the API answers again
      const second = await openContext(browser);
      await second.page.route('**/api/runs/*/events', (route) => route.abort('connectionrefused'));
      await second.page.goto(`${example.api}/runs/${runId}`);
      const lost = second.page.getByTestId('stream-state').and(second.page.locator('[data-state="lost"]'));
      await lost.waitFor();
      expect(await lost.textContent()).toMatch(/^Live updates lost .*: the API is unreachable/);
      await second.page.unroute('**/api/runs/*/events');
      await second.page
        .getByTestId('stream-state')
        .and(second.page.locator('[data-state="live"]'))
        .waitFor({ timeout: 30_000 });
      await second.context.close();

      // the gate opens: the model finishes and the run ends, seen without a reload
      await gate.open();
      await page
        .locator(`[data-testid="executions"] tr[data-model="${MODEL}"][data-status="succeeded"]`)
        .waitFor({ timeout: 60_000 });
      await page.locator('[data-testid="run-status"]').filter({ hasText: 'succeeded' }).waitFor();
      await page.getByTestId('stream-state').waitFor({ state: 'detached' });
      expect(await page.evaluate('window.notReloaded')).toBe(true);
      expect(await page.getByTestId('cancel-run').count()).toBe(0);
      const cells = await modelRow.locator('td').allTextContents();
      expect(Number(cells[5])).toBeGreaterThan(0); // rows
      expect(cells[6]).not.toBe('—'); // executor
      expect(cells[7]).toBe('1'); // attempt
      await page
        .locator(`[data-testid="execution-timeline"] [data-key][data-status="succeeded"]`)
        .filter({ hasText: MODEL })
        .waitFor();

      // its log: the rendered SQL and the statements with their durations
      await modelRow.getByRole('button', { name: 'show' }).click();
      await page.getByTestId('rendered-sql').waitFor();
      expect(await textOf(page, '[data-testid="rendered-sql"]')).toContain(`pg_advisory_xact_lock(${GATE})`);
      const statements = page.locator('[data-testid="statements"] tbody tr');
      expect(await statements.count()).toBeGreaterThan(0);
      expect(await statements.first().locator('td').nth(2).textContent()).toMatch(/\d+(\.\d+)? (ms|s)$/);
      await screenshot(page, 'run');

      // back on the runs page, the run has ended there too
      await page.goto(`${example.api}/runs?environment=prod&run=${encodeURIComponent(runId)}`);
      await page.locator(`[data-testid="runs"] tr[data-run="${runId}"][data-status="succeeded"]`).waitFor();
      await page.locator('[data-testid="selected-run-timeline"] [data-status="succeeded"]').waitFor();
      await screenshot(page, 'runs');
      const dark = await openContext(browser, { colorScheme: 'dark' });
      await dark.page.goto(page.url());
      await dark.page.locator('[data-testid="selected-run-timeline"] [data-status="succeeded"]').waitFor();
      await screenshot(dark.page, 'runs-dark');
      expect(dark.errors).toEqual([]);
      await dark.context.close();
      expect(errors).toEqual([]);
      await context.close();
    } finally {
      await gate.release();
    }
  }, 180_000);

  it('pages through the runs with the API cursor, older and back to newer', async () => {
    const { context, page, errors } = await openContext(browser);
    // the plan's run and the restatement's: two runs that no tick adds to while the test pages
    await page.goto(`${example.api}/runs?environment=prod&trigger=plan,restatement&limit=1`);
    const first = page.locator('[data-testid="runs"] tr[data-run]');
    await first.waitFor();
    const newest = await first.getAttribute('data-run');
    expect(newest).toMatch(/^sluice-run-prod-restatement-/);
    expect(await page.getByRole('button', { name: '← Newer' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.waitForURL(/cursor=/);
    await page.locator(`[data-testid="runs"] tr[data-run]:not([data-run="${newest}"])`).waitFor();
    expect(await page.locator('[data-testid="runs"] tr[data-run]').count()).toBe(1);
    expect(await page.locator('[data-testid="runs"] tr[data-run]').getAttribute('data-run')).toMatch(
      /^sluice-plan-/,
    );
    expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: '← Newer' }).click();
    await page.locator(`[data-testid="runs"] tr[data-run="${newest}"]`).waitFor();
    expect(new URL(page.url()).searchParams.has('cursor')).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('filters by trigger and status through the URL', async () => {
    const { context, page, errors } = await openContext(browser);
    await page.goto(`${example.api}/runs?environment=prod`);
    await page.locator('[data-testid="runs"] tr[data-run]').first().waitFor();
    await page.locator('select[name="trigger"]').selectOption('plan');
    await page.waitForURL(/trigger=plan/);
    await page.locator('[data-testid="runs"] tr[data-run^="sluice-plan-"]').first().waitFor();
    await page
      .locator('[data-testid="runs"] tbody tr')
      .filter({ hasNotText: 'plan' })
      .first()
      .waitFor({ state: 'detached' });
    const triggers = await page.locator('[data-testid="runs"] tbody tr td:nth-child(2)').allTextContents();
    expect(new Set(triggers)).toEqual(new Set(['plan']));
    await page.locator('select[name="status"]').selectOption('failed');
    await page.waitForURL(/status=failed/);
    await page.getByText('No run matches.').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('cancelling from the run page', () => {
  it('cancels a running run: its statement stops on the warehouse and the page shows it cancelled', async () => {
    const gate = await holdGate();
    try {
      const runId = await runGatedModel();
      const { context, page, errors } = await openContext(browser);
      page.on('dialog', (dialog) => void dialog.accept());
      await page.goto(`${example.api}/runs/${runId}`);
      await page.locator('[data-testid="run-status"]').filter({ hasText: 'running' }).waitFor();
      await page.getByTestId('cancel-run').click();
      // the gate stays shut: only the cancellation can end the run
      await page
        .locator('[data-testid="run-status"]')
        .filter({ hasText: 'cancelled' })
        .waitFor({ timeout: 60_000 });
      await page.getByTestId('stream-state').waitFor({ state: 'detached' });
      expect(await page.getByTestId('run-facts').textContent()).toContain('Cancelled by');
      expect(await page.getByTestId('cancel-run').count()).toBe(0);
      // opened right after the run was asked for, the page may have asked before it was recorded
      expect(errors.filter((e) => !e.includes('status of 404'))).toEqual([]);
      await context.close();
    } finally {
      await gate.release();
    }
  }, 120_000);
});

describe('the run page in Firefox', () => {
  it('follows a run live to its end', async () => {
    const gate = await holdGate();
    try {
      const runId = await runGatedModel();
      const page = await firefox.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(`${example.api}/runs/${runId}`);
      await page.waitForSelector('[data-testid="stream-state"][data-state="live"]');
      await page.waitForSelector(`[data-testid="executions"] tr[data-model="${MODEL}"]`);
      await page.evaluate('window.notReloaded = true');
      await gate.open();
      await page.waitForSelector(
        `[data-testid="executions"] tr[data-model="${MODEL}"][data-status="succeeded"]`,
        {
          timeout: 60_000,
        },
      );
      await page.waitForSelector('[data-testid="stream-state"]', { hidden: true });
      expect(await page.$eval('[data-testid="run-status"]', (el) => el.textContent?.trim())).toBe(
        'succeeded',
      );
      expect(await page.evaluate('window.notReloaded')).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      await gate.release();
    }
  }, 120_000);
});
