import { describe, expect, it } from 'vitest';
import { colorsWanted, palette } from '../../../cli/dev-output/colors.ts';
import { formatDevEvent } from '../../../cli/dev-output/format.ts';
import { shows, type Verbosity } from '../../../cli/dev-output/verbosity.ts';
import type { DevEvent, PlanStep, RunSummary } from '../../../workers/dev-activity.ts';

const AT = new Date(2026, 0, 2, 9, 5, 7).getTime();
const plain = palette(false);
const ESC = '\u001b[';

function run(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    id: 'sluice-run-prod-1',
    environment: 'prod',
    trigger: 'schedule',
    status: 'running',
    models: ['shop.minute_heartbeat'],
    planId: null,
    durationMs: null,
    rows: null,
    failure: null,
    skipReason: null,
    ...overrides,
  };
}

function plan(overrides: Partial<PlanStep> = {}): PlanStep {
  return {
    id: 'p1',
    environment: 'prod',
    step: 'queued',
    progress: null,
    durationMs: null,
    error: null,
    failedRun: null,
    ...overrides,
  };
}

describe("sluice dev's lines", () => {
  it('a run start names the environment, trigger and models, by name when few', () => {
    expect(formatDevEvent({ kind: 'run-started', at: AT, run: run() }, plain)).toBe(
      '09:05:07 ▶ prod schedule run started: 1 model (shop.minute_heartbeat) [sluice-run-prod-1]',
    );
    const many = run({ models: ['a.a', 'a.b', 'a.c', 'a.d'], trigger: 'manual' });
    expect(formatDevEvent({ kind: 'run-started', at: AT, run: many }, plain)).toBe(
      '09:05:07 ▶ prod manual run started: 4 models [sluice-run-prod-1]',
    );
  });

  it('a run end gives its duration and rows, a failure its model, error and the command that shows more', () => {
    const done = run({ status: 'succeeded', durationMs: 1234, rows: 12_345, models: ['a.a', 'a.b'] });
    expect(formatDevEvent({ kind: 'run-finished', at: AT, run: done }, plain)).toBe(
      '09:05:07 ✓ prod schedule run succeeded in 1.2 s: 2 models (a.a, a.b), 12,345 rows [sluice-run-prod-1]',
    );
    const failed = run({
      status: 'failed',
      durationMs: 420,
      failure: { model: 'shop.orders', error: 'Binder Error:\n  column "x" not found' },
    });
    expect(formatDevEvent({ kind: 'run-finished', at: AT, run: failed }, plain)).toBe(
      '09:05:07 ✗ prod schedule run failed in 420 ms: shop.orders: Binder Error: column "x" not found (sluice logs sluice-run-prod-1)',
    );
    const long = run({ status: 'failed', failure: { model: null, error: 'x'.repeat(500) } });
    const line = formatDevEvent({ kind: 'run-finished', at: AT, run: long }, plain);
    expect(line).toContain(`: ${'x'.repeat(199)}… (sluice logs sluice-run-prod-1)`);
    expect(line.split('\n')).toHaveLength(1);
    const skipped = run({ status: 'skipped', skipReason: 'environment paused' });
    expect(formatDevEvent({ kind: 'run-finished', at: AT, run: skipped }, plain)).toBe(
      '09:05:07 ○ prod schedule run skipped: environment paused [sluice-run-prod-1]',
    );
  });

  it('a plan step is one line; a failed plan points at its failed backfill run', () => {
    const line = (step: PlanStep) => formatDevEvent({ kind: 'plan-step', at: AT, plan: step }, plain);
    expect(line(plan())).toBe('09:05:07 • prod plan p1 queued');
    expect(line(plan({ step: 'applying' }))).toBe('09:05:07 • prod plan p1 applying');
    expect(line(plan({ step: 'backfill', progress: { done: 12, total: 40 } }))).toBe(
      '09:05:07 • prod plan p1 backfill 12/40 batches',
    );
    expect(line(plan({ step: 'applied', durationMs: 65_000 }))).toBe(
      '09:05:07 ✓ prod plan p1 applied in 1 min 5 s',
    );
    expect(
      line(plan({ step: 'failed', error: 'backfill failed: shop.orders', failedRun: 'sluice-plan-p1' })),
    ).toBe('09:05:07 ✗ prod plan p1 failed: backfill failed: shop.orders (sluice logs sluice-plan-p1)');
    expect(line(plan({ step: 'failed', error: 'the environment changed' }))).toBe(
      '09:05:07 ✗ prod plan p1 failed: the environment changed (sluice runs --environment prod)',
    );
  });

  it('a model execution (--verbose) gives its interval, outcome, time, rows and executor', () => {
    const event: DevEvent = {
      kind: 'execution-finished',
      at: AT,
      environment: 'prod',
      execution: {
        id: 'e1',
        runId: 'r1',
        model: 'shop.minute_heartbeat',
        status: 'succeeded',
        attempt: 2,
        executor: 'run@host:1',
        intervalStartMs: Date.UTC(2026, 0, 2, 8, 0),
        intervalEndMs: Date.UTC(2026, 0, 2, 8, 1),
        finishedAt: null,
        durationMs: 37,
        rowsAffected: 1,
        error: null,
      },
    };
    expect(formatDevEvent(event, plain)).toBe(
      '09:05:07 · prod   shop.minute_heartbeat [2026-01-02 08:00, 2026-01-02 08:01) succeeded in 37 ms, 1 row, attempt 2 on run@host:1',
    );
  });

  it('colours only when asked: escapes around marks, none in plain lines', () => {
    const event: DevEvent = { kind: 'run-finished', at: AT, run: run({ status: 'failed', failure: null }) };
    const coloured = formatDevEvent(event, palette(true));
    expect(coloured).toContain(`${ESC}31m✗${ESC}39m`);
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(formatDevEvent(event, plain));
    expect(formatDevEvent(event, plain)).not.toContain(ESC);
  });

  it('wants colours on a terminal unless NO_COLOR is set to something', () => {
    expect(colorsWanted({ isTTY: true }, {})).toBe(true);
    expect(colorsWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorsWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorsWanted({ isTTY: false }, {})).toBe(false);
    expect(colorsWanted({}, {})).toBe(false);
  });

  it('--quiet keeps failures and errors, the default adds runs and plans, --verbose executions', () => {
    const events: Record<string, DevEvent> = {
      started: { kind: 'run-started', at: AT, run: run() },
      succeeded: { kind: 'run-finished', at: AT, run: run({ status: 'succeeded' }) },
      failed: { kind: 'run-finished', at: AT, run: run({ status: 'failed' }) },
      queued: { kind: 'plan-step', at: AT, plan: plan() },
      planFailed: { kind: 'plan-step', at: AT, plan: plan({ step: 'failed' }) },
      execution: {
        kind: 'execution-finished',
        at: AT,
        environment: 'prod',
        execution: {
          id: 'e',
          runId: 'r',
          model: 'm.m',
          status: 'succeeded',
          attempt: 1,
          executor: null,
          intervalStartMs: null,
          intervalEndMs: null,
          finishedAt: null,
          durationMs: null,
          rowsAffected: null,
          error: null,
        },
      },
      unreadable: { kind: 'watch-failed', at: AT, error: 'connection refused' },
    };
    const shown = (verbosity: Verbosity) =>
      Object.entries(events)
        .filter(([, event]) => shows(event, verbosity))
        .map(([name]) => name);
    expect(shown('quiet')).toEqual(['failed', 'planFailed', 'unreadable']);
    expect(shown('normal')).toEqual(['started', 'succeeded', 'failed', 'queued', 'planFailed', 'unreadable']);
    expect(shown('verbose')).toEqual(Object.keys(events));
  });
});
