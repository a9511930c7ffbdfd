/**
 * The dashboard's front page in Chromium against `sluice dev` on the DuckDB quickstart: the example's
 * environment with its models and next tick, the executors serving it, links that change the page
 * without a reload and survive one, both colour schemes, and a lost API shown as lost.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openContext, screenshot } from '../support/browser.ts';
import { type ExampleStack, startExampleStack } from '../support/example-stack.ts';

let example: ExampleStack;
let browser: Browser;

beforeAll(async () => {
  [example, browser] = await Promise.all([startExampleStack({ example: 'quickstart' }), launchBrowser()]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await example?.stop();
});

describe('the environments page', () => {
  it("shows the example's environment with its models and next tick, in both themes", async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { context, page, errors } = await openContext(browser, { colorScheme });
      await page.goto(`${example.api}/`);
      const row = page.locator('[data-environment="prod"]');
      await row.waitFor();
      const cells = row.locator('td');
      expect(await cells.nth(2).textContent()).toBe('5');
      await expect
        .poll(() => row.getByTestId('next-tick').textContent())
        .toMatch(/^in .+ for .*minute_heartbeat/);
      expect(await page.getByTestId('freshness').textContent()).toMatch(/^Updated /);
      const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
      expect(background).toBe(colorScheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)');
      await screenshot(page, colorScheme === 'dark' ? 'environments-dark' : 'environments');
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  it('moves between pages without a reload, and a page reloads at its own URL', async () => {
    const { context, page, errors } = await openContext(browser);
    await page.goto(`${example.api}/environments`);
    await page.locator('[data-environment="prod"]').waitFor();
    // a value kept in the page's window: still there after a click only if the page did not reload
    await page.evaluate('window.marker = 1');
    await page.getByRole('link', { name: 'Executors' }).click();
    await page.getByTestId('executors').waitFor();
    expect(page.url()).toBe(`${example.api}/executors`);
    expect(await page.evaluate('window.marker')).toBe(1);
    const roles = await page.locator('[data-testid="executors"] tbody td:nth-child(2)').allTextContents();
    expect(roles.sort()).toEqual(['apply', 'run']);
    await screenshot(page, 'executors');
    await page.reload();
    await page.getByTestId('executors').waitFor();
    expect(await page.title()).toBe('Executors · sluice');
    await page.goBack();
    await page.locator('[data-environment="prod"]').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says when the API is lost instead of showing stale figures as current', async () => {
    const { context, page } = await openContext(browser);
    await page.goto(`${example.api}/environments`);
    await page.locator('[data-environment="prod"]').waitFor();
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    const banner = page.getByTestId('connection-lost');
    await banner.waitFor({ timeout: 20_000 });
    expect(await banner.textContent()).toMatch(/Connection to the sluice API lost/);
    expect(await page.getByTestId('freshness').textContent()).toMatch(
      /^Could not refresh: .*showing data from/,
    );
    await page.unroute('**/api/**');
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    await context.close();
  });
});
