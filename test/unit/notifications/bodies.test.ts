/** The events a run's or plan's end makes, with their keys and bodies. */
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../../core/environment/run-report.ts';
import { planEndEvents, runEndEvents, stuckEvent, testEvent } from '../../../core/notifications/bodies.ts';
import { notificationLinks } from '../../../core/notifications/links.ts';

const AT = Date.parse('2026-06-01T10:00:00Z');

function report(status: RunReport['status']): RunReport {
  return {
    runId: 'prod-run-1',
    environment: 'prod',
    trigger: 'schedule',
    status,
    scheduledAt: AT,
    startedAt: AT + 1_000,
    finishedAt: AT + 5_000,
    models: {
      'b.totals': {
        status: status === 'failed' ? 'skipped' : 'succeeded',
        reason: 'upstream a.staged failed',
        batches: 0,
        rowsAffected: 0,
        finishedAt: AT + 5_000,
      },
      'a.staged':
        status === 'failed'
          ? {
              status: 'failed',
              error: 'relation "raw.src" does not exist',
              batches: 1,
              rowsAffected: 0,
              finishedAt: AT + 4_000,
            }
          : { status: 'succeeded', batches: 1, rowsAffected: 3, finishedAt: AT + 4_000 },
    },
  };
}

describe('run events', () => {
  it('a failed run makes run.failed with its models, errors and links', () => {
    const links = notificationLinks(
      { api: 'https://sluice.example.com/', temporalUi: 'http://localhost:8233', namespace: 'default' },
      { kind: 'run', id: 'prod-run-1', workflowId: 'prod-run-1' },
    );
    const [event, ...rest] = runEndEvents(report('failed'), null, [], links);
    expect(rest).toEqual([]);
    expect(event).toEqual({
      type: 'run.failed',
      key: 'run:prod-run-1:failed',
      body: {
        type: 'run.failed',
        environment: 'prod',
        runId: 'prod-run-1',
        planId: null,
        status: 'failed',
        models: [
          { name: 'a.staged', status: 'failed', error: 'relation "raw.src" does not exist' },
          { name: 'b.totals', status: 'skipped', error: 'upstream a.staged failed' },
        ],
        error: 'a.staged: relation "raw.src" does not exist',
        occurredAt: '2026-06-01T10:00:05.000Z',
        links: {
          api: 'https://sluice.example.com/api/runs/prod-run-1',
          temporal: 'http://localhost:8233/namespaces/default/workflows/prod-run-1',
        },
      },
    });
  });

  it('a success is a recovery only after a failed run', () => {
    expect(runEndEvents(report('succeeded'), 'failed', [], {}).map((e) => e.type)).toEqual(['run.recovered']);
    expect(runEndEvents(report('succeeded'), 'succeeded', [], {})).toEqual([]);
    expect(runEndEvents(report('succeeded'), null, [], {})).toEqual([]);
    expect(runEndEvents(report('cancelled'), 'failed', [], {})).toEqual([]);
  });

  it('an over-scheduled model is keyed by its version, so it is reported once per snapshot', () => {
    const [event] = runEndEvents(
      report('succeeded'),
      null,
      [
        {
          name: 'a.staged',
          status: 'succeeded',
          averageMs: 90_000,
          periodMs: 60_000,
          snapshotId: 'snap1',
          message: 'over-scheduled: its last 3 executions took 90 s on average',
        },
      ],
      {},
    );
    expect(event!.type).toBe('model.over_scheduled');
    expect(event!.key).toBe('over_scheduled:prod:a.staged:snap1');
    expect(event!.body.models).toEqual([
      { name: 'a.staged', status: 'succeeded', averageMs: 90_000, periodMs: 60_000 },
    ]);
    expect(event!.body.error).toBe('a.staged is over-scheduled: its last 3 executions took 90 s on average');
  });
});

describe('plan, stuck and test events', () => {
  it('an applied or failed plan makes one event; a cancelled one none', () => {
    const applied = planEndEvents({ planId: 'p1', environment: 'dev', status: 'applied', at: AT }, {});
    expect(applied).toEqual([expect.objectContaining({ type: 'plan.applied', key: 'plan:p1:applied' })]);
    expect(applied[0]!.body).toMatchObject({ planId: 'p1', runId: null, status: 'applied', error: null });
    const failed = planEndEvents(
      { planId: 'p2', environment: 'dev', status: 'failed', error: 'backfill failed', at: AT },
      {},
    );
    expect(failed[0]!.body).toMatchObject({ type: 'plan.failed', error: 'backfill failed' });
    expect(planEndEvents({ planId: 'p3', environment: 'dev', status: 'cancelled', at: AT }, {})).toEqual([]);
  });

  it('stuck work is keyed by its workflow id', () => {
    const event = stuckEvent(
      'prod',
      {
        kind: 'run',
        id: 'r1',
        workflowId: 'r1',
        startedAt: AT,
        limitMs: 3_600_000,
        runningForMs: 4_000_000,
        models: ['a.b'],
      },
      AT + 4_000_000,
      {},
    );
    expect(event.key).toBe('stuck:r1');
    expect(event.body).toMatchObject({
      type: 'run.stuck',
      runId: 'r1',
      status: 'running',
      runningForMs: 4_000_000,
      limitMs: 3_600_000,
      models: [{ name: 'a.b', status: 'running' }],
    });
    expect(event.body.error).toBe('run r1 has been running for 67 min, longer than its limit of 60 min');
  });

  it('a test event names no run', () => {
    expect(testEvent('pr_*', AT).body).toMatchObject({
      type: 'test',
      environment: 'pr_*',
      runId: null,
      planId: null,
    });
  });
});
