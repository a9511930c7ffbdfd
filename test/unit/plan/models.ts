import type { Model, ModelKind } from '../../../core/project/types.ts';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export const t = (iso: string): number => Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);

export interface ModelSpec {
  kind?: ModelKind;
  query?: string;
  dependsOn?: string[];
  start?: string;
  end?: string;
  cron?: string;
  owner?: string;
  intervalUnit?: Model['intervalUnit'];
}

export function incremental(batchSize?: number, lookback = 0): ModelKind {
  return {
    name: 'INCREMENTAL_BY_TIME_RANGE',
    timeColumn: 'ds',
    lookback,
    ...(batchSize === undefined ? {} : { batchSize }),
  };
}

/** A model as the loader would return it, with the fields a plan reads. */
export function model(name: string, spec: ModelSpec = {}): Model {
  const [schema, table] = name.split('.') as [string, string];
  const start = spec.start ?? '2024-01-01';
  return {
    name,
    schema,
    table,
    kind: spec.kind ?? { name: 'FULL' },
    dialect: 'duckdb',
    cron: spec.cron ?? '@daily',
    cronTz: 'UTC',
    intervalUnit: spec.intervalUnit ?? 'day',
    start: { raw: start, ms: t(start) },
    ...(spec.end ? { end: { raw: spec.end, ms: t(spec.end) } } : {}),
    dependsOn: spec.dependsOn ?? [],
    explicitDependsOn: [],
    grains: [],
    columns: [],
    audits: [],
    ...(spec.owner ? { owner: spec.owner } : {}),
    tags: [],
    enabled: true,
    query: spec.query ?? `SELECT 1 AS ${table}`,
    ...(spec.kind?.name === 'SEED' ? { seed: { path: spec.kind.path, content: 'a\n1\n' } } : {}),
    location: { file: `models/${table}.sql`, line: 1 },
  };
}
