/**
 * Small pieces of SQL text shared by the statement builders. Everything here is valid in both
 * warehouse dialects sluice runs (PostgreSQL and DuckDB).
 */

import { formatUtc } from '../time.ts';

/** A string literal: single quotes, an embedded quote doubled (backslashes are plain characters). */
export function stringLiteral(value: string): string {
  if (value.includes('\0')) throw new Error(`text ${JSON.stringify(value)} contains a NUL character`);
  return `'${value.replaceAll("'", "''")}'`;
}

/** An identifier's name as SQLMesh normalises it: a quoted one as written, any other lower-cased. */
export function identifierName(sql: string): string {
  const text = sql.trim();
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"')
    ? text.slice(1, -1).replaceAll('""', '"')
    : text.toLowerCase();
}

/**
 * A query as a parenthesised `FROM` item. The query goes on lines of its own, so a trailing `--`
 * comment in it cannot swallow the closing parenthesis.
 */
export function subquery(query: string, alias?: string): string {
  const wrapped = `(\n${query}\n)`;
  return alias === undefined ? wrapped : `${wrapped} AS ${alias}`;
}

/** A UTC instant as a `TIMESTAMP` value (`CAST('2020-01-01 00:00:00' AS TIMESTAMP)`). */
export function timestampLiteral(ms: number): string {
  return `CAST(${stringLiteral(formatUtc(ms))} AS TIMESTAMP)`;
}

/** A UTC instant as a `TIMESTAMPTZ` value, with an explicit `+00:00` so no session zone applies. */
export function timestamptzLiteral(ms: number): string {
  return `CAST(${stringLiteral(`${formatUtc(ms)}+00:00`)} AS TIMESTAMPTZ)`;
}
