/**
 * sluice beside dbt-core and SQLMesh on the same generated DAG (bench/peers/generate.ts): the first
 * build and a re-run of every model, the SQL's own time on one connection as the baseline, and the
 * orchestration overhead per model each tool adds to it. Repetitions are interleaved (the order of
 * the tools rotates each time), every repetition starts from empty warehouses, and medians are
 * printed. Needs bench/peers/install.sh first.
 *
 *   npx tsx bench/peers/compare.ts [--models 100,500,2000] [--warehouse duckdb,postgres] [--reps 3] [--seed 1]
 *   npx tsx bench/peers/compare.ts --quick          # 100 models, DuckDB, one repetition
 *
 * Workloads: dbt `dbt run --threads 4`, twice (dbt keeps no state, so its re-run is a second run);
 * SQLMesh `sqlmesh plan --auto-apply`, then `sqlmesh plan --restate-model '<schema>.*' --auto-apply`
 * (concurrent_tasks 4); sluice a plan applied, then a triggered restatement of every model (threads
 * 4), on a scheduler already running in this process.
 *
 * Warehouses: dbt and SQLMesh each get their own DuckDB file, or their own schemas in PostgreSQL's
 * `test` database. The bench stack's executors serve one gateway, DuckDB in memory, so sluice runs on
 * DuckDB in memory and is compared with the in-memory SQL baseline; it is not measured on
 * PostgreSQL (its column says n/a).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchStack, startBenchStack } from '../support/stack.ts';
import { dropPostgresSchemas, sqlBaselineMs } from './baseline.ts';
import {
  generateDag,
  type PeerDag,
  type Warehouse,
  writeDbtProject,
  writeSqlmeshProject,
} from './generate.ts';
import { type Measurement, temporalServerFound } from './measure.ts';
import { dbtRun, pythonToolsInstalled, sqlmeshPlan, sqlmeshRestate } from './python-tools.ts';
import { sluicePlan, sluiceRestate } from './sluice.ts';

type Tool = 'dbt' | 'sqlmesh' | 'sluice';
type Workload = 'first build' | 're-run';
const TOOLS: Tool[] = ['dbt', 'sqlmesh', 'sluice'];
const TOOL_NAMES: Record<Tool, string> = { dbt: 'dbt', sqlmesh: 'SQLMesh', sluice: 'sluice' };

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const sizes = quick ? [100] : (flag('models') ?? '100,500').split(',').map(Number);
const warehouses = (quick ? 'duckdb' : (flag('warehouse') ?? 'duckdb')).split(',') as Warehouse[];
const reps = quick ? 1 : Number(flag('reps') ?? 3);
const seed = Number(flag('seed') ?? 1);
for (const w of warehouses) if (w !== 'duckdb' && w !== 'postgres') throw new Error(`unknown warehouse ${w}`);
if (!pythonToolsInstalled())
  throw new Error('dbt and SQLMesh are missing: run bash bench/peers/install.sh first');

const WORK = resolve(fileURLToPath(import.meta.url), '../.work/compare');
const nonce = Date.now().toString(36);

/** Measurements by `size/warehouse/tool/workload`, and SQL baselines by `size/warehouse/database`. */
const measured = new Map<string, Measurement[]>();
const baselines = new Map<string, number[]>();
function record<T>(map: Map<string, T[]>, key: string, value: T) {
  map.set(key, [...(map.get(key) ?? []), value]);
}
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function repetition(
  stack: BenchStack | undefined,
  dag: PeerDag,
  warehouse: Warehouse,
  rep: number,
): Promise<void> {
  const size = dag.models.length;
  const tag = `peerbench_${size}_${warehouse[0]}${rep}_${nonce}`;
  const dir = join(WORK, tag);
  mkdirSync(dir, { recursive: true });
  const key = (tool: Tool, workload: Workload) => `${size}/${warehouse}/${tool}/${workload}`;
  const steps: Record<'sql' | Tool, () => Promise<void>> = {
    async sql() {
      const file = warehouse === 'duckdb' ? join(dir, 'sql.duckdb') : undefined;
      record(baselines, `${size}/${warehouse}/file`, await sqlBaselineMs(dag, warehouse, `${tag}_sql`, file));
      if (warehouse === 'duckdb') {
        record(baselines, `${size}/${warehouse}/memory`, await sqlBaselineMs(dag, warehouse, `${tag}_sql`));
      }
    },
    async dbt() {
      const project = writeDbtProject(join(dir, 'dbt'), dag, {
        warehouse,
        schema: `${tag}_dbt`,
        duckdbFile: join(dir, 'dbt.duckdb'),
      });
      record(measured, key('dbt', 'first build'), await dbtRun(project));
      record(measured, key('dbt', 're-run'), await dbtRun(project));
    },
    async sqlmesh() {
      const schema = `${tag}_sqlmesh`;
      const project = writeSqlmeshProject(join(dir, 'sqlmesh'), dag, {
        warehouse,
        schema,
        duckdbFile: join(dir, 'sqlmesh.duckdb'),
        stateSchema: `${tag}_sqlmesh_state`,
      });
      record(measured, key('sqlmesh', 'first build'), await sqlmeshPlan(project));
      record(measured, key('sqlmesh', 're-run'), await sqlmeshRestate(project, schema));
    },
    async sluice() {
      if (!stack) return;
      const schema = `${tag}_sluice`;
      // the gateway's connection in config.yaml is the executors' business: they run on the stack's DuckDB
      const project = writeSqlmeshProject(join(dir, 'sluice'), dag, {
        warehouse,
        schema,
        duckdbFile: join(dir, 'sluice.duckdb'),
      });
      const environment = `peer_${size}_${rep}_${nonce}`;
      record(measured, key('sluice', 'first build'), await sluicePlan(stack, project, environment));
      record(measured, key('sluice', 're-run'), await sluiceRestate(stack, dag, schema, environment));
    },
  };
  const order: ('sql' | Tool)[] = ['sql', 'dbt', 'sqlmesh', 'sluice'];
  const rotated = [...order.slice(rep % order.length), ...order.slice(0, rep % order.length)];
  try {
    for (const step of rotated) {
      const t0 = performance.now();
      await steps[step]();
      console.error(
        `  ${size} models, ${warehouse}, repetition ${rep + 1}: ${step} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (warehouse === 'postgres') await dropPostgresSchemas(tag);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function table(): string[] {
  const lines = [
    '| models | warehouse | workload | SQL baseline | dbt | SQLMesh | sluice | overhead per model (dbt / SQLMesh / sluice) | sluice/dbt | sluice/SQLMesh | CPU (dbt / SQLMesh / sluice) |',
    '| ---: | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | --- |',
  ];
  for (const size of sizes) {
    for (const warehouse of warehouses) {
      const file = median(baselines.get(`${size}/${warehouse}/file`) ?? [Number.NaN]);
      const memory = median(baselines.get(`${size}/${warehouse}/memory`) ?? [Number.NaN]);
      for (const workload of ['first build', 're-run'] as Workload[]) {
        const get = (tool: Tool) => measured.get(`${size}/${warehouse}/${tool}/${workload}`);
        const wall = (tool: Tool) => {
          const m = get(tool);
          return m ? median(m.map((x) => x.wallMs)) : undefined;
        };
        const cpu = (tool: Tool) => {
          const m = get(tool);
          return m ? `${median(m.map((x) => x.cpuS)).toFixed(1)} s` : 'n/a';
        };
        // sluice runs on DuckDB in memory, the others on a file: each is measured against its own SQL
        const base = (tool: Tool) => (tool === 'sluice' && warehouse === 'duckdb' ? memory : file);
        const overhead = (tool: Tool) => {
          const w = wall(tool);
          return w === undefined ? 'n/a' : `${((w - base(tool)) / size).toFixed(1)} ms`;
        };
        const ratio = (other: Tool) => {
          const s = wall('sluice');
          const o = wall(other);
          return s === undefined || o === undefined ? 'n/a' : `${(s / o).toFixed(2)}`;
        };
        const sql =
          warehouse === 'duckdb' ? `${seconds(file)} file, ${seconds(memory)} memory` : seconds(file);
        const show = (tool: Tool) => {
          const w = wall(tool);
          return w === undefined ? 'n/a' : seconds(w);
        };
        lines.push(
          `| ${size} | ${warehouse} | ${workload} | ${sql} | ${show('dbt')} | ${show('sqlmesh')} | ${show('sluice')} | ${TOOLS.map(overhead).join(' / ')} | ${ratio('dbt')} | ${ratio('sqlmesh')} | ${TOOLS.map(cpu).join(' / ')} |`,
        );
      }
    }
  }
  return lines;
}

const stack = warehouses.includes('duckdb') ? await startBenchStack() : undefined;
if (stack && !temporalServerFound())
  console.error("  the Temporal server's CPU is not found: sluice's CPU is this process's only");
try {
  for (const size of sizes) {
    const dag = generateDag(size, seed);
    for (let rep = 0; rep < reps; rep++) {
      for (const warehouse of warehouses) {
        await repetition(warehouse === 'duckdb' ? stack : undefined, dag, warehouse, rep);
      }
    }
  }
} finally {
  await stack?.stop();
}
console.log(
  `\nsluice vs ${TOOLS.filter((t) => t !== 'sluice')
    .map((t) => TOOL_NAMES[t])
    .join(
      ' and ',
    )}: medians of ${reps} interleaved repetition(s), seed ${seed}, 4 threads each; wall time from command start to exit (sluice: plan submitted to applied, run triggered to finished)\n`,
);
for (const line of table()) console.log(line);
