/**
 * Shared pieces of the plan tests: a throw-away copy of a fixture project, a state database per
 * driver, the engines of a project's gateways, and reading a view's columns and rows as text.
 * Plans are applied through the real stack (stack.ts).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Project } from '../../../core/project/types.ts';
import { createStateDb, type StateConnection, type StateDriver } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import type { Engine } from '../../../engines/engine.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { createScratchDatabase, type ScratchDatabase } from '../state/harness.ts';

export const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;

/** A copy of `test/fixtures/<name>` in a new temporary folder. */
export function copyFixture(name: string): { dir: string; remove(): void } {
  const parent = mkdtempSync(join(tmpdir(), 'sluice-plan-'));
  const dir = join(parent, name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return { dir, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

/** Replaces the first occurrence of `find` in a project file, failing when it is not there. */
export function editFile(path: string, find: string, replace: string): void {
  const text = readFileSync(path, 'utf8');
  if (!text.includes(find)) throw new Error(`${path} does not contain ${JSON.stringify(find)}`);
  writeFileSync(path, text.replace(find, replace));
}

/** A migrated state database on `driver`: a fresh database on the test server, or PGlite in memory. */
export async function openState(
  driver: StateDriver,
  tag: string,
): Promise<StateConnection & { dispose(): Promise<void> }> {
  const scratch: ScratchDatabase | undefined =
    driver === 'postgres' ? await createScratchDatabase(tag) : undefined;
  const connection = createStateDb({ url: scratch ? scratch.url : 'memory://' });
  await migrate(connection.db);
  return {
    ...connection,
    async dispose() {
      await connection.close();
      await scratch?.drop();
    },
  };
}

/** The engines of a project's gateways (DuckDB files resolve against the project folder). */
export function enginesFor(project: Project): EnginePool {
  const connections = Object.fromEntries(
    Object.entries(project.config.gateways).map(([name, gateway]) => [name, gateway.connection]),
  );
  return new EnginePool(connections, { baseDir: project.root });
}

export interface TableContents {
  columns: Array<{ name: string; type: string }>;
  /** every value as the warehouse writes it as text (null stays null), rows sorted. */
  rows: Array<Array<string | null>>;
}

/** The columns and rows of a table or view, values cast to text, rows in canonical order. */
export async function readRelation(engine: Engine, schema: string, name: string): Promise<TableContents> {
  const columns = await engine.columns(schema, name);
  if (columns.length === 0) throw new Error(`${schema}.${name} does not exist`);
  const list = columns.map(
    (column, index) => `CAST(${engine.quoteIdentifier(column.name)} AS TEXT) AS c${index}`,
  );
  const rows = await engine.queryRows(
    `SELECT ${list.join(', ')} FROM ${engine.quoteIdentifier(schema)}.${engine.quoteIdentifier(name)}`,
    10_000,
  );
  return {
    columns: columns.map((column) => ({ name: column.name, type: column.type })),
    rows: sortRows(
      rows.map((row) =>
        columns.map((_, index) => {
          const value = row[`c${index}`];
          return value === null || value === undefined ? null : String(value);
        }),
      ),
    ),
  };
}

/** Rows in one canonical order (by their JSON text), so two reads of the same rows compare equal. */
export function sortRows<T>(rows: T[][]): T[][] {
  return rows
    .map((row) => [JSON.stringify(row), row] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => row);
}

/** Base tables in `schema`, sorted. */
export async function tablesIn(engine: Engine, schema: string): Promise<string[]> {
  const rows = await engine.queryRows(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = '${schema.replaceAll("'", "''")}' ` +
      "AND table_type = 'BASE TABLE' ORDER BY table_name",
    1000,
  );
  return rows.map((row) => String(row.table_name));
}
