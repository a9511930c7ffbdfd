/** The environment page's model table: what its filters keep, how each column sorts, and its URL. */
import { describe, expect, it } from 'vitest';
import {
  type ModelRow,
  type ModelView,
  modelViewQuery,
  readModelView,
  statusOf,
  viewModels,
} from '../../../web/client/model-rows.ts';

function model(name: string, over: Partial<ModelRow> = {}): ModelRow {
  return {
    name,
    snapshotId: `snap-${name}`,
    kind: 'FULL',
    cron: '@daily',
    cronTz: 'UTC',
    intervalUnit: 'day',
    enabled: true,
    scheduled: true,
    nextRun: null,
    paused: null,
    blockedReason: null,
    running: false,
    lastExecution: null,
    missingIntervals: null,
    ...over,
  } as ModelRow;
}

function execution(status: string, durationMs: number | null) {
  return {
    executionId: 'e',
    runId: 'r',
    status,
    queuedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: null,
    durationMs,
    error: null,
  };
}

const VIEW: ModelView = { q: '', kind: '', status: '', paused: '', sort: 'name', desc: false };
const names = (rows: ModelRow[]) => rows.map((m) => m.name);

const MODELS = [
  model('shop.orders', {
    kind: 'INCREMENTAL_BY_TIME_RANGE',
    lastExecution: execution('succeeded', 40),
    missingIntervals: 3,
  }),
  model('shop.customers', {
    lastExecution: execution('failed', 5),
    nextRun: '2026-01-02T00:00:00.000Z',
    missingIntervals: 0,
  }),
  model('shop.heartbeat', {
    kind: 'INCREMENTAL_BY_TIME_RANGE',
    running: true,
    nextRun: '2026-01-01T00:01:00.000Z',
    paused: { reason: 'late data', actor: 'ops', at: '2026-01-01T00:00:00.000Z' },
  }),
  model('shop.totals', {
    blockedReason: 'upstream shop.heartbeat is paused',
    lastExecution: execution('succeeded', 900),
  }),
];

describe('the model table', () => {
  it('filters by a name substring (any case), kind, status and pause', () => {
    expect(names(viewModels(MODELS, { ...VIEW, q: 'ORDERS' }))).toEqual(['shop.orders']);
    expect(names(viewModels(MODELS, { ...VIEW, kind: 'INCREMENTAL_BY_TIME_RANGE' }))).toEqual([
      'shop.heartbeat',
      'shop.orders',
    ]);
    expect(names(viewModels(MODELS, { ...VIEW, status: 'running' }))).toEqual(['shop.heartbeat']);
    expect(names(viewModels(MODELS, { ...VIEW, status: 'failed' }))).toEqual(['shop.customers']);
    expect(names(viewModels(MODELS, { ...VIEW, paused: 'yes' }))).toEqual(['shop.heartbeat', 'shop.totals']);
    expect(names(viewModels(MODELS, { ...VIEW, paused: 'no' }))).toEqual(['shop.customers', 'shop.orders']);
  });

  it('says running before the last status, and never ran without one', () => {
    expect(MODELS.map(statusOf)).toEqual(['succeeded', 'failed', 'running', 'succeeded']);
    expect(statusOf(model('new'))).toBe('never ran');
  });

  it('sorts by a column either way, models without a value last, ties by name', () => {
    expect(names(viewModels(MODELS, { ...VIEW, sort: 'duration' }))).toEqual([
      'shop.customers',
      'shop.orders',
      'shop.totals',
      'shop.heartbeat',
    ]);
    expect(names(viewModels(MODELS, { ...VIEW, sort: 'duration', desc: true }))).toEqual([
      'shop.totals',
      'shop.orders',
      'shop.customers',
      'shop.heartbeat',
    ]);
    expect(names(viewModels(MODELS, { ...VIEW, sort: 'next' }))).toEqual([
      'shop.heartbeat',
      'shop.customers',
      'shop.orders',
      'shop.totals',
    ]);
    expect(names(viewModels(MODELS, { ...VIEW, sort: 'missing', desc: true }))).toEqual([
      'shop.orders',
      'shop.customers',
      'shop.heartbeat',
      'shop.totals',
    ]);
    expect(names(viewModels(MODELS, { ...VIEW, sort: 'paused' }))).toEqual([
      'shop.heartbeat',
      'shop.totals',
      'shop.customers',
      'shop.orders',
    ]);
    expect(names(viewModels(MODELS, { ...VIEW, desc: true }))).toEqual([
      'shop.totals',
      'shop.orders',
      'shop.heartbeat',
      'shop.customers',
    ]);
  });

  it('keeps the view in the URL, leaving the defaults out, and reads an unknown column as the name', () => {
    const view: ModelView = {
      q: 'ord',
      kind: 'FULL',
      status: 'failed',
      paused: 'yes',
      sort: 'duration',
      desc: true,
    };
    const query = modelViewQuery(view);
    expect(query).toBe('?q=ord&kind=FULL&status=failed&paused=yes&sort=duration&dir=desc');
    expect(readModelView(new URLSearchParams(query))).toEqual(view);
    expect(modelViewQuery(VIEW)).toBe('');
    expect(readModelView(new URLSearchParams('sort=drop+table'))).toEqual(VIEW);
  });
});
