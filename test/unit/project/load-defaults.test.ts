import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../core/project/load.ts';
import { useTempProjects } from './temp-project.ts';

const writeProject = useTempProjects();
const NOW = Date.parse('2025-06-15T10:30:00Z');

const config = (defaults: string) => `gateways:
  main:
    connection:
      type: postgres
  side:
    connection:
      type: duckdb
model_defaults:
  dialect: postgres
${defaults}`;

function load(files: Record<string, string>) {
  const project = loadProject(writeProject(files), { now: NOW });
  return { project, model: (name: string) => project.models.find((m) => m.name === name)! };
}

describe("SQLMesh's defaults", () => {
  it('kind VIEW, cron @daily in UTC, interval unit from the cron, enabled, no gateway', () => {
    const { model } = load({
      'config.yaml': config(''),
      'models/a.sql': 'MODEL (name s.a);\nSELECT 1 AS id\n',
    });
    expect(model('s.a')).toMatchObject({
      kind: { name: 'VIEW', materialized: false },
      cron: '@daily',
      cronTz: 'UTC',
      intervalUnit: 'day',
      enabled: true,
      dialect: 'postgres',
      tags: [],
      grains: [],
      columns: [],
      audits: [],
    });
    expect(model('s.a').gateway).toBeUndefined();
    expect(model('s.a').owner).toBeUndefined();
  });

  it('infers the interval unit from the cron', () => {
    const { model } = load({
      'config.yaml': config(''),
      'models/a.sql': "MODEL (name s.a, cron '*/30 * * * *');\nSELECT 1 AS id\n",
      'models/b.sql': "MODEL (name s.b, cron '0 0 1 * *');\nSELECT 1 AS id\n",
      'models/c.sql': "MODEL (name s.c, cron '@hourly', interval_unit 'five_minute');\nSELECT 1 AS id\n",
    });
    expect(model('s.a').intervalUnit).toBe('half_hour');
    expect(model('s.b').intervalUnit).toBe('month');
    expect(model('s.c').intervalUnit).toBe('five_minute');
  });

  it('with no start anywhere: the cron tick before the latest one, or the earliest start of the parents', () => {
    const { model } = load({
      'config.yaml': config(''),
      'models/daily.sql': 'MODEL (name s.daily);\nSELECT 1 AS id\n',
      'models/hourly.sql': "MODEL (name s.hourly, cron '@hourly');\nSELECT 1 AS id\n",
      'models/ny.sql': "MODEL (name s.ny, cron_tz 'America/New_York');\nSELECT 1 AS id\n",
      'models/old.sql': "MODEL (name s.old, start '2020-03-01');\nSELECT 1 AS id\n",
      'models/child.sql': 'MODEL (name s.child);\nSELECT * FROM s.old JOIN s.daily ON TRUE\n',
      'models/grandchild.sql': 'MODEL (name s.grandchild);\nSELECT * FROM s.child\n',
    });
    expect(model('s.daily').start).toEqual({ raw: '', ms: Date.parse('2025-06-14T00:00:00Z') });
    expect(model('s.hourly').start).toEqual({ raw: '', ms: Date.parse('2025-06-15T09:00:00Z') });
    expect(model('s.ny').start).toEqual({ raw: '', ms: Date.parse('2025-06-14T04:00:00Z') });
    expect(model('s.old').start).toEqual({ raw: '2020-03-01', ms: Date.parse('2020-03-01T00:00:00Z') });
    expect(model('s.child').start).toEqual({ raw: '', ms: Date.parse('2020-03-01T00:00:00Z') });
    expect(model('s.grandchild').start).toEqual({ raw: '', ms: Date.parse('2020-03-01T00:00:00Z') });
  });

  it('reads relative starts against now', () => {
    const { model } = load({
      'config.yaml': config(''),
      'models/a.sql': "MODEL (name s.a, start '1 week ago');\nSELECT 1 AS id\n",
    });
    expect(model('s.a').start).toEqual({ raw: '1 week ago', ms: Date.parse('2025-06-08T00:00:00Z') });
  });
});

describe('model_defaults', () => {
  it('apply to every model that does not say otherwise', () => {
    const { model } = load({
      'config.yaml': config(`  kind: INCREMENTAL_BY_TIME_RANGE (time_column ds, batch_size 2)
  cron: '0 3 * * *'
  cron_tz: Europe/Paris
  start: '2023-06-01'
  interval_unit: hour
  owner: team
  enabled: false
  gateway: side
`),
      'models/a.sql': 'MODEL (name s.a);\nSELECT 1 AS id, ds FROM x.y WHERE ds >= @start_ds\n',
      'models/b.sql': `MODEL (
  name s.b,
  kind FULL,
  cron '@hourly',
  cron_tz 'UTC',
  start '2024-01-01',
  interval_unit 'hour',
  owner 'other',
  enabled true,
  gateway main,
  dialect duckdb
);
SELECT 1 AS id
`,
    });
    expect(model('s.a')).toMatchObject({
      kind: { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'ds', batchSize: 2, lookback: 0 },
      cron: '0 3 * * *',
      cronTz: 'Europe/Paris',
      start: { raw: '2023-06-01', ms: Date.parse('2023-06-01T00:00:00Z') },
      intervalUnit: 'hour',
      owner: 'team',
      enabled: false,
      gateway: 'side',
      dialect: 'postgres',
    });
    expect(model('s.b')).toMatchObject({
      kind: { name: 'FULL' },
      cron: '@hourly',
      cronTz: 'UTC',
      start: { raw: '2024-01-01' },
      intervalUnit: 'hour',
      owner: 'other',
      enabled: true,
      gateway: 'main',
      dialect: 'duckdb',
    });
  });
});

describe('notices', () => {
  it('name kind parameters and properties sluice ignores, with their lines', () => {
    const { project } = load({
      'config.yaml': config(''),
      'models/a.sql': `MODEL (
  name s.a,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds,
    partition_by_time_column false,
    on_destructive_change allow
  ),
  storage_format parquet,
  column_descriptions (id = 'the id'),
  stamp 'v2'
);
SELECT 1 AS id, ds FROM x.y WHERE ds >= @start_ds
`,
    });
    expect(project.notices).toEqual([
      'models/a.sql:8: property storage_format is ignored by sluice',
      'models/a.sql:9: property column_descriptions is ignored by sluice',
      'models/a.sql:10: property stamp is ignored by sluice',
      'models/a.sql:5: kind parameter partition_by_time_column is ignored by sluice',
      'models/a.sql:6: kind parameter on_destructive_change is ignored by sluice',
    ]);
  });
});

describe('header values', () => {
  it('accept quoted identifiers, strings for names, single values for lists, and both audit argument forms', () => {
    const { model, project } = load({
      'config.yaml': config(''),
      'audits/a.sql':
        'AUDIT (name at_least, defaults (n := 1));\nSELECT 1 FROM @this_model HAVING COUNT(*) < @n\n',
      'models/a.sql': `MODEL (
  name "Sales"."Orders",
  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key "Order Id"),
  owner "Jane",
  tags finance,
  grain ("Order Id", region),
  columns ("Order Id" INT, region TEXT),
  audits at_least(n = 5),
  depends_on s.b
);
SELECT 1 AS "Order Id", 'eu' AS region
`,
      'models/b.sql': 'MODEL (name s.b);\nSELECT 1 AS id\n',
    });
    const orders = model('Sales.Orders');
    expect(orders).toMatchObject({
      name: 'Sales.Orders',
      schema: 'Sales',
      table: 'Orders',
      kind: { name: 'INCREMENTAL_BY_UNIQUE_KEY', uniqueKey: ['"Order Id"'], lookback: 0 },
      owner: 'Jane',
      tags: ['finance'],
      grains: ['"Order Id"', 'region'],
      columns: [
        { name: 'Order Id', type: 'INT' },
        { name: 'region', type: 'TEXT' },
      ],
      audits: [{ name: 'at_least', args: { n: '5' } }],
      dependsOn: ['s.b'],
      explicitDependsOn: ['s.b'],
    });
    expect(project.audits.at_least?.defaults).toEqual({ n: '1' });
  });
});
