/** `sluice status <env>` as printed: an over-scheduled model gets a line of its own, saying why and what to change. */
import { describe, expect, it } from 'vitest';
import { workflowView } from '../../api/views/workflow-state.ts';
import type { EnvironmentDetail } from '../../cli/api-client.ts';
import { renderEnvironment } from '../../cli/commands/status.ts';

const model = (name: string, overScheduled: EnvironmentDetail['models'][number]['overScheduled']) => ({
  name,
  snapshotId: `${name}#f`,
  kind: 'INCREMENTAL_BY_TIME_RANGE',
  cron: '* * * * *',
  cronTz: 'UTC',
  intervalUnit: 'minute',
  enabled: true,
  scheduled: true,
  nextRun: '2026-06-01T10:01:00.000Z',
  paused: null,
  blockedReason: null,
  running: true,
  lastExecution: null,
  overScheduled,
  missingIntervals: 2,
});

const message =
  'over-scheduled: its last 5 executions took 92 s on average, longer than its cron period of 60 s ' +
  '(* * * * *); give it a longer cron or larger batches (batch_size)';

const detail: EnvironmentDetail = {
  name: 'prod',
  planId: 'p1',
  createdAt: '2026-06-01T09:00:00.000Z',
  updatedAt: '2026-06-01T09:00:00.000Z',
  finalizedAt: null,
  expiresAt: null,
  modelCount: 2,
  paused: false,
  pausedModels: [],
  pause: null,
  // an environment whose workflow is not running, as the API shows it
  workflow: workflowView({ state: null, failure: null }, 0),
  models: [
    model('shop.slow', { executions: 5, averageMs: 92_000, periodMs: 60_000, message }),
    model('shop.quick', null),
  ],
};

describe('sluice status <env>', () => {
  it('names each over-scheduled model with its figures, and no other', () => {
    const out = renderEnvironment(detail);
    expect(out).toContain(`\nshop.slow is ${message}\n`);
    expect(out).not.toContain('shop.quick is');
  });
});
