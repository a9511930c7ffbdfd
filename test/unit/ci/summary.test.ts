import { describe, expect, it } from 'vitest';
import { AuditFailedError } from '../../../activities/execution/audit-failed-error.ts';
import { ciCommentMarker, ciMarkdown } from '../../../core/ci/markdown.ts';
import { type CiPlanInput, type CiSummaryInput, ciSummary, failedAuditOf } from '../../../core/ci/summary.ts';

const START = Date.parse('2026-12-04T00:00:00Z');

function plan(overrides: Partial<CiPlanInput> = {}): CiPlanInput {
  return {
    id: 'p1',
    status: 'applied',
    error: null,
    diff: {
      base: 'prod',
      start: START,
      added: ['shop.new_model'],
      removed: ['shop.old_model'],
      directlyModified: ['shop.customer_totals'],
      indirectlyModified: ['shop.top_customers'],
      metadataOnly: ['shop.daily_orders'],
      backfill: [
        { model: 'shop.customer_totals', execution: 'single', intervals: [[1, 2]] },
        {
          model: 'shop.new_model',
          execution: 'batched',
          intervals: [
            [1, 2],
            [2, 3],
            [3, 4],
          ],
        },
      ],
    },
    backfillProgress: { models: { done: 2, total: 2 }, batches: { done: 4, total: 4 } },
    ...overrides,
  };
}

function input(overrides: Partial<CiSummaryInput> = {}): CiSummaryInput {
  return {
    pullRequest: 7,
    environment: 'pr_7',
    plan: plan(),
    audits: [
      { model: 'shop.new_model', name: 'not_null', blocking: true, failingRows: 0 },
      { model: 'shop.new_model', name: 'not_null', blocking: true, failingRows: 0 },
      { model: 'shop.customer_totals', name: 'positive', blocking: false, failingRows: 2 },
    ],
    links: {
      dashboard: 'https://sluice.example.com/environments/pr_7',
      temporal: 'http://localhost:8233/namespaces/default/workflows/sluice-plan-p1',
    },
    ...overrides,
  };
}

describe('ciSummary', () => {
  it('names every change, the backfill and each audit summed over its batches; applied exits 0', () => {
    const summary = ciSummary(input());
    expect(summary).toMatchObject({
      pullRequest: 7,
      environment: 'pr_7',
      planId: 'p1',
      outcome: 'applied',
      exitCode: 0,
      base: 'prod',
      models: {
        added: ['shop.new_model'],
        breaking: ['shop.customer_totals'],
        indirect: ['shop.top_customers'],
        nonBreaking: ['shop.daily_orders'],
        removed: ['shop.old_model'],
      },
      backfill: {
        start: START,
        models: [
          { model: 'shop.customer_totals', batches: 1 },
          { model: 'shop.new_model', batches: 3 },
        ],
      },
      blockingAuditFailures: 0,
    });
    expect(summary.audits).toEqual([
      { model: 'shop.customer_totals', name: 'positive', blocking: false, failingRows: 2, runs: 1 },
      { model: 'shop.new_model', name: 'not_null', blocking: true, failingRows: 0, runs: 2 },
    ]);
  });

  it('exits 1 when the plan failed, or when a blocking audit found rows', () => {
    const failed = ciSummary(
      input({
        plan: plan({ status: 'failed', error: 'model shop.customer_totals failed' }),
        failures: [
          { model: 'shop.customer_totals', error: 'audit "positive" failed: 3 offending rows' },
          { model: 'shop.customer_totals', error: 'again' },
        ],
      }),
    );
    expect(failed.outcome).toBe('failed');
    expect(failed.exitCode).toBe(1);
    expect(failed.error).toBe('model shop.customer_totals failed');
    expect(failed.failures).toEqual([
      { model: 'shop.customer_totals', error: 'audit "positive" failed: 3 offending rows' },
    ]);
    for (const status of ['cancelled', 'terminated'] as const) {
      expect(ciSummary(input({ plan: plan({ status }) })).exitCode).toBe(1);
    }
    const blocking = ciSummary(
      input({ audits: [{ model: 'shop.x', name: 'unique_values', blocking: true, failingRows: 1 }] }),
    );
    expect(blocking).toMatchObject({ outcome: 'failed', exitCode: 1, blockingAuditFailures: 1 });
  });

  it("counts a blocking audit's rows from the executor's AUDIT_FAILED error, and only from it", () => {
    const error = new AuditFailedError('assert_positive_amounts', 'shop.customer_totals', 5);
    const message = `shop.customer_totals [2026-12-04 00:00, 2026-12-07 16:00): ${error.code}: ${error.message}`;
    expect(failedAuditOf(message)).toEqual({
      model: 'shop.customer_totals',
      name: 'assert_positive_amounts',
      blocking: true,
      failingRows: 5,
    });
    expect(failedAuditOf('Binder Error: column x not found')).toBeNull();
    expect(failedAuditOf(null)).toBeNull();
    const summary = ciSummary(
      input({
        plan: plan({ status: 'failed' }),
        failures: [{ model: 'shop.customer_totals', error: message }],
      }),
    );
    expect(summary.audits).toContainEqual({
      model: 'shop.customer_totals',
      name: 'assert_positive_amounts',
      blocking: true,
      failingRows: 5,
      runs: 1,
    });
    expect(summary).toMatchObject({ blockingAuditFailures: 1, outcome: 'failed', exitCode: 1 });
  });

  it('exits 2 when the plan was rejected or refused before it was stored', () => {
    expect(ciSummary(input({ plan: plan({ status: 'rejected', error: 'stale' }) }))).toMatchObject({
      outcome: 'rejected',
      exitCode: 2,
      error: 'stale',
    });
    const refused = ciSummary(input({ plan: null, refusal: 'project is not valid', audits: [] }));
    expect(refused).toMatchObject({
      outcome: 'rejected',
      exitCode: 2,
      planId: null,
      error: 'project is not valid',
    });
  });

  it('has no exit code while the plan is queued or applying', () => {
    for (const status of ['pending', 'queued', 'applying'] as const) {
      expect(ciSummary(input({ plan: plan({ status }) }))).toMatchObject({
        outcome: 'in_progress',
        exitCode: null,
      });
    }
  });
});

describe('ciMarkdown', () => {
  it('words the summary as a pull request comment with a marker, tables and links', () => {
    const text = ciMarkdown(ciSummary(input({ expiresAt: Date.parse('2026-12-14T00:00:00Z') })));
    expect(text.split('\n')[0]).toBe(ciCommentMarker('pr_7'));
    expect(text).toContain('### sluice: pull request #7 → `pr_7` ✅ applied');
    expect(text).toContain('**Models** (against `prod`)');
    expect(text).toContain('| added (1) | `shop.new_model` |');
    expect(text).toContain('| directly modified (breaking) (1) | `shop.customer_totals` |');
    expect(text).toContain('| indirectly modified (1) | `shop.top_customers` |');
    expect(text).toContain('| metadata only (non-breaking) (1) | `shop.daily_orders` |');
    expect(text).toContain('| removed (1) | `shop.old_model` |');
    expect(text).toContain('**Backfill** from 2026-12-04: 2 models, 4 of 4 batches done');
    expect(text).toContain('| `shop.new_model` | 3 |');
    expect(text).toContain('| ⚠️ | `shop.customer_totals` | `positive` | no | 2 |');
    expect(text).toContain('| ✅ | `shop.new_model` | `not_null` | yes | 0 |');
    expect(text).toContain('[Dashboard](https://sluice.example.com/environments/pr_7)');
    expect(text).toContain('[Temporal](http://localhost:8233/namespaces/default/workflows/sluice-plan-p1)');
    expect(text).toContain('expires 2026-12-14');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('keeps an error with pipes and newlines on one quoted line, and lists failures', () => {
    const text = ciMarkdown(
      ciSummary(
        input({
          plan: plan({ status: 'failed', error: 'a | b\nc' }),
          failures: [{ model: 'shop.customer_totals', error: 'x | y' }],
        }),
      ),
    );
    expect(text).toContain('❌ failed');
    expect(text).toContain('> a \\| b c');
    expect(text).toContain('| `shop.customer_totals` | x \\| y |');
  });

  it('says a refused request is rejected, with why and no plan sections', () => {
    const text = ciMarkdown(ciSummary({ pullRequest: 9, environment: 'pr_9', plan: null, refusal: 'nope' }));
    expect(text).toContain('⛔ rejected');
    expect(text).toContain('> nope');
    expect(text).not.toContain('**Models**');
    expect(text).not.toContain('**Backfill**');
  });

  it('says when nothing changed and nothing was backfilled', () => {
    const text = ciMarkdown(
      ciSummary(
        input({
          plan: plan({
            diff: {
              ...plan().diff,
              added: [],
              removed: [],
              directlyModified: [],
              indirectlyModified: [],
              metadataOnly: [],
              backfill: [],
            },
          }),
          audits: [],
        }),
      ),
    );
    expect(text).toContain('No model changes against `prod`');
    expect(text).toContain('**Backfill**: none');
  });
});
