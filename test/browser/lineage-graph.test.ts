/**
 * The lineage graph in Chromium against `sluice dev` on a generated 200-model project (the DuckDB
 * quickstart's settings, its models replaced): every model drawn once, as many edges as the project
 * has dependencies, each model coloured by its state, its name on hover, its page a click away, in
 * both colour schemes; and the same graph in Firefox.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Browser as FirefoxBrowser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openContext, screenshot } from '../support/browser.ts';
import { type ExampleStack, startExampleStack } from '../support/example-stack.ts';
import { launchFirefox } from '../support/firefox.ts';
import {
  type GeneratedModel,
  generatedModels,
  writeGeneratedModels,
} from '../support/generated-environment.ts';

const MODELS: GeneratedModel[] = generatedModels(200);
const EDGES = MODELS.reduce((sum, m) => sum + m.parents.length, 0);

let example: ExampleStack;
let browser: Browser;
let firefox: FirefoxBrowser;

beforeAll(async () => {
  [example, browser, firefox] = await Promise.all([
    startExampleStack({
      example: 'quickstart',
      prepare: (project) => {
        for (const folder of ['models', 'seeds', 'audits'])
          rmSync(join(project, folder), { recursive: true, force: true });
        writeGeneratedModels(join(project, 'models'), MODELS);
      },
    }),
    launchBrowser(),
    launchFirefox(),
  ]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await firefox?.close();
  await example?.stop();
});

describe('the lineage graph', () => {
  it('draws every model of a 200-model project and every edge between them, in both themes', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const { context, page, errors } = await openContext(browser, { colorScheme });
      await page.goto(`${example.api}/environments/prod/lineage`);
      const graph = page.locator('[data-testid="lineage-graph"][data-drawn]');
      await graph.waitFor();
      const drawn = await page
        .locator('[data-model]')
        .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-model')));
      expect(drawn.sort()).toEqual(MODELS.map((m) => m.name).sort());
      expect(await page.locator('path.lineage-edge').count()).toBe(EDGES);
      expect(EDGES).toBeGreaterThan(300);
      // each edge as the project declares it
      const edges = await page
        .locator('path.lineage-edge')
        .evaluateAll((paths) =>
          paths.map((p) => `${p.getAttribute('data-from')} ${p.getAttribute('data-to')}`),
        );
      expect(edges.sort()).toEqual(MODELS.flatMap((m) => m.parents.map((p) => `${p} ${m.name}`)).sort());
      // the plan built every model, so none is left uncoloured as never ran
      const standings = await page
        .locator('[data-model]')
        .evaluateAll((nodes) => [...new Set(nodes.map((n) => n.getAttribute('class')))]);
      expect(
        standings.every((c) => /^lineage-node standing-(succeeded|running|blocked|failed)$/.test(c ?? '')),
      ).toBe(true);
      const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
      expect(background).toBe(colorScheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)');
      await screenshot(page, colorScheme === 'dark' ? 'lineage-dark' : 'lineage');
      expect(errors).toEqual([]);
      await context.close();
    }
  });

  it('finds a model by name, shows its name on hover and opens its page on a click', async () => {
    const { context, page, errors } = await openContext(browser);
    // a model named in the page's URL is centred and ringed once drawn
    await page.goto(`${example.api}/environments/prod/lineage?model=${encodeURIComponent(MODELS[0]!.name)}`);
    await page.locator('[data-testid="lineage-graph"][data-drawn]').waitFor();
    expect(await page.locator(`[data-model="${MODELS[0]!.name}"]`).getAttribute('class')).toContain(
      'lineage-found',
    );
    const target = MODELS[MODELS.length - 1]!.name;
    const box = page.locator(`[data-model="${target}"]`);
    // found by name: centred in the view at full size, and ringed
    await page.getByLabel('Find a model').fill(target);
    await page.getByRole('button', { name: 'Find' }).click();
    const view = (await page.locator('.lineage-viewport').boundingBox())!;
    const found = (await box.boundingBox())!;
    expect(Math.abs(found.x + found.width / 2 - (view.x + view.width / 2))).toBeLessThan(2);
    expect(Math.abs(found.y + found.height / 2 - (view.y + view.height / 2))).toBeLessThan(2);
    expect(await page.locator('.lineage-svg > g').getAttribute('transform')).toMatch(/ scale\(1\)$/);
    expect(await box.getAttribute('class')).toContain('lineage-found');
    await page.getByLabel('Find a model').fill('reports.nothing');
    await page.getByRole('button', { name: 'Find' }).click();
    expect(await page.getByTestId('lineage-hovered').textContent()).toBe('no model reports.nothing here');
    await box.hover();
    expect(await page.getByTestId('lineage-hovered').textContent()).toMatch(
      new RegExp(`^${target.replace('.', '\\.')} · `),
    );
    expect(await box.locator('title').textContent()).toContain(target);
    await box.click();
    await page.waitForURL(`${example.api}/environments/prod/models/${encodeURIComponent(target)}`);
    // the model's own page, with its query as written
    await page.getByTestId('model-query').waitFor();
    expect(await page.locator('h1').textContent()).toBe(`prod / ${target}`);
    expect(await page.getByTestId('model-query').textContent()).toContain(
      `FROM ${MODELS[MODELS.length - 1]!.parents[0]}`,
    );
    // and back to its place in the graph
    await page.getByRole('link', { name: 'in the lineage' }).click();
    await page.waitForURL(`${example.api}/environments/prod/lineage?model=${encodeURIComponent(target)}`);
    await page.locator('[data-testid="lineage-graph"][data-drawn]').waitFor();
    expect(await box.getAttribute('class')).toContain('lineage-found');
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe("a 200-model environment's page", () => {
  it('draws its models 100 at a time, and all of them on request', async () => {
    const { context, page, errors } = await openContext(browser);
    await page.goto(`${example.api}/environments/prod`);
    const more = page.getByTestId('more-models');
    await more.waitFor();
    expect(await page.locator('[data-testid="models"] tbody tr').count()).toBe(100);
    expect(await more.textContent()).toMatch(/^Showing 100 of 200 models\. Show 100 more/);
    await more.getByRole('button', { name: 'Show all' }).click();
    await more.waitFor({ state: 'detached' });
    const names = await page
      .locator('[data-testid="models"] tbody tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-model')));
    expect(names.sort()).toEqual(MODELS.map((m) => m.name).sort());
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('the lineage graph in Firefox', () => {
  it('draws every model and edge, and opens a model on a click', async () => {
    const page = await firefox.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    await page.goto(`${example.api}/environments/prod/lineage`);
    await page.waitForSelector('[data-testid="lineage-graph"][data-drawn]');
    expect(await page.$$eval('[data-model]', (nodes) => nodes.length)).toBe(MODELS.length);
    expect(await page.$$eval('path.lineage-edge', (paths) => paths.length)).toBe(EDGES);
    const target = MODELS[0]!.name;
    await page.click(`[data-model="${target}"] rect`);
    await page.waitForFunction(
      `location.pathname === ${JSON.stringify(`/environments/prod/models/${target}`)}`,
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
