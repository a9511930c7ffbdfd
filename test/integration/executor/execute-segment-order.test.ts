/**
 * executeSegment with many batches on a real DuckDB engine: dependency order within the thread
 * budget, a failed model ending its downstream but not the independent models, a retried attempt
 * resuming after the batches the previous one heartbeated, and a cancellation stopping the
 * statement that runs.
 */
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  BatchResult,
  ExecutorActivities,
  SegmentProgress,
  SegmentReport,
  SegmentWork,
} from '../../../activities/contracts.ts';
import { createExecutorActivities } from '../../../activities/executor/index.ts';
import { buildExecution } from '../../../core/execution/statements.ts';
import { physicalTable } from '../../../core/naming.ts';
import { waitUntil } from '../../support/waiting.ts';
import { testModel } from '../../unit/execution/model.ts';
import {
  activityEnvironment,
  type ExecutorGateways,
  openExecutorGateways,
  rejection,
} from './executor-gateways.ts';

const IDENTITY = 'run@segment-host:7';
const CHAIN = ['shop.a', 'shop.b', 'shop.c', 'shop.d', 'shop.e'];

let gateways: ExecutorGateways;
let activities: ExecutorActivities;

beforeAll(async () => {
  gateways = await openExecutorGateways('exec_segment');
  activities = createExecutorActivities({ pool: gateways.pool, identity: IDENTITY, role: 'run' });
  // as a plan's createPhysicalTables would have: two DuckDB transactions creating the same schema at
  // once conflict (a retryable failure), which is not what these tests are about
  await gateways.pool.get('local').runInTransaction([{ sql: 'CREATE SCHEMA sluice__shop' }]);
});

afterAll(async () => {
  await gateways?.close();
});

const table = (model: string, run: string) => physicalTable(model, `${run}${model.slice(-1)}`);

/** A FULL model's batch on the DuckDB gateway that runs `query`. */
function batch(
  model: string,
  run: string,
  query: string,
  dependsOn: string[] = [],
): SegmentWork['batches'][number] {
  const fingerprint = `${run}${model.slice(-1)}`;
  return {
    executionId: `${run}-${model}`,
    gateway: 'local',
    model,
    interval: null,
    request: buildExecution({ model: testModel(model, { name: 'FULL' }, query), fingerprint, query }),
    dependsOn,
  };
}

/**
 * The chain a -> b -> ... -> e, each reading its upstream's table (so a batch run before its
 * upstream fails), plus shop.x, which depends on nothing; `broken` models select a missing table.
 */
function chainSegment(run: string, broken: string[] = [], threads = 2): SegmentWork {
  const chain = CHAIN.map((model, index) => {
    const upstream = CHAIN[index - 1];
    const query = broken.includes(model)
      ? 'SELECT id FROM raw_missing.nothing'
      : upstream === undefined
        ? 'SELECT 1 AS id'
        : `SELECT id + 1 AS id FROM ${table(upstream, run).qualified}`;
    return batch(model, run, query, upstream === undefined ? [] : [upstream]);
  });
  return {
    segmentId: `segment-${run}`,
    gateway: 'local',
    threads,
    batches: [...chain, batch('shop.x', run, 'SELECT 42 AS id')],
  };
}

const ids = (results: BatchResult[]) => results.map((result) => result.executionId);
const duck = () => gateways.pool.get('local');

describe('executeSegment on DuckDB', () => {
  it('runs a chain in dependency order next to an independent model, two at a time', async () => {
    const { env, heartbeats } = activityEnvironment();
    const report = (await env.run(activities.executeSegment, chainSegment('ord'))) as SegmentReport;
    expect(report.executor).toBe(IDENTITY);
    expect(report.results.every((result) => result.status === 'succeeded')).toBe(true);
    const order = ids(report.results);
    expect(order.filter((id) => id !== 'ord-shop.x')).toEqual(CHAIN.map((model) => `ord-${model}`));
    expect(order).toContain('ord-shop.x');
    expect(Number(await duck().queryScalar(`SELECT id FROM ${table('shop.e', 'ord').qualified}`))).toBe(5);
    // never more than the two threads running in any heartbeat
    for (const beat of heartbeats) expect((beat as SegmentProgress).running.length).toBeLessThanOrEqual(2);
    expect(heartbeats.some((beat) => (beat as SegmentProgress).running.length === 2)).toBe(true);
  });

  it('reports the failed middle model and runs nothing downstream of it, but runs the independent model', async () => {
    const { env } = activityEnvironment();
    const report = (await env.run(
      activities.executeSegment,
      chainSegment('mid', ['shop.c']),
    )) as SegmentReport;
    const status = Object.fromEntries(report.results.map((result) => [result.model, result.status]));
    expect(status).toEqual({
      'shop.a': 'succeeded',
      'shop.b': 'succeeded',
      'shop.c': 'failed',
      'shop.x': 'succeeded',
    });
    const failure = report.results.find((result) => result.model === 'shop.c');
    expect(failure).toMatchObject({ status: 'failed', type: 'SQL_ERROR', attempt: 1, executor: IDENTITY });
    expect((failure as { message: string }).message).toMatch(/raw_missing/);
    for (const model of ['shop.d', 'shop.e']) {
      const physical = table(model, 'mid');
      expect(await duck().tableExists(physical.schema, physical.table)).toBe(false);
    }
  });

  it('resumes a retried attempt after the batches the previous one finished', async () => {
    // a and b ended in the previous attempt; running them again would fail (their SQL is broken now)
    const work = chainSegment('res', ['shop.a', 'shop.b']);
    const earlier = await (async () => {
      const first = (await activityEnvironment().env.run(
        activities.executeSegment,
        chainSegment('res'),
      )) as SegmentReport;
      return first.results.filter((result) => result.model === 'shop.a' || result.model === 'shop.b');
    })();
    const previous: SegmentProgress = {
      executor: 'run@other-host:1',
      results: earlier,
      running: ['res-shop.c'],
    };
    const env = new MockActivityEnvironment(
      { attempt: 2, heartbeatDetails: previous },
      { logger: new DefaultLogger('ERROR') },
    );
    const report = (await env.run(activities.executeSegment, work)) as SegmentReport;
    expect(report.results.slice(0, 2)).toEqual(earlier);
    expect(report.results.every((result) => result.status === 'succeeded')).toBe(true);
    expect(ids(report.results).sort()).toEqual([...CHAIN, 'shop.x'].map((model) => `res-${model}`).sort());
    const rerun = report.results.filter(
      (result) => result.status === 'succeeded' && result.report.attempt === 2,
    );
    expect(rerun.map((result) => result.model).sort()).toEqual(['shop.c', 'shop.d', 'shop.e', 'shop.x']);
  });

  it('ignores a heartbeat detail that is not a segment progress and runs everything', async () => {
    const env = new MockActivityEnvironment(
      { attempt: 2, heartbeatDetails: { executor: IDENTITY, model: 'shop.a', phase: 'statement' } },
      { logger: new DefaultLogger('ERROR') },
    );
    const report = (await env.run(activities.executeSegment, chainSegment('bad'))) as SegmentReport;
    expect(report.results).toHaveLength(6);
  });

  it('stops the running statement when cancelled, starts nothing more and carries the progress', async () => {
    const slow =
      'SELECT count(*) AS id FROM range(100000000000) a, range(1000) b WHERE a.range + b.range = 7';
    const work: SegmentWork = {
      segmentId: 'segment-cancel',
      gateway: 'local',
      threads: 1,
      batches: [
        batch('shop.a', 'can', 'SELECT 1 AS id'),
        batch('shop.b', 'can', slow, ['shop.a']),
        batch('shop.c', 'can', `SELECT id FROM ${table('shop.b', 'can').qualified}`, ['shop.b']),
      ],
    };
    const { env, heartbeats } = activityEnvironment();
    const running = env.run(activities.executeSegment, work);
    await waitUntil(async () =>
      heartbeats.some((beat) => (beat as SegmentProgress).running?.includes('can-shop.b')),
    );
    env.cancel();
    const error = await rejection(running);
    expect(error).toBeInstanceOf(CancelledFailure);
    const progress = (error as CancelledFailure).details[0] as SegmentProgress;
    expect(ids(progress.results)).toEqual(['can-shop.a']);
    expect(progress.running).toEqual([]);
    const physical = table('shop.c', 'can');
    expect(await duck().tableExists(physical.schema, physical.table)).toBe(false);
  });
});
