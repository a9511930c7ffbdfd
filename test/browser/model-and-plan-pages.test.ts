/**
 * The model, plans and plan pages in Chromium against `sluice dev` on the PostgreSQL quickstart,
 * with one model added that divides by the number of orders: once the plan has applied, the orders
 * are deleted from the warehouse, its next scheduled run fails, and its page shows the error. The
 * plans page lists the stack's plan as applied and the plan page shows its diff.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openContext, screenshot } from '../support/browser.ts';
import { type ExampleStack, startExampleStack } from '../support/example-stack.ts';
import { waitFor } from '../support/waiting.ts';

const FRAGILE = 'shop.order_share';

let example: ExampleStack;
let browser: Browser;

beforeAll(async () => {
  [example, browser] = await Promise.all([
    startExampleStack({
      example: 'quickstart-postgres',
      prepare: (project) =>
        writeFileSync(
          join(project, 'models', 'order_share.sql'),
          `MODEL (
  name ${FRAGILE},
  kind FULL,
  cron '* * * * *',
  description 'A hundred divided by the number of orders: fails when there are none'
);

SELECT COUNT(*) AS orders, 100 / COUNT(*) AS per_hundred
FROM shop.raw_orders
`,
        ),
    }),
    launchBrowser(),
  ]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

describe('the model page', () => {
  it("shows a failed model's error, its coverage and its definition", async () => {
    const warehouse = postgres(example.warehouseUrl!, { max: 1, onnotice: () => {} });
    try {
      await warehouse.unsafe('delete from shop.raw_orders');
    } finally {
      await warehouse.end();
    }
    const executions = `${example.api}/api/models/${FRAGILE}/executions?environment=prod&status=failed`;
    const failed = await waitFor(
      `a failed execution of ${FRAGILE}`,
      async () => {
        const page = (await (await fetch(executions)).json()) as {
          items: Array<{ id: string; error: string }>;
        };
        return page.items[0];
      },
      150_000,
    );
    expect(failed.error).toMatch(/division by zero/);

    const { context, page, errors } = await openContext(browser);
    await page.goto(`${example.api}/environments/prod/models/${FRAGILE}`);
    const row = page.locator(`[data-execution="${failed.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('failed');
    expect(await row.getByTestId('execution-error').textContent()).toMatch(/division by zero/);
    expect(await page.title()).toBe(`${FRAGILE} in prod · sluice`);
    expect(await page.getByTestId('model-query').textContent()).toContain('100 / COUNT(*)');
    // the plan built it once: complete from its start, then failed or missing since the failure
    const segments = await page
      .locator('[data-testid="coverage"] .coverage-bar > span')
      .evaluateAll((spans) => spans.map((span) => span.getAttribute('data-status')));
    expect(segments[0]).toBe('complete');
    expect(segments.slice(1)).toContain('failed');
    expect(
      await page.locator('[data-testid="model-environments"] [data-environment="prod"]').textContent(),
    ).toContain('this one');
    await screenshot(page, 'model');
    expect(errors).toEqual([]);
    await context.close();
  }, 200_000);
});

describe('the plans pages', () => {
  it("lists the stack's plan as applied, and its page shows the diff and backfill", async () => {
    const planId = example.stack.plan!.planId;
    const { context, page, errors } = await openContext(browser);
    await page.goto(`${example.api}/plans?environment=prod`);
    const row = page.locator(`[data-plan="${planId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('applied');
    expect(await row.getByTestId('backfill-progress').textContent()).toMatch(
      /^(\d+)\/\1 models, (\d+)\/\2 batches$/,
    );
    await screenshot(page, 'plans');

    await row.getByRole('link', { name: planId.slice(0, 8) }).click();
    const summary = page.getByTestId('plan-summary');
    await summary.waitFor();
    expect(page.url()).toBe(`${example.api}/plans/${planId}`);
    const text = await summary.textContent();
    expect(text).toContain('`prod` environment will be initialized');
    expect(text).toMatch(/MODEL\s+CHANGE\s+BACKFILL BATCHES/);
    expect(text).toMatch(new RegExp(`${FRAGILE.replace('.', '\\.')}\\s+added\\s+1 \\(single\\)`));
    expect(await page.getByTestId('plan-backfill').textContent()).toContain('shop.daily_orders');
    const temporal = page.locator('a.temporal-link');
    expect(await temporal.getAttribute('href')).toMatch(new RegExp(`/workflows/sluice-plan-${planId}$`));
    await screenshot(page, 'plan');
    expect(errors).toEqual([]);
    await context.close();
  });
});
