/**
 * A seeded generator of the same DAG of cheap SQL models, written as a SQLMesh project (which sluice
 * reads too) and as an equivalent dbt project, so the peer benchmark compares orchestration and not
 * SQL: every model reads at most a few thousand rows.
 *
 * Shape: about 5% of the models are roots that make 1,000 rows from a table function; every other
 * model reads 1 to 3 earlier models (mostly recent ones, so the DAG is deep as well as wide) with a
 * projection, a join on `id` or a small aggregate. About 10% are INCREMENTAL_BY_TIME_RANGE on `ts`
 * (one daily interval, `start` is the day before the generation day), the rest FULL. The dbt
 * project materialises every model as a table and spells the incremental filter with the same
 * day's literals, so both do the same work.
 *
 *   npx tsx bench/peers/generate.ts <dir> [--models 100] [--warehouse duckdb|postgres] [--seed 1]
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type Warehouse = 'duckdb' | 'postgres';

export interface PeerModel {
  /** `m0001`: the table name, and the file name in both projects. */
  table: string;
  parents: string[];
  incremental: boolean;
  /** the query with `{{parent:i}}` placeholders for its parents and `{{start_ts}}`/`{{end_ts}}`. */
  template: string;
}

export interface PeerDag {
  models: PeerModel[];
  /** the day the models start and the incremental ones fill (YYYY-MM-DD, UTC). */
  day: string;
}

/** mulberry32: small, fast and the same on every platform. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function yesterday(now = Date.now()): string {
  return new Date(now - 86_400_000).toISOString().slice(0, 10);
}

export function generateDag(count: number, seed = 1, day = yesterday()): PeerDag {
  const next = random(seed);
  const pick = (n: number) => Math.floor(next() * n);
  const roots = Math.max(3, Math.round(count * 0.05));
  const models: PeerModel[] = [];
  for (let i = 0; i < count; i++) {
    const table = `m${String(i).padStart(4, '0')}`;
    if (i < roots) {
      models.push({ table, parents: [], incremental: false, template: '{{root}}' });
      continue;
    }
    // parents from the 50 models before this one most of the time, from anywhere otherwise
    const wanted = 1 + pick(3);
    const parents = new Set<string>();
    while (parents.size < Math.min(wanted, i)) {
      const j = next() < 0.8 ? i - 1 - pick(Math.min(i, 50)) : pick(i);
      parents.add(models[j]!.table);
    }
    const list = [...parents];
    const incremental = list.length === 1 && next() < 0.3;
    let template: string;
    if (incremental) {
      template =
        'SELECT id, k, v + 1 AS v, ts FROM {{parent:0}} WHERE ts BETWEEN {{start_ts}} AND {{end_ts}}';
    } else if (list.length === 1) {
      template =
        next() < 0.5
          ? 'SELECT id, (k + 1) % 10 AS k, v * 2 AS v, ts FROM {{parent:0}}'
          : 'SELECT k AS id, k, SUM(v) AS v, MAX(ts) AS ts FROM {{parent:0}} GROUP BY k';
    } else {
      const others = list.slice(1).map((_, n) => `p${n + 1}`);
      template =
        `SELECT p0.id, p0.k, p0.v${others.map((p) => ` + ${p}.v`).join('')} AS v, p0.ts FROM {{parent:0}} AS p0` +
        others.map((p, n) => ` JOIN {{parent:${n + 1}}} AS ${p} ON p0.id = ${p}.id`).join('');
    }
    models.push({ table, parents: list, incremental, template });
  }
  return { models, day };
}

function rootQuery(warehouse: Warehouse, day: string): string {
  return warehouse === 'duckdb'
    ? `SELECT i AS id, i % 10 AS k, i * 1.5 AS v, TIMESTAMP '${day}' + i * INTERVAL '1 second' AS ts FROM range(1000) AS t(i)`
    : `SELECT i AS id, i % 10 AS k, i * 1.5 AS v, TIMESTAMP '${day}' + i * INTERVAL '1 second' AS ts FROM generate_series(0, 999) AS t(i)`;
}

/** The model's query with its parents named by `ref` and the interval bounds given. */
export function render(
  model: PeerModel,
  warehouse: Warehouse,
  day: string,
  ref: (table: string) => string,
  bounds: { start: string; end: string },
): string {
  return model.template
    .replace('{{root}}', rootQuery(warehouse, day))
    .replace(/\{\{parent:(\d)\}\}/g, (_, n: string) => ref(model.parents[Number(n)]!))
    .replace('{{start_ts}}', bounds.start)
    .replace('{{end_ts}}', bounds.end);
}

/** The incremental interval as literals: the whole of `day`, end inclusive as SQLMesh renders it. */
export function dayBounds(day: string): { start: string; end: string } {
  return { start: `'${day} 00:00:00'`, end: `'${day} 23:59:59.999999'` };
}

export interface PostgresTarget {
  host: string;
  port: number;
  user: string;
  database: string;
}

export const POSTGRES: PostgresTarget = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

export interface ProjectTarget {
  warehouse: Warehouse;
  /** the schema every model lives in (SQLMesh and sluice add their physical schemas beside it). */
  schema: string;
  /** the DuckDB file, absolute (DuckDB only). */
  duckdbFile?: string;
  /** SQLMesh's state schema on PostgreSQL (one per run, so runs never share state). */
  stateSchema?: string;
}

/** A SQLMesh project: config.yaml with the gateway `warehouse` (the name sluice's bench stack serves) and models/*.sql. */
export function writeSqlmeshProject(dir: string, dag: PeerDag, target: ProjectTarget): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  const connection =
    target.warehouse === 'duckdb'
      ? `      type: duckdb\n      database: '${target.duckdbFile}'\n`
      : `      type: postgres\n      host: ${POSTGRES.host}\n      port: ${POSTGRES.port}\n      user: ${POSTGRES.user}\n      password: ''\n      database: ${POSTGRES.database}\n`;
  const state = target.stateSchema ? `    state_schema: ${target.stateSchema}\n` : '';
  writeFileSync(
    join(dir, 'config.yaml'),
    `gateways:\n  warehouse:\n    connection:\n${connection}${state}default_gateway: warehouse\nmodel_defaults:\n  dialect: ${target.warehouse}\n  start: '${dag.day}'\n  cron: '@daily'\n`,
  );
  for (const model of dag.models) {
    const kind = model.incremental ? 'INCREMENTAL_BY_TIME_RANGE (time_column ts)' : 'FULL';
    const query = render(model, target.warehouse, dag.day, (t) => `${target.schema}.${t}`, {
      start: '@start_ts',
      end: '@end_ts',
    });
    writeFileSync(
      join(dir, 'models', `${model.table}.sql`),
      `MODEL (name ${target.schema}.${model.table}, kind ${kind}, cron '@daily');\n\n${query}\n`,
    );
  }
  return dir;
}

/** An equivalent dbt project: every model a table in `schema`, parents by `ref()`; profiles.yml beside it. */
export function writeDbtProject(dir: string, dag: PeerDag, target: ProjectTarget): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  writeFileSync(
    join(dir, 'dbt_project.yml'),
    "name: peers\nversion: '1.0'\nconfig-version: 2\nprofile: peers\nmodel-paths: ['models']\nmodels:\n  peers:\n    +materialized: table\n",
  );
  const output =
    target.warehouse === 'duckdb'
      ? `      type: duckdb\n      path: '${target.duckdbFile}'\n      schema: ${target.schema}\n`
      : `      type: postgres\n      host: ${POSTGRES.host}\n      port: ${POSTGRES.port}\n      user: ${POSTGRES.user}\n      password: ''\n      dbname: ${POSTGRES.database}\n      schema: ${target.schema}\n`;
  writeFileSync(
    join(dir, 'profiles.yml'),
    `peers:\n  target: bench\n  outputs:\n    bench:\n${output}      threads: 4\n`,
  );
  for (const model of dag.models) {
    const query = render(model, target.warehouse, dag.day, (t) => `{{ ref('${t}') }}`, dayBounds(dag.day));
    writeFileSync(join(dir, 'models', `${model.table}.sql`), `${query}\n`);
  }
  return dir;
}

/** Every model's statement in dependency order (the generator only ever points at earlier models). */
export function baselineStatements(dag: PeerDag, warehouse: Warehouse, schema: string): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${schema}`,
    ...dag.models.map(
      (m) =>
        `CREATE TABLE ${schema}.${m.table} AS ${render(m, warehouse, dag.day, (t) => `${schema}.${t}`, dayBounds(dag.day))}`,
    ),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, ...rest] = process.argv.slice(2);
  if (!dir) throw new Error('usage: generate.ts <dir> [--models N] [--warehouse duckdb|postgres] [--seed S]');
  const flag = (name: string, fallback: string) => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1]! : fallback;
  };
  const warehouse = flag('warehouse', 'duckdb') as Warehouse;
  const dag = generateDag(Number(flag('models', '100')), Number(flag('seed', '1')));
  const root = resolve(dir);
  const target: ProjectTarget = {
    warehouse,
    schema: 'peers',
    duckdbFile: join(root, 'warehouse.duckdb'),
    stateSchema: 'peers_state',
  };
  writeSqlmeshProject(join(root, 'sqlmesh'), dag, target);
  writeDbtProject(join(root, 'dbt'), dag, target);
  console.log(
    `wrote ${dag.models.length} models (${warehouse}, day ${dag.day}) to ${root}/sqlmesh and ${root}/dbt`,
  );
}
