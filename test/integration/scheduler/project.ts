/**
 * A small DuckDB project for the scheduler tests, written to a temporary folder: a seed, an
 * incremental model in batches of two days, an incremental model downstream of it with a project
 * audit, a FULL model that inlines an EMBEDDED one, and a VIEW over the FULL model.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject } from '../../../core/project/load.ts';
import type { Project } from '../../../core/project/types.ts';
import { duckdbConfig } from '../../support/project-config.ts';

/** The plan's execution time: intervals up to the 6th are ready. */
export const NOW = Date.parse('2024-01-06T12:00:00Z');
export const day = (n: number): number => Date.UTC(2024, 0, n);

const CONFIG = duckdbConfig();

const LABELS_CSV = `id,label
1,one
2,two
`;

const LABELS = `MODEL (
  name ref.labels,
  kind SEED (
    path '../seeds/labels.csv'
  ),
  columns (
    id INTEGER,
    label TEXT
  )
);
`;

/** One row per day; the value is the day of the month. */
export const EVENTS = `MODEL (
  name src.events,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds,
    batch_size 2
  )
);

SELECT CAST(d AS DATE) AS ds, CAST(strftime(d, '%d') AS INTEGER) AS v
FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-31', INTERVAL 1 DAY) AS days(d)
WHERE CAST(d AS DATE) BETWEEN @start_ds AND @end_ds
`;

const DAILY = `MODEL (
  name mart.daily,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column ds
  ),
  audits (positive_values)
);

SELECT ds, v * 10 AS v10, @execution_ds AS executed
FROM src.events
WHERE ds BETWEEN @start_ds AND @end_ds
`;

const POSITIVE = `AUDIT (
  name positive_values
);

SELECT * FROM @this_model WHERE v10 <= 0
`;

const FACTOR = `MODEL (
  name mart.factor,
  kind EMBEDDED
);

SELECT 10 AS factor
`;

const TOTALS = `MODEL (
  name mart.totals,
  kind FULL
);

SELECT count(*) AS days, sum(v) * (SELECT factor FROM mart.factor) AS total
FROM src.events
`;

const LATEST = `MODEL (
  name mart.latest,
  kind VIEW
);

SELECT max(ds) AS last_day, max(total) AS total FROM src.events CROSS JOIN mart.totals
`;

export interface SchedulerProject {
  dir: string;
  load(): Project;
  write(file: string, text: string): void;
  dispose(): void;
}

export function createSchedulerProject(): SchedulerProject {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-scheduler-'));
  for (const folder of ['models', 'seeds', 'audits']) mkdirSync(join(dir, folder));
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  write('config.yaml', CONFIG);
  write('seeds/labels.csv', LABELS_CSV);
  write('models/labels.sql', LABELS);
  write('models/events.sql', EVENTS);
  write('models/daily.sql', DAILY);
  write('audits/positive_values.sql', POSITIVE);
  write('models/factor.sql', FACTOR);
  write('models/totals.sql', TOTALS);
  write('models/latest.sql', LATEST);
  return {
    dir,
    load: () => loadProject(dir, { now: NOW }),
    write,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
