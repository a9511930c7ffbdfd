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
