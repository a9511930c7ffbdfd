import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditQuery } from '../../../core/project/audit-query.ts';
import { loadProject } from '../../../core/project/load.ts';

const ROOT = path.resolve('test/fixtures/sqlmesh-init-duckdb');
const NOW = Date.parse('2025-06-15T10:00:00Z');

describe('a project written by `sqlmesh init duckdb`', () => {
  const project = loadProject(ROOT, { now: NOW });
  const byName = Object.fromEntries(project.models.map((m) => [m.name, m]));
  const seed = byName['sqlmesh_example.seed_model']!;
  const incremental = byName['sqlmesh_example.incremental_model']!;
  const full = byName['sqlmesh_example.full_model']!;

  it('loads unchanged, models in dependency order', () => {
    expect(project.root).toBe(ROOT);
    expect(project.models.map((m) => m.name)).toEqual([
      'sqlmesh_example.seed_model',
      'sqlmesh_example.incremental_model',
      'sqlmesh_example.full_model',
    ]);
  });

  it('reads the gateway, default gateway and model defaults', () => {
    expect(project.config).toEqual({
      gateways: { duckdb: { connection: { type: 'duckdb', database: 'db.db' } } },
      defaultGateway: 'duckdb',
      modelDefaults: { dialect: 'duckdb', start: '2026-11-24', cron: '@daily' },
    });
  });

  it('reads kinds, crons and interval units', () => {
    expect(seed.kind).toEqual({ name: 'SEED', path: '../seeds/seed_data.csv' });
    expect(incremental.kind).toEqual({
      name: 'INCREMENTAL_BY_TIME_RANGE',
      timeColumn: 'event_date',
      lookback: 0,
    });
    expect(full.kind).toEqual({ name: 'FULL' });
    for (const model of project.models) {
      expect(model.cron).toBe('@daily');
      expect(model.cronTz).toBe('UTC');
      expect(model.intervalUnit).toBe('day');
      expect(model.dialect).toBe('duckdb');
      expect(model.enabled).toBe(true);
      expect(model.gateway).toBeUndefined();
    }
  });

  it('finds the dependencies seed_model -> incremental_model -> full_model in the queries', () => {
    expect(seed.dependsOn).toEqual([]);
    expect(incremental.dependsOn).toEqual(['sqlmesh_example.seed_model']);
    expect(full.dependsOn).toEqual(['sqlmesh_example.incremental_model']);
    for (const model of project.models) expect(model.explicitDependsOn).toEqual([]);
  });

  it('reads grains, columns and audits', () => {
    expect(seed.grains).toEqual(['id', 'event_date']);
    expect(incremental.grains).toEqual(['id', 'event_date']);
    expect(full.grains).toEqual(['item_id']);
    expect(seed.columns).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'item_id', type: 'INTEGER' },
      { name: 'event_date', type: 'DATE' },
    ]);
    expect(full.audits).toEqual([{ name: 'assert_positive_order_ids', args: {} }]);
    expect(project.audits).toEqual({
      assert_positive_order_ids: {
        name: 'assert_positive_order_ids',
        query: 'SELECT *\nFROM @this_model\nWHERE\n  item_id < 0',
        blocking: true,
        defaults: {},
        location: { file: 'audits/assert_positive_order_ids.sql', line: 2 },
      },
    });
    expect(auditQuery(project.audits, full.audits[0]!).query).toBe(
      'SELECT *\nFROM @this_model\nWHERE\n  item_id < 0',
    );
  });

  it('takes the start from the model, else from model_defaults', () => {
    expect(incremental.start).toEqual({ raw: '2020-01-01', ms: Date.parse('2020-01-01T00:00:00Z') });
    expect(seed.start).toEqual({ raw: '2026-11-24', ms: Date.parse('2026-11-24T00:00:00Z') });
    expect(full.start).toEqual({ raw: '2026-11-24', ms: Date.parse('2026-11-24T00:00:00Z') });
    for (const model of project.models) expect(model.end).toBeUndefined();
  });

  it('keeps the queries as written and reads the seed file', () => {
    expect(incremental.query).toBe(
      'SELECT\n  id,\n  item_id,\n  event_date,\nFROM\n  sqlmesh_example.seed_model\nWHERE\n  event_date BETWEEN @start_date AND @end_date',
    );
    expect(seed.query).toBe('');
    expect(seed.seed?.path).toBe('seeds/seed_data.csv');
    expect(seed.seed?.content.split('\n')[0]).toBe('id,item_id,event_date');
    expect(seed.seed?.content.trim().split('\n')).toHaveLength(8);
    expect(full.location).toEqual({ file: 'models/full_model.sql', line: 2 });
  });

  it('notes the linter section and the unit tests it ignores', () => {
    expect(project.notices).toEqual([
      'config.yaml:37: config section linter is ignored by sluice',
      'tests/: SQLMesh unit tests are not run by sluice',
    ]);
  });
});
