/**
 * `sluice ci plan` and `sluice ci close` against `sluice dev` on the quickstart (DuckDB), called the
 * way examples/ci/github-actions.yml calls them, with a deployer token scoped to `pr_*`: a changed
 * project is planned into `pr_7` (views for every model, unchanged ones sharing prod's tables, the
 * backfill of changed ones bounded to the project's recent days), prod is untouched, the summary
 * names every changed model and the audits; a failing blocking audit exits 1, a refused project
 * exits 2; closing removes the environment; the token cannot touch prod.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ciBackfillStart } from '../../../core/ci/backfill-range.ts';
import { type ExampleStack, startExampleStack } from '../../support/example-stack.ts';
import { runSluice } from '../../support/sluice-process.ts';

let example: ExampleStack;
let work: string;

beforeAll(async () => {
  example = await startExampleStack({
    example: 'quickstart',
    tokens: { admin: 'admin', ci: { role: 'deployer', environments: ['pr_*'] } },
  });
  work = mkdtempSync(join(tmpdir(), 'sluice-ci-'));
}, 240_000);

afterAll(async () => {
  await example?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A copy of the example project, changed by `change` (file → new text). */
function changedProject(name: string, change: (read: (file: string) => string) => Record<string, string>) {
  const dir = join(work, name);
  cpSync(example.project, dir, {
    recursive: true,
    filter: (source) => basename(source) !== '.sluice' && !basename(source).startsWith('warehouse.duckdb'),
  });
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  for (const [file, text] of Object.entries(change(read))) writeFileSync(join(dir, file), text);
  return dir;
}

function ci(args: string[], token: string) {
  return runSluice(
    ['ci', ...args, '--url', example.api],
    { SLUICE_TOKEN: token, SLUICE_POLL_MS: '200' },
    {
      timeoutMs: 180_000,
    },
  );
}

async function api(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${example.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

type Models = Array<{ name: string; snapshotId: string }>;

async function snapshots(env: string): Promise<Record<string, string>> {
  const detail = await api('GET', `/api/environments/${env}`, example.tokens.admin!);
  expect(detail.status, JSON.stringify(detail.body)).toBe(200);
  return Object.fromEntries((detail.body.models as Models).map((m) => [m.name, m.snapshotId]));
}

describe('sluice ci against sluice dev (DuckDB)', () => {
  it('plans a changed project into pr_7, leaves prod as it was, summarises it, and closes it', async () => {
    const prodBefore = await snapshots('prod');
    const project = changedProject('pr7', (read) => ({
      'config.yaml': `${read('config.yaml')}\nsluice:\n  ci:\n    backfill_days: 2\n`,
      'models/customer_totals.sql': read('models/customer_totals.sql').replace(
        'MAX(ordered_at) AS last_order_at',
        'MAX(ordered_at) AS last_order_at,\n  MIN(amount) AS smallest_order',
      ),
      'models/recent_orders.sql': [
        'MODEL (',
        '  name shop.recent_orders,',
        '  kind INCREMENTAL_BY_TIME_RANGE (time_column order_day),',
        "  cron '@daily',",
        '  audits (not_null(columns := (order_day)))',
        ');',
        '',
        'SELECT CAST(@start_ds AS DATE) AS order_day, COUNT(*) AS orders FROM shop.raw_orders',
        '',
      ].join('\n'),
    }));

    const before = Date.now();
    const planned = await ci(['plan', '--pr', '7', '--project', project, '--ttl', '7d'], example.tokens.ci!);
    const after = Date.now();
    expect(planned.code, planned.stderr).toBe(0);
    const text = planned.stdout;
    expect(text).toContain('<!-- sluice-ci:pr_7 -->');
    expect(text).toContain('### sluice: pull request #7 → `pr_7` ✅ applied');
    expect(text).toContain('| added (1) | `shop.recent_orders` |');
    expect(text).toContain('`shop.customer_totals`');
    expect(text).toContain('`shop.top_customers`');
    expect(text).toMatch(/\| ✅ \| `shop.customer_totals` \| `assert_positive_amounts` \| yes \| 0 \|/);
    expect(text).toMatch(/\| ✅ \| `shop.recent_orders` \| `not_null` \| yes \| 0 \|/);
    expect(text).toContain(`[Dashboard](${example.api}/environments/pr_7)`);
    expect(text).toMatch(/\[Temporal\]\(http:\/\/[^)]+\/namespaces\/default\/workflows\/sluice-plan-/);

    // the API's summary is the one printed, and names every model the plan changed
    const summary = await api('GET', '/api/ci/pull-requests/7', example.tokens.ci!);
    expect(summary.status).toBe(200);
    expect(summary.body.markdown).toBe(text);
    // the TTL is the environment's expiry, and the comment says it
    expect(summary.body.expiresAt as number).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
    const expires = new Date(summary.body.expiresAt as number).toISOString().slice(0, 10);
    expect(text).toContain(`expires ${expires}`);
    const models = summary.body.models as Record<string, string[]>;
    expect(models.added).toEqual(['shop.recent_orders']);
    expect(models.breaking).toEqual(['shop.customer_totals']);
    expect(models.indirect).toEqual(['shop.top_customers']);
    for (const name of Object.values(models).flat()) expect(text).toContain(`\`${name}\``);

    // the changed models' backfill starts backfill_days before today
    const plan = await api('GET', `/api/plans/${summary.body.planId}`, example.tokens.ci!);
    const diff = plan.body.diff as {
      start: number;
      backfill: Array<{ model: string; intervals: number[][] }>;
    };
    expect(diff.start).toBeGreaterThanOrEqual(ciBackfillStart(before, 2));
    expect(diff.start).toBeLessThanOrEqual(ciBackfillStart(after, 2));
    const recent = diff.backfill.find((b) => b.model === 'shop.recent_orders')!;
    expect(recent.intervals.length).toBeGreaterThan(0);
    for (const [start] of recent.intervals) expect(start).toBeGreaterThanOrEqual(diff.start);

    // every model has a view in pr_7; unchanged ones share prod's snapshot; prod is as it was
    const pr = await snapshots('pr_7');
    expect(Object.keys(pr).sort()).toEqual([...Object.keys(prodBefore), 'shop.recent_orders'].sort());
    expect(pr['shop.raw_orders']).toBe(prodBefore['shop.raw_orders']);
    expect(pr['shop.customer_totals']).not.toBe(prodBefore['shop.customer_totals']);
    expect(await snapshots('prod')).toEqual(prodBefore);
    const query = await runSluice(
      ['fetchdf', 'SELECT smallest_order FROM shop.customer_totals LIMIT 1', '--env', 'pr_7', '--csv'],
      { SLUICE_API_URL: example.api, SLUICE_TOKEN: example.tokens.admin! },
    );
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout.startsWith('smallest_order\r\n')).toBe(true);

    // a second push with nothing new: applied at once, --json
    const again = await ci(['plan', '--pr', '7', '--project', project, '--json'], example.tokens.ci!);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ environment: 'pr_7', outcome: 'applied', exitCode: 0 });

    const closed = await ci(['close', '--pr', '7'], example.tokens.ci!);
    expect(closed.code, closed.stderr).toBe(0);
    expect(closed.stdout).toContain('Deleted pr_7');
    expect((await api('GET', '/api/environments/pr_7', example.tokens.admin!)).status).toBe(404);
    expect(await snapshots('prod')).toEqual(prodBefore);
  }, 300_000);

  it('exits 1 with the failing audit in the summary when a blocking audit finds rows', async () => {
    const project = changedProject('pr8', (read) => ({
      'models/customer_totals.sql': read('models/customer_totals.sql').replace(
        'SUM(amount) AS lifetime_spend',
        '-SUM(amount) AS lifetime_spend',
      ),
    }));
    const planned = await ci(['plan', '--pr', '8', '--project', project], example.tokens.ci!);
    expect(planned.code, planned.stdout + planned.stderr).toBe(1);
    expect(planned.stdout).toContain('### sluice: pull request #8 → `pr_8` ❌ failed');
    expect(planned.stdout).toMatch(
      /\| ❌ \| `shop.customer_totals` \| `assert_positive_amounts` \| yes \| [1-9]\d* \|/,
    );
    expect(planned.stdout).toMatch(
      /\| `shop.customer_totals` \| AUDIT_FAILED: audit "assert_positive_amounts" failed[^|]*offending rows \|/,
    );
    expect(planned.stderr).toContain('pull request 8: plan');
    const closed = await ci(['close', '--pr', '8', '--json'], example.tokens.ci!);
    expect(closed.code, closed.stderr).toBe(0);
    expect(JSON.parse(closed.stdout)).toMatchObject({ environment: 'pr_8', status: 'COMPLETED' });
  }, 300_000);

  it('exits 2 with a rejected summary when the project is invalid or the number is not one', async () => {
    const project = changedProject('pr9', () => ({
      'models/broken.sql': 'MODEL (\n  name shop.broken,\n  kind NOT_A_KIND\n);\n\nSELECT 1\n',
    }));
    const refused = await ci(['plan', '--pr', '9', '--project', project], example.tokens.ci!);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('models/broken.sql:3');
    expect(refused.stdout).toContain('### sluice: pull request #9 → `pr_9` ⛔ rejected');
    expect((await api('GET', '/api/environments/pr_9', example.tokens.admin!)).status).toBe(404);

    const badNumber = await ci(['plan', '--pr', 'seven', '--project', project], example.tokens.ci!);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain(
      '--pr: pull request number must be a whole number from 1 (got "seven")',
    );
  }, 120_000);

  it("gives a pr_* token no hold on prod: plan, pause and delete there are 403s, and prod's state is unchanged", async () => {
    const prodBefore = await snapshots('prod');
    const token = example.tokens.ci!;
    const { loadProjectPayload } = await import('../../../cli/project-payload.ts');
    const plan = await api('POST', '/api/plans', token, {
      environment: 'prod',
      project: loadProjectPayload(example.project),
      autoApply: true,
    });
    expect(plan.status).toBe(403);
    expect((plan.body.error as { message: string }).message).toContain(
      'may act on environments pr_*, not "prod"',
    );
    const deleted = await api('DELETE', '/api/environments/prod', token);
    expect(deleted.status).toBe(403);
    const paused = await api('POST', '/api/environments/prod/pause', token, { reason: 'no' });
    expect(paused.status).toBe(403);
    expect(await snapshots('prod')).toEqual(prodBefore);
  }, 60_000);
});
