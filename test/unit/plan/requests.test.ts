import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintProject } from '../../../core/fingerprint.ts';
import { physicalTable } from '../../../core/naming.ts';
import { diffProject, snapshotIdOf } from '../../../core/plan/diff.ts';
import {
  batchRequest,
  checkProjectMatchesDiff,
  creationRequests,
  executionIntervals,
  fingerprintOf,
  planIndex,
  planTables,
} from '../../../core/plan/requests.ts';
import type { CurrentSnapshots } from '../../../core/plan/types.ts';
import type { Model, Project } from '../../../core/project/types.ts';
import { incremental, model, t } from './models.ts';

const NOW = t('2024-01-05T06:00:00Z');

function projectOf(models: Model[]): Project {
  return {
    root: '/project',
    config: {
      gateways: { wh: { connection: { type: 'duckdb', database: ':memory:' } } },
      defaultGateway: 'wh',
      modelDefaults: {},
    },
    models,
    audits: {},
    notices: [],
  };
}

const base = [
  model('raw.orders', {
    kind: incremental(2),
    query: 'SELECT * FROM ext.orders WHERE ds BETWEEN @start_ds AND @end_ds',
  }),
  model('mart.helper', { kind: { name: 'EMBEDDED' }, query: 'SELECT 2 AS factor' }),
  model('mart.revenue', {
    query: 'SELECT sum(amount) * (SELECT factor FROM mart.helper) AS revenue FROM raw.orders',
    dependsOn: ['raw.orders', 'mart.helper'],
  }),
];

function mapOf(models: Model[]): CurrentSnapshots {
  const fingerprints = fingerprintProject(models, {});
  return Object.fromEntries(
    models.map((m) => {
      const f = fingerprints[m.name]!;
      return [m.name, { snapshotId: snapshotIdOf(m.name, f.fingerprint), ...f }];
    }),
  );
}

function plan(models: Model[], current: CurrentSnapshots = {}, environment = 'prod') {
  return diffProject({
    environment,
    models,
    fingerprints: fingerprintProject(models, {}),
    current,
    completed: {},
    now: NOW,
  });
}

describe('plan requests', () => {
  it('resolve every model to the physical table of its snapshot in the new map', () => {
    const changed = base.map((m) =>
      m.name === 'raw.orders' ? { ...m, query: `${m.query} AND amount > 0` } : m,
    );
    const project = projectOf(changed);
    const diff = plan(changed, mapOf(base), 'dev');
    const tables = planTables(project, diff);
    expect(Object.keys(tables).sort()).toEqual(['mart.revenue', 'raw.orders']);
    const newOrders = physicalTable('raw.orders', fingerprintOf(diff.snapshotMap['raw.orders']!)).qualified;
    const oldOrders = physicalTable('raw.orders', mapOf(base)['raw.orders']!.fingerprint).qualified;
    expect(tables['raw.orders']).toBe(newOrders);
    expect(newOrders).not.toBe(oldOrders);

    const revenue = diff.backfill.find((entry) => entry.model === 'mart.revenue')!;
    const prepared = batchRequest(project, diff, revenue, executionIntervals(revenue)[0]!);
    expect(prepared.gateway).toBe('wh');
    expect(prepared.renderedSql).toContain(`FROM ${newOrders}`);
    expect(prepared.renderedSql).not.toContain(oldOrders);
    expect(prepared.renderedSql).toContain('(SELECT factor FROM (\nSELECT 2 AS factor\n) AS "helper")');
    expect(prepared.request.physical).toEqual({
      schema: 'sluice__mart',
      table: `mart__revenue__${fingerprintOf(diff.snapshotMap['mart.revenue']!)}`,
    });
  });

  it('give each batch its interval and a single execution the span of its intervals', () => {
    const project = projectOf(base);
    const diff = plan(base);
    const orders = diff.backfill[0]!;
    expect(executionIntervals(orders)).toEqual([
      [t('2024-01-01'), t('2024-01-03')],
      [t('2024-01-03'), t('2024-01-05')],
    ]);
    const prepared = batchRequest(project, diff, orders, [t('2024-01-03'), t('2024-01-05')]);
    expect(prepared.renderedSql).toContain("BETWEEN '2024-01-03' AND '2024-01-04'");
    expect(
      executionIntervals({
        ...diff.backfill[1]!,
        intervals: [
          [1, 2],
          [3, 4],
        ],
      }),
    ).toEqual([[1, 4]]);
    expect(executionIntervals({ ...diff.backfill[1]!, intervals: [] })).toEqual([null]);
  });

  it('create the tables of new snapshots only, in dependency order, never for embedded models', () => {
    const project = projectOf(base);
    expect(creationRequests(project, plan(base)).map((p) => p.request.model)).toEqual([
      'raw.orders',
      'mart.revenue',
    ]);
    expect(creationRequests(project, plan(base, mapOf(base)))).toEqual([]);
  });

  it('refuse a project that is not the one the plan was computed from', () => {
    const diff = plan(base);
    expect(() => checkProjectMatchesDiff(projectOf(base), diff)).not.toThrow();
    const edited = base.map((m) => (m.name === 'mart.revenue' ? { ...m, query: 'SELECT 1 AS revenue' } : m));
    expect(() => checkProjectMatchesDiff(projectOf(edited), diff)).toThrow(
      /^model mart\.revenue changed since the plan was computed \(plan has mart\.revenue@\w+, project has mart\.revenue@\w+\): compute the plan again$/,
    );
    expect(() => checkProjectMatchesDiff(projectOf(base.slice(0, 2)), diff)).toThrow(
      'the plan maps model mart.revenue, which the project does not define',
    );
    expect(() => checkProjectMatchesDiff(projectOf([...base, model('mart.extra')]), diff)).toThrow(
      'the project defines mart.extra, which the plan does not map',
    );
    expect(() => fingerprintOf('nofingerprint')).toThrow(
      'snapshot id "nofingerprint" must look like <model name>@<fingerprint>',
    );
  });
});

/** A project of `size` models, each reading up to two earlier ones, some incremental, one embedded. */
function generated(size: number, seed: number[]): Model[] {
  return Array.from({ length: size }, (_, i) => {
    const parents =
      i === 0 ? [] : [...new Set([seed[i % seed.length]! % i, seed[(i * 7) % seed.length]! % i])];
    const reads = parents.map((p) => `db.m${p}`);
    const from = reads.length === 0 ? 'ext.source' : reads.join(' CROSS JOIN ');
    if (i === 1)
      return model(`db.m${i}`, { kind: { name: 'EMBEDDED' }, query: `SELECT 1 AS x FROM ${from}` });
    return model(`db.m${i}`, {
      ...(i % 3 === 0 ? { kind: incremental(1) } : {}),
      query: `SELECT * FROM ${from}${i % 3 === 0 ? ' WHERE ds BETWEEN @start_ds AND @end_ds' : ''}`,
      dependsOn: reads,
    });
  });
}

describe('plan requests over the plan index worked out once', () => {
  it('index the plan: its tables, its models with their places, new snapshots and backfill entries', () => {
    const project = projectOf(base);
    const diff = plan(base);
    const index = planIndex(project, diff);
    expect(index.tables).toEqual(planTables(project, diff));
    expect([...index.models.keys()]).toEqual(base.map((m) => m.name));
    expect(index.models.get('mart.revenue')).toBe(base[2]);
    expect([...index.positions]).toEqual(base.map((m, i) => [m.name, i]));
    expect([...index.fresh].sort()).toEqual(diff.newSnapshots.map((s) => s.snapshotId).sort());
    expect(index.backfill.get(diff.snapshotMap['raw.orders']!)?.model).toBe('raw.orders');
  });

  it('render every batch as without the index, and refuse a model the project does not define', () => {
    const project = projectOf(base);
    const diff = plan(base);
    const index = planIndex(project, diff);
    for (const entry of diff.backfill) {
      for (const interval of executionIntervals(entry)) {
        expect(batchRequest(project, diff, entry, interval, index)).toEqual(
          batchRequest(project, diff, entry, interval),
        );
      }
    }
    expect(() =>
      batchRequest(project, diff, { model: 'mart.gone', snapshotId: 'mart.gone@x' }, null, index),
    ).toThrow('the plan names model mart.gone, which the project does not define');
  });

  it('create the tables of the named models as the whole plan does, in the project order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 30 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        (size, seed, picked, unknown) => {
          const models = generated(size, seed);
          const project = projectOf(models);
          const diff = plan(models);
          const index = planIndex(project, diff);
          const only = new Set([
            ...picked.map((p) => `db.m${p % size}`),
            ...(unknown ? ['db.not_in_project'] : []),
          ]);
          const all = creationRequests(project, diff);
          const expected = all.filter((p) => only.has(p.request.model));
          expect(creationRequests(project, diff, only, index)).toEqual(expected);
          expect(creationRequests(project, diff, only)).toEqual(expected);
          expect(creationRequests(project, diff, undefined, index)).toEqual(all);
        },
      ),
      { numRuns: 50 },
    );
  });
});
