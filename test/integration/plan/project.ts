/**
 * A small DuckDB project for the plan tests, written to a temporary folder: an incremental model
 * (batches of two days) that can be made to fail on chosen days, a FULL model that reads it and
 * inlines an EMBEDDED model, and a VIEW over it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '../../../core/project/load.ts';
import type { Project } from '../../../core/project/types.ts';
import type { Engine } from '../../../engines/engine.ts';

export const NOW = Date.parse('2024-01-06T12:00:00Z');
export const day = (n: number): number => Date.UTC(2024, 0, n);

const CONFIG = `gateways:
  local:
    connection:
      type: duckdb
      database: warehouse.duckdb
default_gateway: local
model_defaults:
  dialect: duckdb
  start: '2024-01-01'
  cron: '@daily'
`;

/** Days listed in ext.poison make the batch holding them fail with a conversion error. */
export const EVENTS = `MODEL (
  name src.events,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds,
    batch_size 2
  )
);

SELECT
  ds,
  CAST(CASE WHEN ds IN (SELECT ds FROM ext.poison) THEN 'poisoned' ELSE CAST(v AS VARCHAR) END AS INTEGER) AS v
FROM (
  SELECT CAST(d AS DATE) AS ds, CAST(strftime(d, '%d') AS INTEGER) AS v
  FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-31', INTERVAL 1 DAY) AS days(d)
) AS source
WHERE ds BETWEEN @start_ds AND @end_ds
`;

const CONSTANTS = `MODEL (
  name mart.constants,
  kind EMBEDDED
);

SELECT 10 AS factor
`;

const TOTALS = `MODEL (
  name mart.totals,
  kind FULL
);

SELECT count(*) AS days, sum(v) * (SELECT factor FROM mart.constants) AS total
FROM src.events
`;

const LATEST = `MODEL (
  name mart.latest,
  kind VIEW
);

SELECT max(ds) AS last_day, max(total) AS total FROM src.events CROSS JOIN mart.totals
`;

export interface TestProject {
  dir: string;
  load(): Project;
  write(file: string, text: string): void;
  remove(file: string): void;
  dispose(): void;
}

export function createTestProject(): TestProject {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-plan-project-'));
  mkdirSync(join(dir, 'models'));
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  write('config.yaml', CONFIG);
  write('models/events.sql', EVENTS);
  write('models/constants.sql', CONSTANTS);
  write('models/totals.sql', TOTALS);
  write('models/latest.sql', LATEST);
  return {
    dir,
    load: () => loadProject(dir, { now: NOW }),
    write,
    remove: (file) => rmSync(join(dir, file)),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Creates ext.poison (the external table the events model reads) holding `days`. */
export async function poison(engine: Engine, days: number[]): Promise<void> {
  await engine.runInTransaction([
    { sql: 'CREATE SCHEMA IF NOT EXISTS ext' },
    { sql: 'CREATE TABLE IF NOT EXISTS ext.poison (ds DATE)' },
    { sql: 'DELETE FROM ext.poison' },
    ...days.map((n) => ({
      sql: `INSERT INTO ext.poison VALUES (DATE '2024-01-${String(n).padStart(2, '0')}')`,
    })),
  ]);
}
