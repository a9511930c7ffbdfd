import type { Model, ModelKind } from '../../../core/project/types.ts';

/** A model as the loader would return it, with only what a test cares about given. */
export function testModel(name: string, kind: ModelKind, query: string, extra: Partial<Model> = {}): Model {
  const [schema = '', table = ''] = name.split('.');
  return {
    name,
    schema,
    table,
    kind,
    dialect: 'duckdb',
    cron: '@daily',
    cronTz: 'UTC',
    intervalUnit: 'day',
    start: { raw: '2020-01-01', ms: Date.UTC(2020, 0, 1) },
    dependsOn: [],
    explicitDependsOn: [],
    grains: [],
    columns: [],
    audits: [],
    tags: [],
    enabled: true,
    query,
    location: { file: `models/${table}.sql`, line: 1 },
    ...extra,
  };
}

export const DAY_MS = 86_400_000;

/** `[day, day + n days)` in epoch ms, `day` as `YYYY-MM-DD` (UTC). */
export function days(day: string, n = 1): readonly [number, number] {
  const start = Date.parse(`${day}T00:00:00Z`);
  return [start, start + n * DAY_MS];
}
