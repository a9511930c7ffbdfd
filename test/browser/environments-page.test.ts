/**
 * The dashboard's front page in Chromium against `sluice dev` on the DuckDB quickstart: the example's
 * environment with its models and next tick, the executors serving it, links that change the page
 * without a reload and survive one, both colour schemes, and a lost API shown as lost; and the same
 * pages in Firefox.
 */
import type { Browser } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openContext, screenshot } from '../support/browser.ts';
import { type ExampleStack, startExampleStack } from '../support/example-stack.ts';
import { launchFirefox } from '../support/firefox.ts';

let example: ExampleStack;
let browser: Browser;
let firefox: FirefoxBrowser;

beforeAll(async () => {
  [example, browser, firefox] = await Promise.all([
    startExampleStack({ example: 'quickstart' }),
    launchBrowser(),
    launchFirefox(),
  ]);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await firefox?.close();
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
      // the environment's workflow, in the dev server's own Web UI
      const temporal = await row.locator('a.temporal-link').getAttribute('href');
      expect(temporal).toBe(`${example.stack.urls.ui}/namespaces/default/workflows/sluice-env-prod`);
      // "in 40 s", or "1 s ago" in the moment between the tick and the workflow's next sleep
      expect(await row.getByTestId('next-tick').textContent()).toMatch(
        /^(in .+|.+ ago) for .*minute_heartbeat/,
      );
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

describe('the dashboard in Firefox', () => {
  it('draws the environments and executors pages, and moves between them', async () => {
    const page = await firefox.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${example.api}/`);
    await page.waitForSelector('[data-environment="prod"]');
    const cells = await page.$$eval('[data-environment="prod"] td', (tds) => tds.map((td) => td.textContent));
    expect(cells[0]).toMatch(/^prod/);
    expect(cells[2]).toBe('5');
    await page.click('a[href="/executors"]');
    await page.waitForSelector('[data-testid="executors"] tbody tr');
    expect(page.url()).toBe(`${example.api}/executors`);
    expect(errors).toEqual([]);
    await page.close();
  });
});
