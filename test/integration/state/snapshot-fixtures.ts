/** Snapshot inputs for the state tests: a valid model definition under any name and fingerprint. */

import type { Model } from '../../../core/project/types.ts';
import type { SnapshotInput } from '../../../state/snapshots.ts';

export function modelDefinition(name: string, overrides: Partial<Model> = {}): Model {
  const [schema = 'db', table = name] = name.split('.');
  return {
    name,
    schema,
    table,
    kind: { name: 'INCREMENTAL_BY_TIME_RANGE', timeColumn: 'event_date', lookback: 0 },
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
    query: `SELECT 1 AS id, event_date FROM src.${table}`,
    location: { file: `models/${table}.sql`, line: 1 },
    ...overrides,
  };
}

export function snapshotInput(
  name: string,
  fingerprint: string,
  options: { parents?: string[]; query?: string; definition?: Partial<Model> } = {},
): SnapshotInput {
  const definition = modelDefinition(name, options.definition);
  const [schema = 'db', table = name] = name.split('.');
  return {
    name,
    fingerprint,
    metadataHash: `meta-${fingerprint}`,
    kind: definition.kind.name,
    definition,
    query: options.query ?? definition.query,
    parents: options.parents ?? [],
    physicalSchema: `sluice__${schema}`,
    physicalTable: `${schema}__${table}__${fingerprint}`,
    gateway: 'local',
  };
}
