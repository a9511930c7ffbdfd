/**
 * Dashboard drawing time: in Debian's Chromium (playwright-core), the time from asking for a page
 * until it is drawn, for a generated 200- and 2,000-model environment: the environments page (its
 * row of the environment), the environment page (its models) and the lineage graph (every model
 * laid out and drawn: the graph's `data-drawn`). Against a real API over a state DB holding the
 * environments (planned through the real plan steps, with a history of executions) and a Temporal
 * dev server, as `sluice api` serves them. Targets: a page under 1 s, the lineage graph under 3 s.
 *
 *   npx tsx bench/dashboard-render.ts [runs]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startApiServer } from '../api/server.ts';
import { createStateDb } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { launchBrowser } from '../test/support/browser.ts';
import { generatedProject, seedGeneratedEnvironment } from '../test/support/generated-environment.ts';
import { withTemporalExecutable } from '../workers/temporal-binaries.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.ts';
import { percentile } from './support/stack.ts';

const RUNS = Number(process.argv[2] ?? 5);
const SIZES = [200, 2_000];

interface Target {
  name: string;
  path: (env: string) => string;
  /** what the page shows once drawn. */
  drawn: (env: string) => string;
  targetMs: number;
}

const TARGETS: Target[] = [
  {
    name: 'environments page',
    path: () => '/environments',
    drawn: (env) => `[data-environment="${env}"]`,
    targetMs: 1_000,
  },
  {
    name: 'environment page',
    path: (env) => `/environments/${env}`,
    // the models table's rows (the first 100 by name)
    drawn: () => '[data-testid="models"] tbody tr[data-model]',
    targetMs: 1_000,
  },
  {
    name: 'lineage graph',
    path: (env) => `/environments/${env}/lineage`,
    drawn: () => '[data-testid="lineage-graph"][data-drawn]',
    targetMs: 3_000,
  },
];

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-dashboard-'));
const temporal = await withTemporalExecutable('temporal', (executable) =>
  TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      searchAttributes: SLUICE_SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
    },
  }),
);
const state = createStateDb({ url: process.env.SLUICE_DATABASE_URL ?? 'memory://' });
try {
  await migrate(state.db);
  for (const size of SIZES) {
    const started = Date.now();
    const { project, models } = generatedProject(join(dir, `p${size}`), size);
    await seedGeneratedEnvironment(state.db, { project, models, environment: `p${size}`, now: Date.now() });
    const edges = models.reduce((sum, m) => sum + m.parents.length, 0);
    console.log(`environment p${size}: ${size} models, ${edges} edges, seeded in ${Date.now() - started} ms`);
  }
  const api = await startApiServer({
    db: state.db,
    client: temporal.client,
    host: '127.0.0.1',
    port: 0,
    auth: 'off',
    log: () => {},
  });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    // the first request bundles the dashboard from the sources: not part of what is measured
    const warm = await context.newPage();
    await warm.goto(`${api.url}/environments`);
    await warm.locator('[data-environment]').first().waitFor({ timeout: 60_000 });
    await warm.close();

    console.log(`\nthe lineage route's answer, from this process (${RUNS} requests each):`);
    for (const size of SIZES) {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const t0 = performance.now();
        const response = await fetch(`${api.url}/api/environments/p${size}/lineage`);
        await response.json();
        times.push(performance.now() - t0);
      }
      console.log(`  ${size} models: median ${Math.round(percentile(times, 50))} ms`);
    }
    console.log(`\nChromium ${browser.version()}, ${RUNS} runs each, from navigation to drawn:`);
    for (const size of SIZES) {
      const env = `p${size}`;
      for (const target of TARGETS) {
        const times: number[] = [];
        let missing: string | null = null;
        for (let run = 0; run < RUNS && missing === null; run++) {
          const page = await context.newPage();
          const t0 = performance.now();
          await page.goto(`${api.url}${target.path(env)}`);
          try {
            // a page this build does not have yet answers "Nothing at ...": said, not waited for
            const shown = page
              .locator(target.drawn(env))
              .or(page.getByRole('heading', { name: /^Nothing at / }));
            await shown.first().waitFor({ timeout: 30_000 });
            if (await page.locator(target.drawn(env)).count()) times.push(performance.now() - t0);
            else missing = 'no such page in this build';
          } catch {
            missing = 'not drawn within 30 s';
          }
          await page.close();
        }
        const label = `${target.name}, ${size} models`.padEnd(32);
        if (missing !== null) {
          console.log(`  ${label} ${missing}`);
          continue;
        }
        const median = percentile(times, 50);
        console.log(
          `  ${label} min ${Math.round(Math.min(...times))} ms  median ${Math.round(median)} ms  max ${Math.round(Math.max(...times))} ms` +
            `   target ${target.targetMs} ms: ${(median / target.targetMs).toFixed(2)}x of it, ${median < target.targetMs ? 'met' : 'NOT met'}`,
        );
      }
    }
    await context.close();
  } finally {
    await browser.close();
    await api.close();
  }
} finally {
  await state.close();
  await temporal.teardown();
  rmSync(dir, { recursive: true, force: true });
}
