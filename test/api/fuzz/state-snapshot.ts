/**
 * What "nothing changed" is checked against: every table of the state database (row count and a
 * hash of its content) and every running workflow, with each environment workflow's `state` query.
 *
 * Left out, because they change without anything being asked: `api_tokens.last_used_at` (stamped
 * when a token authenticates a request that succeeds, at most once a minute) and, in an environment
 * workflow's state, the fields that move with the clock (`nextWake`, `details`, `workInFlight`,
 * the time of `lastError`).
 */
import type { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import type { StateDb } from '../../../db/client.ts';
import { stateQuery } from '../../../workflows/signals.ts';

const EXCLUDED_COLUMNS: Record<string, readonly string[]> = { api_tokens: ['last_used_at'] };
const ENVIRONMENT_WORKFLOW = 'environmentWorkflow';

export interface StateSnapshot {
  tables: Record<string, { rows: number; hash: string }>;
  /** workflow id → its type, and for environment workflows their state without the clock's fields. */
  workflows: Record<string, string>;
}

async function rowsOf<T>(db: StateDb, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export async function takeSnapshot(db: StateDb, client: Client): Promise<StateSnapshot> {
  const columns = await rowsOf<{ table_name: string; column_name: string }>(
    db,
    sql`select table_name, column_name from information_schema.columns
        where table_schema = 'sluice' order by table_name, ordinal_position`,
  );
  const byTable = new Map<string, string[]>();
  for (const { table_name, column_name } of columns) {
    if (EXCLUDED_COLUMNS[table_name]?.includes(column_name)) continue;
    byTable.set(table_name, [...(byTable.get(table_name) ?? []), column_name]);
  }
  const tables: StateSnapshot['tables'] = {};
  for (const [table, names] of byTable) {
    const list = names.map((n) => `"${n}"`).join(', ');
    const [row] = await rowsOf<{ n: number; hash: string }>(
      db,
      sql.raw(
        `select count(*)::int as n, md5(coalesce(string_agg(r::text, '|' order by r::text), '')) as hash ` +
          `from (select ${list} from sluice."${table}") r`,
      ),
    );
    tables[table] = { rows: Number(row!.n), hash: row!.hash };
  }
  const workflows: Record<string, string> = {};
  for await (const execution of client.workflow.list({ query: "ExecutionStatus = 'Running'" })) {
    workflows[execution.workflowId] = execution.type;
    if (execution.type !== ENVIRONMENT_WORKFLOW) continue;
    const state = await client.workflow.getHandle(execution.workflowId).query(stateQuery);
    const { nextWake: _w, details: _d, workInFlight: _f, lastError, ...steady } = state;
    workflows[execution.workflowId] = JSON.stringify({ ...steady, lastError: lastError?.message ?? null });
  }
  return { tables, workflows };
}

/** What differs between two snapshots, one line each; empty when they are the same. */
export function snapshotDifferences(before: StateSnapshot, after: StateSnapshot): string[] {
  const lines: string[] = [];
  for (const table of new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])) {
    const a = before.tables[table];
    const b = after.tables[table];
    if (a?.hash === b?.hash && a?.rows === b?.rows) continue;
    lines.push(`table ${table}: ${a?.rows ?? 'absent'} rows → ${b?.rows ?? 'absent'} rows, content changed`);
  }
  for (const id of new Set([...Object.keys(before.workflows), ...Object.keys(after.workflows)])) {
    const a = before.workflows[id];
    const b = after.workflows[id];
    if (a === b) continue;
    if (a === undefined) lines.push(`workflow ${id} started`);
    else if (b === undefined) lines.push(`workflow ${id} ended`);
    else lines.push(`workflow ${id} changed: ${changedFields(a, b)}`);
  }
  return lines;
}

/** The top-level fields of two workflow states that differ, with their values before and after. */
function changedFields(a: string, b: string): string {
  let before: Record<string, unknown>;
  let after: Record<string, unknown>;
  try {
    before = JSON.parse(a) as Record<string, unknown>;
    after = JSON.parse(b) as Record<string, unknown>;
  } catch {
    return `${a.slice(0, 300)} → ${b.slice(0, 300)}`;
  }
  return Object.keys({ ...before, ...after })
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map(
      (key) =>
        `${key} ${JSON.stringify(before[key])?.slice(0, 300)} → ${JSON.stringify(after[key])?.slice(0, 300)}`,
    )
    .join('; ');
}
