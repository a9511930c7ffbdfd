/**
 * The SQL's own time: every model's statement once, in dependency order, on one connection, with
 * nothing around it. What a tool takes beyond this is orchestration (parsing, planning, state,
 * scheduling, connection handling, view swaps).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import postgres from 'postgres';
import { baselineStatements, type PeerDag, POSTGRES, type Warehouse } from './generate.ts';

/** Milliseconds to run every statement; `database` is a DuckDB file or `:memory:` (DuckDB only). */
export async function sqlBaselineMs(
  dag: PeerDag,
  warehouse: Warehouse,
  schema: string,
  database = ':memory:',
): Promise<number> {
  const statements = baselineStatements(dag, warehouse, schema);
  if (warehouse === 'duckdb') {
    const instance = await DuckDBInstance.create(database);
    const connection = await instance.connect();
    try {
      const started = performance.now();
      for (const sql of statements) await connection.run(sql);
      return performance.now() - started;
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }
  const sql = postgres({ ...POSTGRES, max: 1, onnotice: () => {} });
  try {
    const started = performance.now();
    for (const statement of statements) await sql.unsafe(statement);
    return performance.now() - started;
  } finally {
    await sql.end();
  }
}

/** Drops the PostgreSQL schemas whose names contain `tag` (a run's own, never anyone else's). */
export async function dropPostgresSchemas(tag: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(tag)) throw new Error(`unsafe schema tag ${tag}`);
  const sql = postgres({ ...POSTGRES, max: 1, onnotice: () => {} });
  try {
    const schemas = await sql<{ nspname: string }[]>`
      select nspname from pg_namespace where position(${tag} in nspname) > 0`;
    for (const { nspname } of schemas) await sql.unsafe(`DROP SCHEMA "${nspname}" CASCADE`);
  } finally {
    await sql.end();
  }
}
